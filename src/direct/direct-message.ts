/**
 * A message delivered to an in-process subscriber, shaped like nats.js `Msg`: `subject`,
 * `data`, `reply`, `headers`, `respond()`, `string()`, `json()`. `data` is a view of the
 * publisher's bytes, not a copy; headers are decoded only when asked for.
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
  /** The payload (without the header block): a view, valid as long as you hold it. */
  readonly data: Uint8Array;
  readonly #headerBlock: Uint8Array | undefined;
  #headers: MsgHeaders | undefined;
  readonly #respond: Responder;

  constructor(subject: string, reply: string, sid: number, data: Uint8Array, headerBlock: Uint8Array | undefined, respond: Responder) {
    this.subject = subject;
    this.reply = reply;
    this.sid = sid;
    this.data = data;
    this.#headerBlock = headerBlock;
    this.#respond = respond;
  }

  /** Headers, decoded on first access; undefined when the message has none. */
  get headers(): MsgHeaders | undefined {
    if (this.#headerBlock === undefined) return undefined;
    return (this.#headers ??= MsgHeaders.decode(this.#headerBlock));
  }

  /** Publishes `data` to the reply subject; false when the message has no reply subject. */
  respond(data?: Payload, options?: { headers?: MsgHeaders }): boolean {
    if (this.reply === "") return false;
    return this.#respond(this.reply, data, options);
  }

  /** The payload as UTF-8 text. */
  string(): string {
    return Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength).toString("utf8");
  }

  /** The payload parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.string()) as T;
  }
}
