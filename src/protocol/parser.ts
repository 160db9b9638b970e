/**
 * Incremental parser for the client side of the NATS protocol: bytes in, typed ops out.
 *
 * A state machine over bytes, state for state after nats-server's `server/parser.go`, so that
 * what it accepts and rejects matches the reference server by construction: ops are
 * case-insensitive, fields are separated by spaces or tabs, an op may be split across any
 * chunk boundary, many ops may arrive in one chunk, and payloads are skipped by length rather
 * than scanned. Only the short argument fields of a control line are ever decoded to strings.
 *
 * The parser has no I/O and no timers: it hands ops to a {@link ProtocolHandler} and reports
 * a {@link ParseError} code; the connection decides what each means.
 */
import { MAX_CONTROL_LINE_SIZE, MAX_PAYLOAD_SIZE } from "../base/constants.ts";
import { CR, LF, parseSize, ParseError, SPACE, State, TAB, type ParseErrorCode, type StateCode } from "./parser-states.ts";

export { ParseError, parseSize, type ParseErrorCode } from "./parser-states.ts";

/** Receives the ops the parser recognises, in order. */
export interface ProtocolHandler {
  /** `CONNECT <json>`; the JSON text is decoded as UTF-8. */
  onConnect(json: string): void;
  /**
   * `PUB`/`HPUB` with its complete payload, which is `data[start, end)`. `headerSize` is -1
   * for PUB; for HPUB it is the length of the header block at the start of the payload (0 is
   * allowed: no headers). `data` may be the read chunk itself: copy the region to keep it past
   * this call. (A region rather than a view: a view per message costs an allocation.)
   */
  onPub(subject: string, reply: string, headerSize: number, data: Buffer, start: number, end: number): void;
  /** `SUB <subject> [queue] <sid>`; `queue` is undefined for a plain subscription. */
  onSub(subject: string, queue: string | undefined, sid: string): void;
  /** `UNSUB <sid> [max]`; `max` is -1 when absent or not a number (nats-server unsubscribes at once). */
  onUnsub(sid: string, max: number): void;
  onPing(): void;
  onPong(): void;
  /** `-ERR` sent by a client: nats-server logs it and closes the connection. */
  onClientError(text: string): void;
}

/** Which op a control line in an `*_ARG` state belongs to. */
const ArgOp = { None: 0, Pub: 1, Hpub: 2, Sub: 3, Unsub: 4, Connect: 5, Info: 6, Err: 7 } as const;
type ArgOpCode = (typeof ArgOp)[keyof typeof ArgOp];

/** Subjects up to this long are remembered for reuse by the next PUB. */
const LAST_SUBJECT_MAX = 64;

/** PUB control lines up to this long (with `PUB ` and CRLF) are remembered for the next PUB. */
const LAST_LINE_MAX = 128;

export interface ParserOptions {
  /** Longest control-line argument accepted, in bytes (nats-server `max_control_line`). */
  maxControlLine?: number;
  /** Largest PUB/HPUB payload accepted, in bytes (nats-server `max_payload`); negative = no limit. */
  maxPayload?: number;
}

/** Field offsets of the control line being decoded, reused to avoid allocating per op. */
const fieldStart = new Int32Array(8);
const fieldEnd = new Int32Array(8);

export class ProtocolParser {
  /** Whether HPUB is allowed; the connection sets it after CONNECT `headers:true`. */
  headers = false;
  /** When true the first op must be CONNECT (authentication required). */
  requireConnect = false;

  readonly #handler: ProtocolHandler;
  #maxControlLine: number;
  #maxPayload: number;

  #state: StateCode = State.OP_START;
  #argOp: ArgOpCode = ArgOp.None;
  /** Start of the current control-line argument in the current chunk. */
  #argStart = 0;
  /** Control-line bytes carried over from earlier chunks (split control line). */
  #argBuf: Buffer | undefined;
  #argLen = 0;
  #halted = false;
  #paused = false;
  #resumeOffset = 0;

  /** Pending PUB/HPUB, set when its control line is complete. */
  #pubSubject = "";
  /** The last PUB subject's bytes and string (see #subjectString); long subjects are not kept. */
  readonly #lastSubjectBytes = Buffer.alloc(LAST_SUBJECT_MAX);
  #lastSubjectLength = -1;
  #lastSubject = "";
  #pubReply = "";
  /**
   * The last PUB control line the fast path decoded, `PUB` through LF, with its subject, reply
   * and size; length 0 when none is kept. Valid under the current limits.
   */
  readonly #lastLine = Buffer.alloc(LAST_LINE_MAX);
  #lastLineLength = 0;
  #lastLineSubject = "";
  #lastLineReply = "";
  #lastLineSize = 0;
  #pubHeaderSize = -1;
  #pubSize = 0;
  /** Payload being assembled across chunks; undefined while the payload sits in one chunk. */
  #payloadBuf: Buffer | undefined;
  #payloadLen = 0;

