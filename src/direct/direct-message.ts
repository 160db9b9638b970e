/**
 * A message delivered to an in-process subscriber, shaped like nats.js `Msg`: `subject`,
 * `data`, `reply`, `headers`, `respond()`, `string()`, `json()`. It keeps a region of the
 * publisher's bytes and makes views of it only when asked: `data` is a view, not a copy, and
 * headers are decoded on first access, so delivering costs one small object.
 */
import type { Payload as WirePayload } from "../core/subscription.ts";
import { MsgHeaders } from "./headers.ts";
import type { Payload } from "./public-types.ts";

/** Sends a reply on behalf of a message; the server provides it. */
export type Responder = (subject: string, data?: Payload, options?: { headers?: MsgHeaders }) => boolean;

/*
 * The fields are `declare`d and set in the constructor, and the internal ones are TypeScript
 * `private` rather than `#private`: a class field (a `#field` always is one) gives the class an
 * initializer function that runs on every construction and that V8 counts against its inlining
 * budget. A DirectMsg is built on every in-process delivery; when its constructor is cheap, V8
 * inlines the whole delivery, callback included, and removes the object when the callback does
 * not keep it (docs/in-process.md, "Inlining budget").
 *
 * Users see it as the `DirectMsg` interface of public-types.ts.
 */
export class DirectMsg {
  declare readonly subject: string;
  /** Reply subject, "" when none (as nats.js). */
  declare readonly reply: string;
  /** The subscription's id. */
  declare readonly sid: number;
  /** The message as the router carried it: bytes, or a string published in-process. */
  private declare readonly buffer: WirePayload;
  /** Where the message (header block, then payload) starts and ends in `buffer` (a string: 0 and its UTF-8 length). */
  private declare readonly start: number;
  private declare readonly end: number;
  /** Header block length; 0 or less when the message has none (the router passes -1). */
  private declare readonly headerSize: number;
  private declare readonly responder: Responder;
  /** The payload view once made; the buffer itself when it is exactly the payload. */
  private declare payload: Uint8Array | undefined;
  private declare decodedHeaders: MsgHeaders | undefined;

  /** @internal `buffer[start, end)` is the whole message: `headerSize` header bytes, then the payload. */
  constructor(subject: string, reply: string, sid: number, buffer: WirePayload, start: number, end: number, headerSize: number, respond: Responder) {
    this.subject = subject;
    this.reply = reply;
    this.sid = sid;
    this.buffer = buffer;
    this.start = start;
    this.end = end;
    this.headerSize = headerSize;
    this.responder = respond;
    // An in-process publish without headers hands over bytes that are exactly the payload: give
    // them as they are, so that reading `data` is a field load (a subscriber's callback reads it
    // on every message, and the load is what V8 inlines into it).
    this.payload = start === 0 && headerSize < 0 && typeof buffer !== "string" && end === buffer.length ? buffer : undefined;
    this.decodedHeaders = undefined;
  }

  /** @internal Bytes of the whole message, headers included (for pending-bytes accounting). */
  get size(): number {
    return this.end - this.start;
  }

  /** The payload (without the header block): a view of the publisher's bytes, not a copy. */
  get data(): Uint8Array {
    return this.payload ?? this.view();
  }

  private view(): Uint8Array {
    const buffer = this.buffer;
    // A string's bytes are made the first time someone asks for them, and kept.
    if (typeof buffer === "string") return (this.payload = Buffer.from(buffer, "utf8"));
    return (this.payload = buffer.subarray(this.payloadStart(), this.end));
  }

  private payloadStart(): number {
    return this.headerSize > 0 ? this.start + this.headerSize : this.start;
  }

  /**
   * The header block exactly as published (`NATS/1.0\r\n…\r\n\r\n`), a view of the publisher's
   * bytes; undefined when the message has none. JetStream stores it verbatim, as nats-server does.
   */
  get rawHeaders(): Uint8Array | undefined {
    if (this.headerSize <= 0) return undefined;
    return (this.buffer as Uint8Array).subarray(this.start, this.start + this.headerSize);
  }

  /** Headers, decoded on first access; undefined when the message has none. */
  get headers(): MsgHeaders | undefined {
    if (this.headerSize <= 0) return undefined;
    return (this.decodedHeaders ??= MsgHeaders.decode((this.buffer as Uint8Array).subarray(this.start, this.start + this.headerSize)));
  }

  /** Publishes `data` to the reply subject; false when the message has no reply subject. */
  respond(data?: Payload, options?: { headers?: MsgHeaders }): boolean {
    if (this.reply === "") return false;
    return this.responder(this.reply, data, options);
  }

  /** The payload as UTF-8 text. */
  string(): string {
    const buffer = this.buffer;
    if (typeof buffer === "string") return buffer;
    const bytes = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    return bytes.toString("utf8", this.payloadStart(), this.end);
  }

  /** The payload parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.string()) as T;
  }

  /**
   * What `console.log(msg)` shows: the message, not its bookkeeping (the fields are plain
   * properties for speed, see above, and would otherwise all be printed, buffer included).
   */
  [Symbol.for("nodejs.util.inspect.custom")](): object {
    return { subject: this.subject, reply: this.reply, sid: this.sid, headers: this.headers, data: this.data };
  }
}
