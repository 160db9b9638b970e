/**
 * The smallest reader of server→client bytes that can still verify a benchmark. It finds
 * control lines with `indexOf("\n")`, counts MSG frames, reads the sequence number at the
 * start of each payload (frames.ts) and skips the rest by the size on the control line.
 * Anything else (INFO, PING, PONG, +OK, -ERR) is handed over as text. Not a NATS parser:
 * it trusts the server, because it only ever talks to one we are measuring.
 */
import { SEQ_DIGITS } from "./frames.ts";

export interface ScanHandler {
  /** One MSG (or HMSG) frame; `seq` is -1 when the payload is too short to carry one. */
  onMsg(seq: number): void;
  /** A control line that is not MSG/HMSG, without its CRLF. */
  onLine(line: string): void;
}

const LF = 10;
const CR = 13;
const M = 77;
const H = 72;
const S = 83;

export class MsgScanner {
  readonly #handler: ScanHandler;
  /** Bytes of a control line split across reads (rare: lines are short). */
  #partial: Buffer | undefined;
  /** Payload bytes still to skip, CRLF included. */
  #skip = 0;
  /** Sequence digits still to read at the start of the current payload. */
  #seqLeft = 0;
  #seq = 0;

  constructor(handler: ScanHandler) {
    this.#handler = handler;
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.#skip > 0) {
        // Digits are read one by one only because a payload may be split anywhere.
        while (this.#seqLeft > 0 && i < n) {
          this.#seq = this.#seq * 10 + (chunk[i]! - 48);
          this.#seqLeft--;
          this.#skip--;
          i++;
          if (this.#seqLeft === 0) this.#handler.onMsg(this.#seq);
        }
        const take = Math.min(this.#skip, n - i);
        this.#skip -= take;
        i += take;
        continue;
      }
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) {
        const rest = chunk.subarray(i);
        // Copy: the socket may reuse the chunk's memory after this call.
        this.#partial = this.#partial === undefined ? Buffer.from(rest) : Buffer.concat([this.#partial, rest]);
        return;
      }
      if (this.#partial === undefined) {
        this.#controlLine(chunk, i, nl);
      } else {
        const line = Buffer.concat([this.#partial, chunk.subarray(i, nl + 1)]);
        this.#partial = undefined;
        this.#controlLine(line, 0, line.length - 1);
      }
      i = nl + 1;
    }
  }

  /** `buf[start..lf]` is one control line, `lf` the index of its `\n`. */
  #controlLine(buf: Buffer, start: number, lf: number): void {
    const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    const first = buf[start];
    const second = buf[start + 1];
    if ((first === M && second === S) || (first === H && second === M)) {
      // MSG <subject> <sid> [reply] <size> / HMSG ... <hdr> <total>: the size is the last number.
      let size = 0;
      let mul = 1;
      for (let k = end - 1; k > start; k--) {
        const c = buf[k]!;
        if (c < 48 || c > 57) break;
        size += (c - 48) * mul;
        mul *= 10;
      }
      this.#skip = size + 2;
      if (size >= SEQ_DIGITS) {
        this.#seqLeft = SEQ_DIGITS;
        this.#seq = 0;
      } else {
        this.#seqLeft = 0;
        this.#handler.onMsg(-1);
      }
      return;
    }
    this.#handler.onLine(buf.toString("latin1", start, end));
  }
}