  constructor(handler: ProtocolHandler, options: ParserOptions = {}) {
    this.#handler = handler;
    this.#maxControlLine = options.maxControlLine ?? MAX_CONTROL_LINE_SIZE;
    this.#maxPayload = options.maxPayload ?? MAX_PAYLOAD_SIZE;
  }

  /** New limits (a configuration reload); they apply from the next control line. */
  setLimits(options: ParserOptions): void {
    if (options.maxControlLine !== undefined) this.#maxControlLine = options.maxControlLine;
    if (options.maxPayload !== undefined) this.#maxPayload = options.maxPayload;
    // The remembered line was checked against the old limits.
    this.#lastLineLength = 0;
  }

  /** Stops parsing for good: the connection calls this when it closes mid-chunk. */
  halt(): void {
    this.#halted = true;
  }

  get halted(): boolean {
    return this.#halted;
  }

  /**
   * Stops after the op being handled; `parse()` then returns {@link ParseError.Paused} and
   * `resumeOffset` says where the unparsed rest of that chunk starts.
   */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  /** Where the unparsed rest of the chunk starts after {@link ParseError.Paused}. */
  get resumeOffset(): number {
    return this.#resumeOffset;
  }

  /** Bytes buffered for a split control line or payload (bounded by the limits). */
  get bufferedBytes(): number {
    return this.#argLen + this.#payloadLen;
  }

