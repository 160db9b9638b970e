/**
 * A message delivered to an in-process subscriber, shaped like nats.js `Msg`: `subject`,
 * `data`, `reply`, `headers`, `respond()`, `string()`, `json()`. It keeps a region of the
 * publisher's bytes and makes views of it only when asked: `data` is a view, not a copy, and
 * headers are decoded on first access, so delivering costs one small object.
 */
import { MsgHeaders } from "./headers.ts";

/** Sends a reply on behalf of a message; the server provides it. */
export type Responder = (subject: string, data?: Payload, options?: { headers?: MsgHeaders }) => boolean;

/** What the in-process API accepts as a payload. */
export type Payload = Uint8Array | string;

export class DirectMsg {
  readonly subject: string;
  /** Reply subject, "" when none (as nats.js). */
  readonly reply: string;
  /** The subscription's id. */
  readonly sid: number;
  readonly #buffer: Buffer;
  /** Payload start (after any header block) and end in `#buffer`. */
  readonly #start: number;
  readonly #end: number;
  /** Header block length; 0 when the message has none. */
  readonly #headerSize: number;
  readonly #respond: Responder;
  #data: Uint8Array | undefined;
  #headers: MsgHeaders | undefined;

  /** `buffer[start, end)` is the whole message: `headerSize` header bytes, then the payload. */
  constructor(subject: string, reply: string, sid: number, buffer: Buffer, start: number, end: number, headerSize: number, respond: Responder) {
    this.subject = subject;
    this.reply = reply;
    this.sid = sid;
    this.#buffer = buffer;
    this.#headerSize = headerSize > 0 ? headerSize : 0;
    this.#start = start + this.#headerSize;
    this.#end = end;
    this.#respond = respond;
  }

  /** Bytes of the whole message, headers included (for pending-bytes accounting). */
  get size(): number {
    return this.#end - this.#start + this.#headerSize;
  }

  /** The payload (without the header block): a view of the publisher's bytes. */
  get data(): Uint8Array {
    // An in-process publish without headers hands over a buffer that is exactly the payload:
    // give it as is rather than allocate a view of all of it (a third of the direct path's cost).
    const buffer = this.#buffer;
    if (this.#start === 0 && this.#end === buffer.length) return buffer;
    return (this.#data ??= buffer.subarray(this.#start, this.#end));
  }

  /**
   * The header block exactly as published (`NATS/1.0\r\n…\r\n\r\n`), a view of the publisher's
   * bytes; undefined when the message has none. JetStream stores it verbatim, as nats-server does.
   */
  get rawHeaders(): Uint8Array | undefined {
    if (this.#headerSize === 0) return undefined;
    return this.#buffer.subarray(this.#start - this.#headerSize, this.#start);
  }

  /** Headers, decoded on first access; undefined when the message has none. */
  get headers(): MsgHeaders | undefined {
    if (this.#headerSize === 0) return undefined;
    return (this.#headers ??= MsgHeaders.decode(this.#buffer.subarray(this.#start - this.#headerSize, this.#start)));
  }

  /** Publishes `data` to the reply subject; false when the message has no reply subject. */
  respond(data?: Payload, options?: { headers?: MsgHeaders }): boolean {
    if (this.reply === "") return false;
    return this.#respond(this.reply, data, options);
  }

  /** The payload as UTF-8 text. */
  string(): string {
    return this.#buffer.toString("utf8", this.#start, this.#end);
  }

  /** The payload parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.string()) as T;
  }
}
