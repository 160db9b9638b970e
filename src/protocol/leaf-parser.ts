/**
 * Incremental parser for the leaf node protocol (kind LEAF in nats-server's `server/parser.go`):
 * INFO, CONNECT, PING, PONG, +OK, -ERR, `LS+`/`LS-` and `LMSG`/`HMSG`, which carry no sid and
 * may name queue groups (`+ <reply> <queues…>` or `| <queues…>`). Both ends of a link use it.
 *
 * The same state machine as the client parser, over the same states (`parser-states.ts`):
 * bytes stepped through the op name, the control line found with one scan and bounded by the
 * control-line limit as it is carried across reads, the payload skipped by length and bounded
 * by the payload limit. It hands typed ops to a {@link LeafProtocolHandler}; the link decides
 * what they mean.
 *
 * Where the links were more lenient than parser.go they stay so: blank lines and blanks before
 * an op are skipped, INFO/CONNECT/-ERR may have an empty argument; a bad payload end is
 * {@link ParseError.BadArguments} (the link answers both with `Unknown Protocol Operation`).
 */
import { CR, isBlank, LF, parseSize, ParseError, State, type ParseErrorCode, type StateCode } from "./parser-states.ts";

export { ParseError as LeafParseError, type ParseErrorCode as LeafParseErrorCode } from "./parser-states.ts";

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
   * group takes it), `headerSize` is -1 for LMSG. The payload is `data[start, end)`; `data`
   * may be the read chunk itself: copy the region to keep it past this call.
   */
  onLeafMsg(subject: string, reply: string, queues: readonly string[] | undefined, headerSize: number, data: Buffer, start: number, end: number): void;
}

export interface LeafParserLimits {
  /** Longest control-line argument accepted, in bytes. */
  maxControlLine: number;
  /** Largest LMSG/HMSG payload accepted, in bytes. */
  maxPayload: number;
}

/** Which op a control line in an `*_ARG` state belongs to. */
const LeafArg = { None: 0, Info: 1, Connect: 2, Err: 3, Sub: 4, Unsub: 5, Msg: 6, Hmsg: 7 } as const;
type LeafArgCode = (typeof LeafArg)[keyof typeof LeafArg];

/** Fields of a control line decoded in place; a line with more (many queue names) is split as text. */
const MAX_FAST_FIELDS = 16;
/** Subjects up to this long are remembered for reuse by the next message. */
const SUBJECT_REUSE_MAX = 256;
const FIELD_SEPARATOR = /[ \t]+/;
const EMPTY = Buffer.alloc(0);

export class LeafParser {
  readonly #handler: LeafProtocolHandler;
  readonly #maxControlLine: number;
  readonly #maxPayload: number;

  #state: StateCode = State.OP_START;
  #argOp: LeafArgCode = LeafArg.None;
  /** Start of the current control-line argument in the current chunk. */
  #argStart = 0;
  /** Control-line bytes carried over from earlier chunks (split control line). */
  #argBuf: Buffer | undefined;
  #argLen = 0;
  #halted = false;

  /** The message whose payload is being read, set when its control line is complete. */
  #msgSubject = "";
  #msgReply = "";
  #msgQueues: readonly string[] | undefined;
  #msgHeaderSize = -1;
  #msgSize = 0;
  /** Payload being assembled across chunks; undefined while the payload sits in one chunk. */
  #payloadBuf: Buffer | undefined;
  #payloadLen = 0;

  readonly #fieldStart = new Int32Array(MAX_FAST_FIELDS);
  readonly #fieldEnd = new Int32Array(MAX_FAST_FIELDS);
  readonly #lastSubjectBytes = Buffer.alloc(SUBJECT_REUSE_MAX);
  #lastSubjectLength = -1;
  #lastSubject = "";

  constructor(handler: LeafProtocolHandler, limits: LeafParserLimits) {
    this.#handler = handler;
    this.#maxControlLine = limits.maxControlLine;
    this.#maxPayload = limits.maxPayload;
  }

  /** Stops parsing for good (the link is closing): what is buffered is dropped. */
  halt(): void {
    this.#halted = true;
    this.#argBuf = undefined;
    this.#argLen = 0;
    this.#payloadBuf = undefined;
    this.#payloadLen = 0;
  }