  /**
   * Parses one chunk. Returns {@link ParseError.None} when the chunk was consumed; otherwise
   * the error that stopped it. Ops before the error have already been handed on, as in
   * nats-server.
   */
  parse(buf: Buffer): ParseErrorCode {
    if (this.#halted) return ParseError.Halted;
    const len = buf.length;
    let i = 0;
    let b = 0;
    for (; i < len; i++) {
      b = buf[i]!;
      switch (this.#state) {
        case State.OP_START:
          if ((b === 0x50 || b === 0x70) && !this.requireConnect) {
            // The common op, whole in this chunk: one pass instead of a state step per byte.
            const last = this.#fastPub(buf, i, len);
            if (last >= 0) {
              if (this.#halted) return ParseError.Halted;
              i = last;
              break;
            }
          }
          if (this.requireConnect && b !== 0x43 && b !== 0x63) return ParseError.ConnectRequired;
          switch (b) {
            case 0x50: case 0x70: this.#state = State.OP_P; break; // P
            case 0x48: case 0x68: this.#state = State.OP_H; break; // H
            case 0x53: case 0x73: this.#state = State.OP_S; break; // S
            case 0x55: case 0x75: this.#state = State.OP_U; break; // U
            case 0x43: case 0x63: this.#state = State.OP_C; break; // C
            case 0x49: case 0x69: this.#state = State.OP_I; break; // I
            case 0x2b: this.#state = State.OP_PLUS; break; // +
            case 0x2d: this.#state = State.OP_MINUS; break; // -
            default: return ParseError.UnknownOperation;
          }
          break;

        case State.OP_P:
          switch (b) {
            case 0x55: case 0x75: this.#state = State.OP_PU; break;
            case 0x49: case 0x69: this.#state = State.OP_PI; break;
            case 0x4f: case 0x6f: this.#state = State.OP_PO; break;
            default: return ParseError.UnknownOperation;
          }
          break;
        case State.OP_PU:
          if (b !== 0x42 && b !== 0x62) return ParseError.UnknownOperation;
          this.#state = State.OP_PUB;
          break;
        case State.OP_PUB:
          if (b !== SPACE && b !== TAB) return ParseError.UnknownOperation;
          this.#state = State.OP_PUB_SPC;
          break;
        case State.OP_PUB_SPC:
          if (b !== SPACE && b !== TAB) this.#beginArg(State.PUB_ARG, ArgOp.Pub, i);
          break;

        case State.OP_H:
          if (b !== 0x50 && b !== 0x70) return ParseError.UnknownOperation;
          this.#state = State.OP_HP;
          break;
        case State.OP_HP:
          if (b !== 0x55 && b !== 0x75) return ParseError.UnknownOperation;
          this.#state = State.OP_HPU;
          break;
        case State.OP_HPU:
          if (b !== 0x42 && b !== 0x62) return ParseError.UnknownOperation;
          this.#state = State.OP_HPUB;
          break;
        case State.OP_HPUB:
          if (b !== SPACE && b !== TAB) return ParseError.UnknownOperation;
          this.#state = State.OP_HPUB_SPC;
          break;
        case State.OP_HPUB_SPC:
          if (b !== SPACE && b !== TAB) this.#beginArg(State.HPUB_ARG, ArgOp.Hpub, i);
          break;

        case State.OP_S:
          if (b !== 0x55 && b !== 0x75) return ParseError.UnknownOperation;
          this.#state = State.OP_SU;
          break;
        case State.OP_SU:
          if (b !== 0x42 && b !== 0x62) return ParseError.UnknownOperation;
          this.#state = State.OP_SUB;
          break;
        case State.OP_SUB:
          if (b !== SPACE && b !== TAB) return ParseError.UnknownOperation;
          this.#state = State.OP_SUB_SPC;
          break;
        case State.OP_SUB_SPC:
          if (b !== SPACE && b !== TAB) this.#beginArg(State.SUB_ARG, ArgOp.Sub, i);
          break;

        case State.OP_U:
          if (b !== 0x4e && b !== 0x6e) return ParseError.UnknownOperation;
          this.#state = State.OP_UN;
          break;
        case State.OP_UN:
          if (b !== 0x53 && b !== 0x73) return ParseError.UnknownOperation;
          this.#state = State.OP_UNS;
          break;
        case State.OP_UNS:
          if (b !== 0x55 && b !== 0x75) return ParseError.UnknownOperation;
          this.#state = State.OP_UNSU;
          break;
        case State.OP_UNSU:
          if (b !== 0x42 && b !== 0x62) return ParseError.UnknownOperation;
          this.#state = State.OP_UNSUB;
          break;
        case State.OP_UNSUB:
          if (b !== SPACE && b !== TAB) return ParseError.UnknownOperation;
          this.#state = State.OP_UNSUB_SPC;
          break;
        case State.OP_UNSUB_SPC:
          if (b !== SPACE && b !== TAB) this.#beginArg(State.UNSUB_ARG, ArgOp.Unsub, i);
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
          // As nats-server: anything up to the newline is ignored ("PING foo\r\n" is a PING).
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
          // nats-server skips blanks here and accepts "CONNECT{...}" without one.
          if (b !== SPACE && b !== TAB) this.#beginArg(State.CONNECT_ARG, ArgOp.Connect, i);
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
          if (b !== SPACE && b !== TAB) this.#beginArg(State.INFO_ARG, ArgOp.Info, i);
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
          // A client's +OK means nothing to the server; skip to the end of the line.
          if (b === LF) this.#state = State.OP_START;
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
          if (b !== SPACE && b !== TAB) return ParseError.UnknownOperation;
          this.#state = State.OP_MINUS_ERR_SPC;
          break;
        case State.OP_MINUS_ERR_SPC:
          if (b !== SPACE && b !== TAB) this.#beginArg(State.MINUS_ERR_ARG, ArgOp.Err, i);
          break;

        case State.PUB_ARG:
        case State.HPUB_ARG:
        case State.SUB_ARG:
        case State.UNSUB_ARG:
        case State.CONNECT_ARG:
        case State.INFO_ARG:
        case State.MINUS_ERR_ARG: {
          // Find the end of the line in one scan rather than a state step per byte.
          const nl = buf.indexOf(LF, i);
          if (nl < 0) {
            const err = this.#saveSplitArg(buf, this.#argStart, len);
            if (err !== ParseError.None) return err;
            return ParseError.None;
          }
          const err = this.#endControlLine(buf, nl);
          if (err !== ParseError.None) {
            if (err === ParseError.Paused) this.#resumeOffset = nl + 1;
            return err;
          }
          i = nl;
          if ((this.#state as StateCode) === State.MSG_PAYLOAD) {
            // The payload starts after the newline: take it whole if it is all here.
            const start = nl + 1;
            const end = start + this.#pubSize;
            if (end + 2 <= len) {
              if (buf[end] !== CR || buf[end + 1] !== LF) return ParseError.UnknownOperation;
              this.#state = State.OP_START;
              this.#handler.onPub(this.#pubSubject, this.#pubReply, this.#pubHeaderSize, buf, start, end);
              if (this.#halted) return ParseError.Halted;
              i = end + 1;
            } else {
              // Split payload: copy what we have and wait for the rest.
              const err2 = this.#startSplitPayload(buf, start, len);
              if (err2 !== ParseError.None) return err2;
              return ParseError.None;
            }
          }
          break;
        }

        case State.MSG_PAYLOAD: {
          // Only reached for a payload split across chunks.
          const want = this.#pubSize - this.#payloadLen;
          const take = Math.min(want, len - i);
          buf.copy(this.#payloadBuf!, this.#payloadLen, i, i + take);
          this.#payloadLen += take;
          i += take - 1;
          if (this.#payloadLen === this.#pubSize) this.#state = State.MSG_END_R;
          break;
        }
        case State.MSG_END_R:
          if (b !== CR) return ParseError.UnknownOperation;
          this.#state = State.MSG_END_N;
          break;
        case State.MSG_END_N: {
          if (b !== LF) return ParseError.UnknownOperation;
          const payload = this.#payloadBuf!;
          this.#payloadBuf = undefined;
          this.#payloadLen = 0;
          this.#state = State.OP_START;
          this.#handler.onPub(this.#pubSubject, this.#pubReply, this.#pubHeaderSize, payload, 0, payload.length);
          if (this.#halted) return ParseError.Halted;
          break;
        }
      }
    }
    if (this.#argBuf === undefined && this.#isArgState()) {
      // The line began in this chunk after its op name: carry the argument so far over.
      return this.#saveSplitArg(buf, this.#argStart, len);
    }
    return ParseError.None;
  }

  /**
   * A `PUB` whose control line, payload and closing CRLF all sit in `buf` from `i` (a `P`),
   * handled in one scan that finds the fields and the newline together. Returns the index of
   * the frame's last byte, or -1 to leave the op to the state machine: a split, a malformed
   * line, an over-limit size, a CR anywhere but before the LF, or anything unusual. Nothing
   * happens before the frame is known to be complete and valid, so the state machine then sees
   * it exactly as if this did not exist and reaches the same result or error. Whoever changes
   * how the state machine splits or cuts a PUB line must change this scan the same way (the
   * parser tests compare whole-chunk and byte-at-a-time parsing).
   */
  #fastPub(buf: Buffer, i: number, len: number): number {
    const ll = this.#lastLineLength;
    if (ll !== 0 && i + ll <= len) {
      // The same control line as the previous PUB (a publisher repeating subject and size):
      // one comparison per byte instead of splitting fields and decoding them again.
      const last = this.#lastLine;
      let k = 1;
      while (k < ll && buf[i + k] === last[k]) k++;
      if (k === ll && buf[i] === last[0]) {
        const start = i + ll;
        const end = start + this.#lastLineSize;
        if (end + 2 > len || buf[end] !== CR || buf[end + 1] !== LF) return -1;
        this.#handler.onPub(this.#lastLineSubject, this.#lastLineReply, -1, buf, start, end);
        return end + 1;
      }
    }
    let j = i + 3;
    if (j >= len) return -1;
    let c = buf[i + 1]!;
    if (c !== 0x55 && c !== 0x75) return -1;
    c = buf[i + 2]!;
    if (c !== 0x42 && c !== 0x62) return -1;
    c = buf[j]!;
    if (c !== SPACE && c !== TAB) return -1;
    // Longer lines are the state machine's (it reports ControlLineTooLong).
    const limit = Math.min(len, j + 1 + this.#maxControlLine + 2);
    let n = 0;
    let fs = -1;
    for (j++; j < limit; j++) {
      c = buf[j]!;
      if (c === SPACE || c === TAB) {
        if (fs >= 0) {
          if (n === 3) return -1;
          fieldStart[n] = fs;
          fieldEnd[n] = j;
          n++;
          fs = -1;
        }
      } else if (c === LF) {
        break;
      } else if (c === CR) {
        // Only the CR of the CRLF: a stray CR changes how nats-server cuts the line, and that
        // is the state machine's business.
        if (j + 1 < limit && buf[j + 1] === LF) {
          j++;
          break;
        }
        return -1;
      } else if (fs < 0) {
        fs = j;
      }
    }
    if (j === limit) return -1;
    // j is the LF. A CR just before it ends the line (and is in no field).
    const lineEnd = buf[j - 1] === CR ? j - 1 : j;
    if (fs >= 0 && fs < lineEnd) {
      if (n === 3) return -1;
      fieldStart[n] = fs;
      fieldEnd[n] = lineEnd;
      n++;
    }
    if (n !== 2 && n !== 3) return -1;
    if (lineEnd - fieldStart[0]! > this.#maxControlLine) return -1;
    const size = parseSize(buf, fieldStart[n - 1]!, fieldEnd[n - 1]!);
    if (size < 0 || (this.#maxPayload >= 0 && size > this.#maxPayload)) return -1;
    const start = j + 1;
    const end = start + size;
    if (end + 2 > len || buf[end] !== CR || buf[end + 1] !== LF) return -1;
    const reply = n === 3 ? buf.toString("latin1", fieldStart[1], fieldEnd[1]) : "";
    const subject = this.#subjectString(buf, fieldStart[0]!, fieldEnd[0]!);
    // Remember the line (through its LF) for the next PUB.
    const lineLength = start - i;
    if (lineLength <= LAST_LINE_MAX) {
      buf.copy(this.#lastLine, 0, i, start);
      this.#lastLineLength = lineLength;
      this.#lastLineSubject = subject;
      this.#lastLineReply = reply;
      this.#lastLineSize = size;
    } else {
      this.#lastLineLength = 0;
    }
    this.#handler.onPub(subject, reply, -1, buf, start, end);
    return end + 1;
  }

  #isArgState(): boolean {
    const s = this.#state;
    return (
      s === State.PUB_ARG || s === State.HPUB_ARG || s === State.SUB_ARG || s === State.UNSUB_ARG ||
      s === State.CONNECT_ARG || s === State.INFO_ARG || s === State.MINUS_ERR_ARG
    );
  }

  #beginArg(state: StateCode, op: ArgOpCode, i: number): void {
    this.#state = state;
    this.#argOp = op;
    this.#argStart = i;
    // Re-enter the loop on this same byte in the ARG state.
  }

  /**
   * Keeps the part of a control line seen so far. Bounded by the control-line limit as it
   * grows, so a client that never sends a newline cannot make us buffer more than that.
   */
  #saveSplitArg(buf: Buffer, start: number, end: number): ParseErrorCode {
    const n = end - start;
    const total = this.#argLen + n;
    // +1 leaves room for a trailing CR that is not part of the argument.
    if (total > this.#maxControlLine + 1) return ParseError.ControlLineTooLong;
    if (this.#argBuf === undefined) this.#argBuf = Buffer.allocUnsafe(this.#maxControlLine + 2);
    buf.copy(this.#argBuf, this.#argLen, start, end);
    this.#argLen = total;
    // The rest of the line continues at the start of the next chunk.
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
    // parser.go sets `drop` at any CR in the line and cuts one byte before the LF: the usual
    // trailing CR, or, with a stray CR and a bare LF, the line's last byte. Applied the same way
    // whether or not the line was split across reads, so segmentation never changes the result.
    const cr = line.indexOf(CR, start);
    if (cr >= 0 && cr < end) end--;
    if (end - start > this.#maxControlLine) return ParseError.ControlLineTooLong;

    const op = this.#argOp;
    this.#argOp = ArgOp.None;
    this.#state = State.OP_START;
    switch (op) {
      case ArgOp.Pub:
        return this.#pubArgs(line, start, end, false);
      case ArgOp.Hpub:
        if (!this.headers) return ParseError.HeadersNotSupported;
        return this.#pubArgs(line, start, end, true);
      case ArgOp.Sub: {
        const n = splitFields(line, start, end, true);
        if (n === 2) {
          const subject = line.toString("latin1", fieldStart[0], fieldEnd[0]);
          const sid = line.toString("latin1", fieldStart[1], fieldEnd[1]);
          this.#handler.onSub(subject, undefined, sid);
        } else if (n === 3) {
          const subject = line.toString("latin1", fieldStart[0], fieldEnd[0]);
          const queue = line.toString("latin1", fieldStart[1], fieldEnd[1]);
          const sid = line.toString("latin1", fieldStart[2], fieldEnd[2]);
          this.#handler.onSub(subject, queue, sid);
        } else {
          return ParseError.BadArguments;
        }
        break;
      }
      case ArgOp.Unsub: {
        const n = splitFields(line, start, end, true);
        if (n === 1) {
          this.#handler.onUnsub(line.toString("latin1", fieldStart[0], fieldEnd[0]), -1);
        } else if (n === 2) {
          const max = parseSize(line, fieldStart[1]!, fieldEnd[1]!);
          this.#handler.onUnsub(line.toString("latin1", fieldStart[0], fieldEnd[0]), max);
        } else {
          return ParseError.BadArguments;
        }
        break;
      }
      case ArgOp.Connect:
        this.#handler.onConnect(line.toString("utf8", start, end));
        break;
      case ArgOp.Info:
        // nats-server parses and ignores a client's INFO.
        break;
      case ArgOp.Err:
        this.#handler.onClientError(line.toString("utf8", start, end));
        break;
    }
    if (this.#halted) return ParseError.Halted;
    return this.#paused ? ParseError.Paused : ParseError.None;
  }

  /** PUB <subject> [reply] <size> / HPUB <subject> [reply] <hdr> <total>, as client.go processPub. */
  #pubArgs(line: Buffer, start: number, end: number, withHeaders: boolean): ParseErrorCode {
    const n = splitFields(line, start, end);
    let sizeField: number;
    let hasReply: boolean;
    if (withHeaders) {
      if (n !== 3 && n !== 4) return ParseError.BadArguments;
      hasReply = n === 4;
      sizeField = n - 1;
      const hdr = parseSize(line, fieldStart[sizeField - 1]!, fieldEnd[sizeField - 1]!);
      if (hdr < 0) return ParseError.BadArguments;
      this.#pubHeaderSize = hdr;
    } else {
      if (n !== 2 && n !== 3) return ParseError.BadArguments;
      hasReply = n === 3;
      sizeField = n - 1;
      this.#pubHeaderSize = -1;
    }
    const size = parseSize(line, fieldStart[sizeField]!, fieldEnd[sizeField]!);
    if (size < 0) return ParseError.BadArguments;
    if (this.#pubHeaderSize > size) return ParseError.BadArguments;
    if (this.#maxPayload >= 0 && size > this.#maxPayload) return ParseError.PayloadTooLarge;
    this.#pubSubject = this.#subjectString(line, fieldStart[0]!, fieldEnd[0]!);
    this.#pubReply = hasReply ? line.toString("latin1", fieldStart[1], fieldEnd[1]) : "";
    this.#pubSize = size;
    this.#state = State.MSG_PAYLOAD;
    return ParseError.None;
  }

  /**
   * The subject as a string, reusing the previous PUB's string when the bytes are the same:
   * publishers mostly repeat a subject, and comparing a few bytes is cheaper than decoding
   * them (and keeps the subject cache's lookups on one string instance).
   */
  #subjectString(line: Buffer, start: number, end: number): string {
    const n = end - start;
    const last = this.#lastSubjectBytes;
    if (n === this.#lastSubjectLength && n <= last.length) {
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

  #startSplitPayload(buf: Buffer, start: number, len: number): ParseErrorCode {
    const have = Math.min(len - start, this.#pubSize);
    // Allocated at the announced size, which max_payload has already bounded.
    this.#payloadBuf = Buffer.allocUnsafe(this.#pubSize);
    buf.copy(this.#payloadBuf, 0, start, start + have);
    this.#payloadLen = have;
    if (have === this.#pubSize) {
      this.#state = State.MSG_END_R;
      // Any of the trailing CRLF already in this chunk is checked byte by byte.
      for (let j = start + have; j < len; j++) {
        const b = buf[j]!;
        if (this.#state === State.MSG_END_R) {
          if (b !== CR) return ParseError.UnknownOperation;
          this.#state = State.MSG_END_N;
        } else {
          // Cannot happen: end + 2 <= len would have taken the whole-payload path.
          return ParseError.UnknownOperation;
        }
      }
    }
    return ParseError.None;
  }
}

/**
 * Splits `line[start, end)` on spaces and tabs into the shared field arrays; returns the count
 * (capped so a line of many fields cannot overrun them: any count above 4 is an error anyway).
 */
function splitFields(line: Buffer, start: number, end: number, crIsBlank = false): number {
  let n = 0;
  let fs = -1;
  for (let i = start; i < end; i++) {
    const b = line[i];
    // SUB and UNSUB split as client.go splitArg, which counts CR (and LF) as blanks; PUB does not.
    if (b === SPACE || b === TAB || (crIsBlank && (b === CR || b === LF))) {
      if (fs >= 0) {
        if (n === 8) return 9;
        fieldStart[n] = fs;
        fieldEnd[n] = i;
        n++;
        fs = -1;
      }
    } else if (fs < 0) {
      fs = i;
    }
  }
  if (fs >= 0) {
    if (n === 8) return 9;
    fieldStart[n] = fs;
    fieldEnd[n] = end;
    n++;
  }
  return n;
}
