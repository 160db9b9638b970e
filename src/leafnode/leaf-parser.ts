/**
 * Bytes → ops for the leaf node protocol (nats-server parser.go, the LEAF branches): INFO,
 * CONNECT, PING, PONG, +OK, -ERR, `LS+`/`LS-` and `LMSG`/`HMSG`, which carry no sid and may
 * name queue groups (`+ <reply> <queues…>` or `| <queues…>`). Both sides of a link use it.
 *
 * It keeps only what a split read needs (the unfinished line or payload) and hands each op to
 * a {@link LeafProtocolHandler}; the connection decides what the ops mean. A control line is
 * split into fields only once it is complete, never the chunk itself.
 */

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

const LF = 10;
const CR = 13;
const FIELD_SEPARATOR = /[ \t]+/;

interface PendingMessage {
  readonly subject: string;
  readonly reply: string;
  readonly queues: readonly string[] | undefined;
  readonly headerSize: number;
  /** Payload bytes plus the closing CRLF. */
  readonly need: number;
}

export interface LeafParserLimits {
  maxControlLine: number;
  maxPayload: number;
}

export class LeafParser {
  readonly #handler: LeafProtocolHandler;
  readonly #limits: LeafParserLimits;
  /** Bytes of an unfinished control line or payload, carried to the next read. */
  #rest: Buffer | undefined;
  #message: PendingMessage | undefined;
  #halted = false;

  constructor(handler: LeafProtocolHandler, limits: LeafParserLimits) {
    this.#handler = handler;
    this.#limits = limits;
  }

  /** Stops parsing: ops still in the buffer are dropped (the link is closing). */
  halt(): void {
    this.#halted = true;
    this.#rest = undefined;
  }

  parse(chunk: Buffer): LeafParseErrorCode {
    const buf = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    let pos = 0;
    while (pos < buf.length && !this.#halted) {
      const message = this.#message;
      if (message !== undefined) {
        if (buf.length - pos < message.need) break;
        const end = pos + message.need - 2;
        if (buf[end] !== CR || buf[end + 1] !== LF) return LeafParseError.BadArguments;
        this.#message = undefined;
        this.#handler.onLeafMsg(message.subject, message.reply, message.queues, message.headerSize, buf, pos, end);
        pos = end + 2;
        continue;
      }
      const lf = buf.indexOf(LF, pos);
      if (lf < 0) {
        if (buf.length - pos > this.#limits.maxControlLine) return LeafParseError.ControlLineTooLong;
        break;
      }
      if (lf - pos > this.#limits.maxControlLine) return LeafParseError.ControlLineTooLong;
      const lineEnd = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
      const line = buf.toString("latin1", pos, lineEnd);
      pos = lf + 1;
      const err = this.#dispatch(line);
      if (err !== LeafParseError.None) return err;
    }
    if (pos < buf.length && !this.#halted) this.#rest = buf.subarray(pos);
    return LeafParseError.None;
  }

  #dispatch(line: string): LeafParseErrorCode {
    const trimmed = line.trim();
    if (trimmed === "") return LeafParseError.None;
    const space = trimmed.search(FIELD_SEPARATOR);
    const op = (space < 0 ? trimmed : trimmed.slice(0, space)).toUpperCase();
    const rest = space < 0 ? "" : trimmed.slice(space).trim();
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
      case "LMSG":
        return this.#leafMsg(rest, false);
      case "HMSG":
        return this.#leafMsg(rest, true);
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
      const weight = Number(f[2]);
      this.#handler.onLeafSub(f[0]!, f[1]!, Number.isInteger(weight) && weight > 0 ? weight : 1);
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

  /** leafnode.go processLeafMsgArgs / processLeafHeaderMsgArgs. */
  #leafMsg(args: string, withHeaders: boolean): LeafParseErrorCode {
    const f = args === "" ? [] : args.split(FIELD_SEPARATOR);
    const sizes = withHeaders ? 2 : 1;
    if (f.length < 1 + sizes) return LeafParseError.BadArguments;
    const total = parseSize(f[f.length - 1]!);
    const headerSize = withHeaders ? parseSize(f[f.length - 2]!) : -1;
    if (total < 0 || (withHeaders && (headerSize < 0 || headerSize > total))) return LeafParseError.BadArguments;
    if (total > this.#limits.maxPayload) return LeafParseError.PayloadTooLarge;
    const middle = f.slice(1, f.length - sizes);
    let reply = "";
    let queues: string[] | undefined;
    if (middle.length === 1) {
      reply = middle[0]!;
    } else if (middle.length > 1) {
      if (middle[0] === "+") {
        reply = middle[1]!;
        queues = middle.slice(2);
      } else if (middle[0] === "|") {
        queues = middle.slice(1);
      } else {
        return LeafParseError.BadArguments;
      }
    }
    this.#message = { subject: f[0]!, reply, queues, headerSize, need: total + 2 };
    return LeafParseError.None;
  }
}

function parseSize(text: string): number {
  if (!/^\d{1,10}$/.test(text)) return -1;
  return Number(text);
}