  /** Bytes buffered for a split control line or payload (bounded by the limits). */
  get bufferedBytes(): number {
    return this.#argLen + this.#payloadLen;
  }

  /**
   * Parses one chunk. Returns {@link ParseError.None} when the chunk was consumed, otherwise
   * what stopped it; the ops before have been handed on, as in nats-server.
   */
  parse(buf: Buffer): ParseErrorCode {
    if (this.#halted) return ParseError.Halted;
    const len = buf.length;
    for (let i = 0; i < len; i++) {
      const b = buf[i]!;
      switch (this.#state) {
        case State.OP_START:
          switch (b) {
            case 0x4c: case 0x6c: this.#state = State.OP_L; break; // L
            case 0x48: case 0x68: this.#state = State.OP_H; break; // H
            case 0x50: case 0x70: this.#state = State.OP_P; break; // P
            case 0x49: case 0x69: this.#state = State.OP_I; break; // I
            case 0x43: case 0x63: this.#state = State.OP_C; break; // C
            case 0x2b: this.#state = State.OP_PLUS; break; // +
            case 0x2d: this.#state = State.OP_MINUS; break; // -
            // Blank lines and blanks before an op are skipped.
            case 0x20: case 0x09: case CR: case LF: break;
            default: return ParseError.UnknownOperation;
          }
          break;

        case State.OP_L:
          if (b === 0x53 || b === 0x73) this.#state = State.OP_LS;
          else if (b === 0x4d || b === 0x6d) this.#state = State.OP_M;
          else return ParseError.UnknownOperation;
          break;
        case State.OP_LS:
          if (b === 0x2b) {
            this.#state = State.OP_SUB;
            this.#argOp = LeafArg.Sub;
          } else if (b === 0x2d) {
            this.#state = State.OP_SUB;
            this.#argOp = LeafArg.Unsub;
          } else {
            return ParseError.UnknownOperation;
          }
          break;
        case State.OP_SUB:
          if (isBlank(b)) this.#state = State.OP_SUB_SPC;
          else if (b === CR || b === LF) i = this.#beginArg(State.SUB_ARG, this.#argOp, i);
          else return ParseError.UnknownOperation;
          break;
        case State.OP_SUB_SPC:
          if (!isBlank(b)) i = this.#beginArg(State.SUB_ARG, this.#argOp, i);
          break;

        case State.OP_M:
          if (b !== 0x53 && b !== 0x73) return ParseError.UnknownOperation;
          this.#state = State.OP_MS;
          break;
        case State.OP_MS:
          if (b !== 0x47 && b !== 0x67) return ParseError.UnknownOperation;
          this.#state = State.OP_MSG;
          break;
        case State.OP_MSG:
          if (!isBlank(b)) return ParseError.UnknownOperation;
          this.#state = State.OP_MSG_SPC;
          break;
        case State.OP_MSG_SPC:
          if (!isBlank(b)) i = this.#beginArg(State.MSG_ARG, LeafArg.Msg, i);
          break;

        case State.OP_H:
          if (b !== 0x4d && b !== 0x6d) return ParseError.UnknownOperation;
          this.#state = State.OP_HM;
          break;
        case State.OP_HM:
          if (b !== 0x53 && b !== 0x73) return ParseError.UnknownOperation;
          this.#state = State.OP_HMS;
          break;
        case State.OP_HMS:
          if (b !== 0x47 && b !== 0x67) return ParseError.UnknownOperation;
          this.#state = State.OP_HMSG;
          break;
        case State.OP_HMSG:
          if (!isBlank(b)) return ParseError.UnknownOperation;
          this.#state = State.OP_HMSG_SPC;
          break;
        case State.OP_HMSG_SPC:
          if (!isBlank(b)) i = this.#beginArg(State.HMSG_ARG, LeafArg.Hmsg, i);
          break;

        case State.OP_P:
          if (b === 0x49 || b === 0x69) this.#state = State.OP_PI;
          else if (b === 0x4f || b === 0x6f) this.#state = State.OP_PO;
          else return ParseError.UnknownOperation;
          break;
        case State.OP_PI:
          if (b !== 0x4e && b !== 0x6e) return ParseError.UnknownOperation;
          this.#state = State.OP_PIN;
          break;
        case State.OP_PIN:
          if (b !== 0x47 && b !== 0x67) return ParseError.UnknownOperation;
          this.#state = State.OP_PING;
          break;
        case State.OP_PING:
          // As parser.go: anything up to the newline is ignored.
          if (b === LF) {
            this.#state = State.OP_START;
            this.#handler.onPing();
            if (this.#halted) return ParseError.Halted;
          }
          break;
        case State.OP_PO:
          if (b !== 0x4e && b !== 0x6e) return ParseError.UnknownOperation;
          this.#state = State.OP_PON;
          break;
        case State.OP_PON:
          if (b !== 0x47 && b !== 0x67) return ParseError.UnknownOperation;
          this.#state = State.OP_PONG;
          break;
        case State.OP_PONG:
          if (b === LF) {
            this.#state = State.OP_START;
            this.#handler.onPong();
            if (this.#halted) return ParseError.Halted;
          }
          break;

        case State.OP_PLUS:
          if (b !== 0x4f && b !== 0x6f) return ParseError.UnknownOperation;
          this.#state = State.OP_PLUS_O;
          break;
        case State.OP_PLUS_O:
          if (b !== 0x4b && b !== 0x6b) return ParseError.UnknownOperation;
          this.#state = State.OP_PLUS_OK;
          break;
        case State.OP_PLUS_OK:
          if (b === LF) {
            this.#state = State.OP_START;
            this.#handler.onOk();
            if (this.#halted) return ParseError.Halted;
          }
          break;

        case State.OP_MINUS:
          if (b !== 0x45 && b !== 0x65) return ParseError.UnknownOperation;
          this.#state = State.OP_MINUS_E;
          break;
        case State.OP_MINUS_E:
          if (b !== 0x52 && b !== 0x72) return ParseError.UnknownOperation;
          this.#state = State.OP_MINUS_ER;
          break;
        case State.OP_MINUS_ER:
          if (b !== 0x52 && b !== 0x72) return ParseError.UnknownOperation;
          this.#state = State.OP_MINUS_ERR;
          break;
        case State.OP_MINUS_ERR:
          if (isBlank(b)) this.#state = State.OP_MINUS_ERR_SPC;
          else if (b === CR || b === LF) i = this.#beginArg(State.MINUS_ERR_ARG, LeafArg.Err, i);
          else return ParseError.UnknownOperation;
          break;
        case State.OP_MINUS_ERR_SPC:
          if (!isBlank(b)) i = this.#beginArg(State.MINUS_ERR_ARG, LeafArg.Err, i);
          break;

        case State.OP_I:
          if (b !== 0x4e && b !== 0x6e) return ParseError.UnknownOperation;
          this.#state = State.OP_IN;
          break;
        case State.OP_IN:
          if (b !== 0x46 && b !== 0x66) return ParseError.UnknownOperation;
          this.#state = State.OP_INF;
          break;
        case State.OP_INF:
          if (b !== 0x4f && b !== 0x6f) return ParseError.UnknownOperation;
          this.#state = State.OP_INFO;
          break;
        case State.OP_INFO:
          // As parser.go: blanks skipped, the argument starts at the first other byte.
          if (!isBlank(b)) i = this.#beginArg(State.INFO_ARG, LeafArg.Info, i);
          break;

        case State.OP_C:
          if (b !== 0x4f && b !== 0x6f) return ParseError.UnknownOperation;
          this.#state = State.OP_CO;
          break;
        case State.OP_CO:
          if (b !== 0x4e && b !== 0x6e) return ParseError.UnknownOperation;
          this.#state = State.OP_CON;
          break;
        case State.OP_CON:
          if (b !== 0x4e && b !== 0x6e) return ParseError.UnknownOperation;
          this.#state = State.OP_CONN;
          break;
        case State.OP_CONN:
          if (b !== 0x45 && b !== 0x65) return ParseError.UnknownOperation;
          this.#state = State.OP_CONNE;
          break;
        case State.OP_CONNE:
          if (b !== 0x43 && b !== 0x63) return ParseError.UnknownOperation;
          this.#state = State.OP_CONNEC;
          break;
        case State.OP_CONNEC:
          if (b !== 0x54 && b !== 0x74) return ParseError.UnknownOperation;
          this.#state = State.OP_CONNECT;
          break;
        case State.OP_CONNECT:
          if (!isBlank(b)) i = this.#beginArg(State.CONNECT_ARG, LeafArg.Connect, i);
          break;

        case State.SUB_ARG:
        case State.MSG_ARG:
        case State.HMSG_ARG:
        case State.INFO_ARG:
        case State.CONNECT_ARG:
        case State.MINUS_ERR_ARG: {
          // Find the end of the line in one scan rather than a state step per byte.
          const nl = buf.indexOf(LF, i);
          if (nl < 0) return this.#saveSplitArg(buf, this.#argStart, len);
          const err = this.#endControlLine(buf, nl);
          if (err !== ParseError.None) return err;
          i = nl;
          if ((this.#state as StateCode) === State.MSG_PAYLOAD) {
            // The payload starts after the newline: take it whole if it is all here.
            const start = nl + 1;
            const end = start + this.#msgSize;
            if (end + 2 <= len) {
              if (buf[end] !== CR || buf[end + 1] !== LF) return ParseError.BadArguments;
              this.#state = State.OP_START;
              this.#deliver(buf, start, end);
              if (this.#halted) return ParseError.Halted;
              i = end + 1;
            } else {
              // Split payload: keep what we have and wait for the rest.
              this.#payloadBuf = this.#msgSize === 0 ? EMPTY : Buffer.allocUnsafe(this.#msgSize);
              this.#payloadLen = 0;
            }
          }
          break;
        }

        case State.MSG_PAYLOAD: {
          // Only reached for a payload split across chunks.
          const want = this.#msgSize - this.#payloadLen;
          const take = Math.min(want, len - i);
          buf.copy(this.#payloadBuf!, this.#payloadLen, i, i + take);
          this.#payloadLen += take;
          i += take;
          if (this.#payloadLen === this.#msgSize) {
            this.#state = State.MSG_END_R;
            i--;
          } else {
            i = len;
          }
          break;
        }
        case State.MSG_END_R:
          if (b !== CR) return ParseError.BadArguments;
          this.#state = State.MSG_END_N;
          break;
        case State.MSG_END_N: {
          if (b !== LF) return ParseError.BadArguments;
          const payload = this.#payloadBuf!;
          this.#payloadBuf = undefined;
          this.#payloadLen = 0;
          this.#state = State.OP_START;
          this.#deliver(payload, 0, payload.length);
          if (this.#halted) return ParseError.Halted;
          break;
        }

        default:
          return ParseError.UnknownOperation;
      }
    }
    return ParseError.None;
  }

  #deliver(data: Buffer, start: number, end: number): void {
    this.#handler.onLeafMsg(this.#msgSubject, this.#msgReply, this.#msgQueues, this.#msgHeaderSize, data, start, end);
  }

  /** Enters an `*_ARG` state at byte `i`; returns the index the loop continues from (this byte again). */
  #beginArg(state: StateCode, op: LeafArgCode, i: number): number {
    this.#state = state;
    this.#argOp = op;
    this.#argStart = i;
    return i - 1;
  }

  /**
   * Keeps the part of a control line seen so far, bounded by the control-line limit as it
   * grows: a peer that never sends a newline cannot make us buffer more than that.
   */
  #saveSplitArg(buf: Buffer, start: number, end: number): ParseErrorCode {
    const n = end - start;
    const total = this.#argLen + n;
    // +1 leaves room for a trailing CR that is not part of the argument.
    if (total > this.#maxControlLine + 1) return ParseError.ControlLineTooLong;
    if (this.#argBuf === undefined) this.#argBuf = Buffer.allocUnsafe(Math.min(this.#maxControlLine + 2, Math.max(256, n * 2)));
    if (total > this.#argBuf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#maxControlLine + 2, Math.max(total, this.#argBuf.length * 2)));
      this.#argBuf.copy(grown, 0, 0, this.#argLen);
      this.#argBuf = grown;
    }
    buf.copy(this.#argBuf, this.#argLen, start, end);
    this.#argLen = total;
    this.#argStart = 0;
    return ParseError.None;
  }

  /** A control line ended at `nl` (the LF): decode its arguments and act on them. */
  #endControlLine(buf: Buffer, nl: number): ParseErrorCode {
    let line: Buffer;
    let start: number;
    let end: number;
    if (this.#argBuf !== undefined) {
      const err = this.#saveSplitArg(buf, this.#argStart, nl);
      if (err !== ParseError.None) return err;
      line = this.#argBuf;
      start = 0;
      end = this.#argLen;
      this.#argBuf = undefined;
      this.#argLen = 0;
    } else {
      line = buf;
      start = this.#argStart;
      end = nl;
    }
    this.#argStart = 0;
    // As the client parser (parser.go): a CR in the line cuts one byte before the LF.
    const cr = line.indexOf(CR, start);
    if (cr >= 0 && cr < end) end--;
    if (end - start > this.#maxControlLine) return ParseError.ControlLineTooLong;
    while (end > start && isBlank(line[end - 1]!)) end--;

    const op = this.#argOp;
    this.#argOp = LeafArg.None;
    this.#state = State.OP_START;
    const h = this.#handler;
    switch (op) {
      case LeafArg.Msg:
        return this.#msgArgs(line, start, end, false);
      case LeafArg.Hmsg:
        return this.#msgArgs(line, start, end, true);
      case LeafArg.Sub:
        return this.#leafSub(line, start, end);
      case LeafArg.Unsub:
        return this.#leafUnsub(line, start, end);
      case LeafArg.Info:
        h.onInfo(line.toString("utf8", start, end));
        break;
      case LeafArg.Connect:
        h.onConnect(line.toString("utf8", start, end));
        break;
      case LeafArg.Err: {
        const quoted = end - start >= 2 && line[start] === 0x27 && line[end - 1] === 0x27;
        h.onErr(quoted ? line.toString("utf8", start + 1, end - 1) : line.toString("utf8", start, end));
        break;
      }
    }
    return this.#halted ? ParseError.Halted : ParseError.None;
  }

  /** Splits `line[start, end)` on blanks into the field arrays; MAX_FAST_FIELDS + 1 means "more". */
  #split(line: Buffer, start: number, end: number): number {
    const starts = this.#fieldStart;
    const ends = this.#fieldEnd;
    let n = 0;
    let p = start;
    while (p < end) {
      while (p < end && isBlank(line[p]!)) p++;
      if (p === end) break;
      if (n === MAX_FAST_FIELDS) return n + 1;
      starts[n] = p;
      while (p < end && !isBlank(line[p]!)) p++;
      ends[n++] = p;
    }
    return n;
  }

  /** leafnode.go processLeafMsgArgs / processLeafHeaderMsgArgs. */
  #msgArgs(line: Buffer, start: number, end: number, withHeaders: boolean): ParseErrorCode {
    const n = this.#split(line, start, end);
    if (n > MAX_FAST_FIELDS) return this.#slowMsgArgs(line.toString("latin1", start, end), withHeaders);
    const starts = this.#fieldStart;
    const ends = this.#fieldEnd;
    const sizes = withHeaders ? 2 : 1;
    if (n < 1 + sizes) return ParseError.BadArguments;
    const total = parseSize(line, starts[n - 1]!, ends[n - 1]!);
    const headerSize = withHeaders ? parseSize(line, starts[n - 2]!, ends[n - 2]!) : -1;
    if (total < 0 || (withHeaders && (headerSize < 0 || headerSize > total))) return ParseError.BadArguments;
    if (total > this.#maxPayload) return ParseError.PayloadTooLarge;
    const middle = n - 1 - sizes;
    let reply = "";
    let queues: string[] | undefined;
    if (middle === 1) {
      reply = line.toString("latin1", starts[1], ends[1]);
    } else if (middle > 1) {
      const mark = ends[1]! - starts[1]! === 1 ? line[starts[1]!] : 0;
      let q = 2;
      if (mark === 0x2b) {
        reply = line.toString("latin1", starts[2], ends[2]);
        q = 3;
      } else if (mark !== 0x7c) {
        return ParseError.BadArguments;
      }
      queues = [];
      for (; q < n - sizes; q++) queues.push(line.toString("latin1", starts[q], ends[q]));
    }
    this.#setMessage(this.#subject(line, starts[0]!, ends[0]!), reply, queues, headerSize, total);
    return ParseError.None;
  }

  /** A message line with more fields than are decoded in place (many queue names): split as text. */
  #slowMsgArgs(args: string, withHeaders: boolean): ParseErrorCode {
    const f = args.trim().split(FIELD_SEPARATOR);
    const sizes = withHeaders ? 2 : 1;
    const total = parseDecimal(f[f.length - 1]!);
    const headerSize = withHeaders ? parseDecimal(f[f.length - 2]!) : -1;
    if (total < 0 || (withHeaders && (headerSize < 0 || headerSize > total))) return ParseError.BadArguments;
    if (total > this.#maxPayload) return ParseError.PayloadTooLarge;
    const middle = f.slice(1, f.length - sizes);
    let reply = "";
    let queues: string[];
    if (middle[0] === "+") {
      reply = middle[1]!;
      queues = middle.slice(2);
    } else if (middle[0] === "|") {
      queues = middle.slice(1);
    } else {
      return ParseError.BadArguments;
    }
    this.#setMessage(f[0]!, reply, queues, headerSize, total);
    return ParseError.None;
  }

  #setMessage(subject: string, reply: string, queues: readonly string[] | undefined, headerSize: number, size: number): void {
    this.#msgSubject = subject;
    this.#msgReply = reply;
    this.#msgQueues = queues;
    this.#msgHeaderSize = headerSize;
    this.#msgSize = size;
    this.#state = State.MSG_PAYLOAD;
  }

  /** `LS+ <subject>[ <queue> <weight>]` (leafnode.go processLeafSub); a weight that is no number counts 1. */
  #leafSub(line: Buffer, start: number, end: number): ParseErrorCode {
    const n = this.#split(line, start, end);
    const starts = this.#fieldStart;
    const ends = this.#fieldEnd;
    if (n === 1) {
      this.#handler.onLeafSub(line.toString("latin1", starts[0], ends[0]), undefined, 1);
    } else if (n === 3) {
      const weight = parseSize(line, starts[2]!, ends[2]!);
      this.#handler.onLeafSub(line.toString("latin1", starts[0], ends[0]), line.toString("latin1", starts[1], ends[1]), weight > 0 ? weight : 1);
    } else {
      return ParseError.BadArguments;
    }
    return this.#halted ? ParseError.Halted : ParseError.None;
  }

  /** `LS- <subject>[ <queue>]`; nats-server's LS- may carry the weight too, which is ignored. */
  #leafUnsub(line: Buffer, start: number, end: number): ParseErrorCode {
    const n = this.#split(line, start, end);
    if (n < 1 || n > 3) return ParseError.BadArguments;
    const starts = this.#fieldStart;
    const ends = this.#fieldEnd;
    const queue = n > 1 ? line.toString("latin1", starts[1], ends[1]) : undefined;
    this.#handler.onLeafUnsub(line.toString("latin1", starts[0], ends[0]), queue);
    return this.#halted ? ParseError.Halted : ParseError.None;
  }

  /** The subject, reusing the previous string while the bytes repeat (one string for the sublist cache too). */
  #subject(line: Buffer, start: number, end: number): string {
    const n = end - start;
    const last = this.#lastSubjectBytes;
    if (n === this.#lastSubjectLength) {
      let i = 0;
      while (i < n && line[start + i] === last[i]) i++;
      if (i === n) return this.#lastSubject;
    }
    const subject = line.toString("latin1", start, end);
    if (n <= last.length) {
      line.copy(last, 0, start, end);
      this.#lastSubjectLength = n;
      this.#lastSubject = subject;
    } else {
      this.#lastSubjectLength = -1;
    }
    return subject;
  }
}

function parseDecimal(text: string): number {
  return /^\d{1,9}$/.test(text) ? Number(text) : -1;
}
