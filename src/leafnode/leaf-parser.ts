/**
 * Bytes → ops for the leaf node protocol (nats-server parser.go, the LEAF branches): INFO,
 * CONNECT, PING, PONG, +OK, -ERR, `LS+`/`LS-` and `LMSG`/`HMSG`, which carry no sid and may
 * name queue groups (`+ <reply> <queues…>` or `| <queues…>`). Both sides of a link use it.
 *
 * It hands each op to a {@link LeafProtocolHandler}; the link decides what the ops mean.
 * Messages, the hot path, are decoded from the bytes: fields found by scanning for blanks,
 * sizes read digit by digit, the subject string reused while it repeats. An op split across
 * reads is completed from the next read without copying that read whole.
 */
import { parseSize } from "../protocol/parser.ts";

/** What the parser reports, one method per op. */
export interface LeafProtocolHandler {
  onInfo(json: string): void;
  onConnect(json: string): void;
  onPing(): void;
  onPong(): void;
  onOk(): void;
  onErr(text: string): void;
  /** `LS+ <subject>[ <queue> <weight>]`. */
  onLeafSub(subject: string, queue: string | undefined, weight: number): void;
  /** `LS- <subject>[ <queue>]`. */
  onLeafUnsub(subject: string, queue: string | undefined): void;
  /**
   * `LMSG`/`HMSG`: `queues` is undefined when the message names none (then no local queue
   * group takes it), `headerSize` is -1 for LMSG. The payload is `data[start, end)`.
   */
  onLeafMsg(subject: string, reply: string, queues: readonly string[] | undefined, headerSize: number, data: Buffer, start: number, end: number): void;
}

export const LeafParseError = {
  None: 0,
  UnknownOperation: 1,
  ControlLineTooLong: 2,
  PayloadTooLarge: 3,
  BadArguments: 4,
} as const;
export type LeafParseErrorCode = (typeof LeafParseError)[keyof typeof LeafParseError];

export interface LeafParserLimits {
  maxControlLine: number;
  maxPayload: number;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
/** `| 0x20` lower-cases an ASCII letter. */
const LOWER = 0x20;
/** Fields of an LMSG/HMSG line decoded in place; a line with more (many queue names) takes the slow path. */
const MAX_FAST_FIELDS = 16;
const SUBJECT_REUSE_MAX = 256;
const FIELD_SEPARATOR = /[ \t]+/;

interface PendingMessage {
  readonly subject: string;
  readonly reply: string;
  readonly queues: readonly string[] | undefined;
  readonly headerSize: number;
  /** Payload bytes plus the closing CRLF. */
  readonly need: number;
}

export class LeafParser {
  readonly #handler: LeafProtocolHandler;
  readonly #limits: LeafParserLimits;
  /** Reads holding the start of an unfinished op, and their total length. */
  #held: Buffer[] = [];
  #heldLength = 0;
  #message: PendingMessage | undefined;
  #halted = false;
  readonly #fieldStart = new Int32Array(MAX_FAST_FIELDS);
  readonly #fieldEnd = new Int32Array(MAX_FAST_FIELDS);
  readonly #lastSubjectBytes = Buffer.alloc(SUBJECT_REUSE_MAX);
  #lastSubjectLength = -1;
  #lastSubject = "";

  constructor(handler: LeafProtocolHandler, limits: LeafParserLimits) {
    this.#handler = handler;
    this.#limits = limits;
  }

  /** Stops parsing: ops still in the buffer are dropped (the link is closing). */
  halt(): void {
    this.#halted = true;
    this.#held = [];
    this.#heldLength = 0;
  }

