/**
 * Client→server frames for the raw load generator, and the payload layout both ends agree
 * on: every payload starts with the message's sequence number as SEQ_DIGITS zero-padded
 * decimal digits, so a subscriber can prove order, loss and duplicates without a parser.
 */

/** Digits of the sequence number at the start of each payload (10 digits: up to 9,999,999,999). */
export const SEQ_DIGITS = 10;

/** Smallest payload that carries a sequence number. */
export const MIN_PAYLOAD = SEQ_DIGITS;

/**
 * CONNECT for raw connections: not verbose (no +OK per PUB), not pedantic, no headers, so the
 * server sends nothing back but MSG, PING and PONG, which is all the scanner understands.
 */
export function connectFrame(name: string): string {
  const options = { verbose: false, pedantic: false, tls_required: false, name, lang: "raw", version: "0.0.0", protocol: 1, echo: true, headers: false, no_responders: false };
  return `CONNECT ${JSON.stringify(options)}\r\n`;
}

export function subFrame(subject: string, queue: string | undefined, sid: number): string {
  return queue === undefined ? `SUB ${subject} ${sid}\r\n` : `SUB ${subject} ${queue} ${sid}\r\n`;
}

/** The batch a publisher writes, and where one frame ends so slices can be frame-aligned. */
export interface PubBatch {
  buffer: Buffer;
  frameLength: number;
  count: number;
}

/**
 * Builds `count` PUB frames in one Buffer, each payload `size` bytes carrying its sequence
 * number (0-based). Built once before the clock starts, so the publisher's cost while timed is
 * only `write()`: the broker, not the load generator, sets the pace.
 */
export function buildPubBatch(subject: string, size: number, count: number): PubBatch {
  if (size < MIN_PAYLOAD) throw new Error(`payload must be at least ${MIN_PAYLOAD} bytes to carry a sequence number`);
  const head = Buffer.from(`PUB ${subject} ${size}\r\n`, "latin1");
  const frameLength = head.length + size + 2;
  const template = Buffer.alloc(frameLength, "x".charCodeAt(0));
  head.copy(template, 0);
  template[frameLength - 2] = 13;
  template[frameLength - 1] = 10;
  const buffer = Buffer.allocUnsafe(frameLength * count);
  // fill() repeats the template natively: far cheaper than copying frame by frame.
  buffer.fill(template);
  for (let i = 0, at = head.length; i < count; i++, at += frameLength) writeSeq(buffer, at, i);
  return { buffer, frameLength, count };
}

/** Writes `seq` as SEQ_DIGITS zero-padded decimal digits at `at`. */
function writeSeq(buffer: Buffer, at: number, seq: number): void {
  let v = seq;
  for (let d = SEQ_DIGITS - 1; d >= 0; d--) {
    buffer[at + d] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}
