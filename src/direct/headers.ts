/**
 * Message headers for the in-process API, shaped like nats.js `MsgHdrs` (`get`, `set`,
 * `append`, `has`, `delete`, `keys`, `values`, `code`, `description`, `hasError`) so nothing
 * new has to be learnt. Encoded and decoded in the wire format every NATS client uses:
 * `NATS/1.0[ <code>[ <description>]]\r\n(<Key>: <value>\r\n)*\r\n`.
 */
import { InvalidArgumentError } from "../base/errors.ts";

const PREAMBLE = "NATS/1.0";

export class MsgHeaders implements Iterable<[string, string[]]> {
  /** Status code from the first line (503 for no responders, 100 for heartbeats...), 0 if none. */
  code = 0;
  /** Status description from the first line, "" if none. */
  description = "";
  readonly #map = new Map<string, string[]>();

  /** A status message (code >= 300) rather than a plain set of headers. */
  get hasError(): boolean {
    return this.code >= 300;
  }

  get(key: string): string {
    return this.#map.get(key)?.[0] ?? "";
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  set(key: string, value: string): void {
    checkKey(key);
    this.#map.set(key, [checkValue(value)]);
  }

  append(key: string, value: string): void {
    checkKey(key);
    const values = this.#map.get(key);
    if (values === undefined) this.#map.set(key, [checkValue(value)]);
    else values.push(checkValue(value));
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  keys(): string[] {
    return [...this.#map.keys()];
  }

  values(key: string): string[] {
    return [...(this.#map.get(key) ?? [])];
  }

  get size(): number {
    return this.#map.size;
  }

  [Symbol.iterator](): Iterator<[string, string[]]> {
    return this.#map.entries();
  }

  /** The wire header block. */
  encode(): Buffer {
    let text = PREAMBLE;
    if (this.code > 0) text += ` ${this.code}${this.description === "" ? "" : ` ${this.description}`}`;
    text += "\r\n";
    for (const [key, values] of this.#map) for (const v of values) text += `${key}: ${v}\r\n`;
    return Buffer.from(`${text}\r\n`, "utf8");
  }

  /** Reads a wire header block; lenient like the clients: malformed lines are skipped. */
  static decode(block: Uint8Array): MsgHeaders {
    const headers = new MsgHeaders();
    const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("utf8");
    const lines = text.split("\r\n");
    const first = lines[0] ?? "";
    if (first.startsWith(PREAMBLE)) {
      const status = first.slice(PREAMBLE.length).trim();
      if (status !== "") {
        const space = status.indexOf(" ");
        headers.code = Number.parseInt(space < 0 ? status : status.slice(0, space), 10) || 0;
        headers.description = space < 0 ? "" : status.slice(space + 1).trim();
      }
    }
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      const values = headers.#map.get(key);
      if (values === undefined) headers.#map.set(key, [value]);
      else values.push(value);
    }
    return headers;
  }

  /** Headers from a plain object, a MsgHeaders, or anything with nats.js MsgHdrs' `encode()`. */
  static from(init: HeadersInit): MsgHeaders {
    if (init instanceof MsgHeaders) return init;
    if (isEncodable(init)) return MsgHeaders.decode(init.encode());
    const headers = new MsgHeaders();
    for (const [key, value] of Object.entries(init)) {
      if (typeof value === "string") headers.set(key, value);
      else for (const v of value) headers.append(key, v);
    }
    return headers;
  }
}

/** What the in-process API accepts as headers. */
export type HeadersInit = MsgHeaders | Readonly<Record<string, string | readonly string[]>> | { encode(): Uint8Array };

/** Creates empty headers, as nats.js `headers()`. */
export function headers(code = 0, description = ""): MsgHeaders {
  const h = new MsgHeaders();
  h.code = code;
  h.description = description;
  return h;
}

function isEncodable(value: unknown): value is { encode(): Uint8Array } {
  return typeof value === "object" && value !== null && typeof (value as { encode?: unknown }).encode === "function";
}

function checkKey(key: string): void {
  // RFC 822 field names: printable ASCII without the colon (as nats.js enforces).
  if (key === "" || !/^[\x21-\x39\x3b-\x7e]+$/.test(key)) {
    throw new InvalidArgumentError("headers", `"${key}" is not a valid header name`);
  }
}

function checkValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new InvalidArgumentError("headers", "a header value cannot contain CR or LF");
  return value;
}