  parse(chunk: Buffer): LeafParseErrorCode {
    if (this.#halted) return LeafParseError.None;
    let buf = chunk;
    if (this.#heldLength > 0) {
      // Complete the unfinished op with just the bytes it needs from this read.
      const message = this.#message;
      let take: number;
      if (message !== undefined) {
        take = message.need - this.#heldLength;
      } else {
        const lf = chunk.indexOf(LF);
        if (lf < 0) {
          if (this.#heldLength + chunk.length > this.#limits.maxControlLine) return LeafParseError.ControlLineTooLong;
          take = chunk.length + 1;
        } else {
          take = lf + 1;
        }
      }
      if (take > chunk.length) {
        this.#hold(chunk);
        return LeafParseError.None;
      }
      const head = Buffer.concat([...this.#held, chunk.subarray(0, take)]);
      this.#held = [];
      this.#heldLength = 0;
      const err = this.#parseBuffer(head);
      if (err !== LeafParseError.None) return err;
      // The head held exactly one op, unless it was a message's control line: then its payload follows.
      buf = this.#heldLength > 0 ? Buffer.concat([this.#takeHeld(), chunk.subarray(take)]) : chunk.subarray(take);
    }
    return this.#parseBuffer(buf);
  }

  #hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#held.push(bytes);
    this.#heldLength += bytes.length;
  }

  #takeHeld(): Buffer {
    const held = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held);
    this.#held = [];
    this.#heldLength = 0;
    return held;
  }

  #parseBuffer(buf: Buffer): LeafParseErrorCode {
    let pos = 0;
    const len = buf.length;
    while (pos < len && !this.#halted) {
      const message = this.#message;
      if (message !== undefined) {
        if (len - pos < message.need) break;
        const end = pos + message.need - 2;
        if (buf[end] !== CR || buf[end + 1] !== LF) return LeafParseError.BadArguments;
        this.#message = undefined;
        this.#handler.onLeafMsg(message.subject, message.reply, message.queues, message.headerSize, buf, pos, end);
        pos = end + 2;
        continue;
      }
      const lf = buf.indexOf(LF, pos);
      if (lf < 0) {
        if (len - pos > this.#limits.maxControlLine) return LeafParseError.ControlLineTooLong;
        break;
      }
      if (lf - pos > this.#limits.maxControlLine) return LeafParseError.ControlLineTooLong;
      const lineEnd = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
      const err = this.#controlLine(buf, pos, lineEnd);
      if (err !== LeafParseError.None) return err;
      pos = lf + 1;
    }
    if (pos < len && !this.#halted) this.#hold(buf.subarray(pos));
    return LeafParseError.None;
  }

  #controlLine(buf: Buffer, start: number, end: number): LeafParseErrorCode {
    let p = start;
    while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
    if (p === end) return LeafParseError.None;
    // The messages first, decoded from the bytes: `LMSG ` / `HMSG `, any case.
    if (end - p > 5 && (buf[p + 1]! | LOWER) === 0x6d && (buf[p + 2]! | LOWER) === 0x73 && (buf[p + 3]! | LOWER) === 0x67 && isBlank(buf[p + 4]!)) {
      const first = buf[p]! | LOWER;
      if (first === 0x6c) return this.#message_(buf, p + 5, end, false);
      if (first === 0x68) return this.#message_(buf, p + 5, end, true);
    }
    return this.#otherOp(buf.toString("latin1", p, end));
  }

  /** leafnode.go processLeafMsgArgs / processLeafHeaderMsgArgs. */
  #message_(buf: Buffer, from: number, end: number, withHeaders: boolean): LeafParseErrorCode {
    const starts = this.#fieldStart;
    const ends = this.#fieldEnd;
    let n = 0;
    let p = from;
    while (p < end) {
      while (p < end && isBlank(buf[p]!)) p++;
      if (p === end) break;
      if (n === MAX_FAST_FIELDS) return this.#slowMessage(buf.toString("latin1", from, end), withHeaders);
      starts[n] = p;
      while (p < end && !isBlank(buf[p]!)) p++;
      ends[n++] = p;
    }
    const sizes = withHeaders ? 2 : 1;
    if (n < 1 + sizes) return LeafParseError.BadArguments;
    const total = parseSize(buf, starts[n - 1]!, ends[n - 1]!);
    const headerSize = withHeaders ? parseSize(buf, starts[n - 2]!, ends[n - 2]!) : -1;
    if (total < 0 || (withHeaders && (headerSize < 0 || headerSize > total))) return LeafParseError.BadArguments;
    if (total > this.#limits.maxPayload) return LeafParseError.PayloadTooLarge;
    const subject = this.#subject(buf, starts[0]!, ends[0]!);
    const middle = n - 1 - sizes;
    let reply = "";
    let queues: string[] | undefined;
    if (middle === 1) {
      reply = buf.toString("latin1", starts[1], ends[1]);
    } else if (middle > 1) {
      const mark = ends[1]! - starts[1]! === 1 ? buf[starts[1]!] : 0;
      let q = 2;
      if (mark === 0x2b) {
        reply = buf.toString("latin1", starts[2], ends[2]);
        q = 3;
      } else if (mark !== 0x7c) {
        return LeafParseError.BadArguments;
      }
      queues = [];
      for (; q < n - sizes; q++) queues.push(buf.toString("latin1", starts[q], ends[q]));
    }
    this.#message = { subject, reply, queues, headerSize, need: total + 2 };
    return LeafParseError.None;
  }

  /** A message line with more fields than the fast path keeps: split as text. */
  #slowMessage(args: string, withHeaders: boolean): LeafParseErrorCode {
    const f = args.trim().split(FIELD_SEPARATOR);
    const sizes = withHeaders ? 2 : 1;
    const total = parseDecimal(f[f.length - 1]!);
    const headerSize = withHeaders ? parseDecimal(f[f.length - 2]!) : -1;
    if (total < 0 || (withHeaders && (headerSize < 0 || headerSize > total))) return LeafParseError.BadArguments;
    if (total > this.#limits.maxPayload) return LeafParseError.PayloadTooLarge;
    const middle = f.slice(1, f.length - sizes);
    let reply = "";
    let queues: string[];
    if (middle[0] === "+") {
      reply = middle[1]!;
      queues = middle.slice(2);
    } else if (middle[0] === "|") {
      queues = middle.slice(1);
    } else {
      return LeafParseError.BadArguments;
    }
    this.#message = { subject: f[0]!, reply, queues, headerSize, need: total + 2 };
    return LeafParseError.None;
  }

  /** The subject, reusing the previous string while the bytes repeat (one string for the sublist cache too). */
  #subject(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    const last = this.#lastSubjectBytes;
    if (n === this.#lastSubjectLength) {
      let i = 0;
      while (i < n && buf[start + i] === last[i]) i++;
      if (i === n) return this.#lastSubject;
    }
    const subject = buf.toString("latin1", start, end);
    if (n <= last.length) {
      buf.copy(last, 0, start, end);
      this.#lastSubjectLength = n;
      this.#lastSubject = subject;
    } else {
      this.#lastSubjectLength = -1;
    }
    return subject;
  }

  /** The rare ops, as text. */
  #otherOp(line: string): LeafParseErrorCode {
    const space = line.search(FIELD_SEPARATOR);
    const op = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const rest = space < 0 ? "" : line.slice(space).trim();
    const h = this.#handler;
    switch (op) {
      case "PING":
        h.onPing();
        return LeafParseError.None;
      case "PONG":
        h.onPong();
        return LeafParseError.None;
      case "+OK":
        h.onOk();
        return LeafParseError.None;
      case "-ERR":
        h.onErr(rest.replace(/^'(.*)'$/, "$1"));
        return LeafParseError.None;
      case "INFO":
        h.onInfo(rest);
        return LeafParseError.None;
      case "CONNECT":
        h.onConnect(rest);
        return LeafParseError.None;
      case "LS+":
        return this.#leafSub(rest);
      case "LS-":
        return this.#leafUnsub(rest);
      default:
        return LeafParseError.UnknownOperation;
    }
  }

  #leafSub(args: string): LeafParseErrorCode {
    const f = args === "" ? [] : args.split(FIELD_SEPARATOR);
    if (f.length === 1) {
      this.#handler.onLeafSub(f[0]!, undefined, 1);
      return LeafParseError.None;
    }
    if (f.length === 3) {
      const weight = parseDecimal(f[2]!);
      this.#handler.onLeafSub(f[0]!, f[1]!, weight > 0 ? weight : 1);
      return LeafParseError.None;
    }
    return LeafParseError.BadArguments;
  }

  #leafUnsub(args: string): LeafParseErrorCode {
    const f = args === "" ? [] : args.split(FIELD_SEPARATOR);
    // nats-server's LS- may carry the weight too; it is ignored.
    if (f.length < 1 || f.length > 3) return LeafParseError.BadArguments;
    this.#handler.onLeafUnsub(f[0]!, f[1]);
    return LeafParseError.None;
  }
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function parseDecimal(text: string): number {
  return /^\d{1,9}$/.test(text) ? Number(text) : -1;
}
