/**
 * Server-to-client frames, byte-identical to nats-server 2.9/2.10. Fixed frames are built once.
 * A MSG/HMSG control line is built in two parts: a prefix (`MSG <subject> <sid> `) that a
 * subscription caches, and a tail (`[reply ]` `[hdr ]` `size` CRLF) written byte by byte into
 * the outbound buffer, so delivering a message encodes no string.
 */

export const OK_FRAME = Buffer.from("+OK\r\n", "latin1");
export const PING_FRAME = Buffer.from("PING\r\n", "latin1");
export const PONG_FRAME = Buffer.from("PONG\r\n", "latin1");

/** `INFO <json> \r\n`: nats-server joins the parts with a space, hence the space before CRLF. */
export function encodeInfo(json: string): Buffer {
  return Buffer.from(`INFO ${json} \r\n`, "utf8");
}

/** `-ERR '<text>'\r\n`. */
export function encodeError(text: string): Buffer {
  return Buffer.from(`-ERR '${text}'\r\n`, "latin1");
}

/**
 * The status message nats-server 2.9/2.10 sends a requester that nobody answered
 * (client.go: `HMSG <reply> <sid> 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`).
 */
export function noRespondersFrame(reply: string, sid: string): Buffer {
  return Buffer.from(`HMSG ${reply} ${sid} 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`, "latin1");
}

/** `MSG <subject> <sid> `: the cacheable start of a MSG control line. */
export function encodeMsgPrefix(subject: string, sid: string): Buffer {
  return Buffer.from(`MSG ${subject} ${sid} `, "latin1");
}

/** `HMSG <subject> <sid> `: the cacheable start of an HMSG control line. */
export function encodeHmsgPrefix(subject: string, sid: string): Buffer {
  return Buffer.from(`HMSG ${subject} ${sid} `, "latin1");
}

/** Bytes {@link writeControlLineTail} may need beyond the reply: two sizes, blanks and CRLF. */
export const CONTROL_TAIL_ROOM = 2 * 10 + 4;

const CR = 13;
const LF = 10;
const SPACE = 32;

/**
 * Writes the end of a MSG/HMSG control line at `pos`: `[reply ]` `[headerSize ]` `totalSize`
 * CRLF (`headerSize` < 0 leaves that field out). The caller has made room for
 * `reply.length + CONTROL_TAIL_ROOM` bytes. Returns the position after the CRLF. Byte by byte:
 * for these few short fields that beats encoding a string. `reply` is latin1 (one char, one byte).
 */
export function writeControlLineTail(buf: Buffer, pos: number, reply: string, headerSize: number, totalSize: number): number {
  const rl = reply.length;
  if (rl !== 0) {
    for (let i = 0; i < rl; i++) buf[pos++] = reply.charCodeAt(i);
    buf[pos++] = SPACE;
  }
  if (headerSize >= 0) {
    pos = writeDecimal(buf, pos, headerSize);
    buf[pos++] = SPACE;
  }
  pos = writeDecimal(buf, pos, totalSize);
  buf[pos++] = CR;
  buf[pos++] = LF;
  return pos;
}

/** Writes a non-negative integer's decimal digits at `pos`; returns the position after them. */
function writeDecimal(buf: Buffer, pos: number, value: number): number {
  if (value < 10) {
    buf[pos] = 48 + value;
    return pos + 1;
  }
  // Message sizes are mostly a few digits: no division loop for those.
  if (value < 100) {
    const t = (value / 10) | 0;
    buf[pos] = 48 + t;
    buf[pos + 1] = 48 + value - t * 10;
    return pos + 2;
  }
  if (value < 10000) {
    const d = value < 1000 ? 3 : 4;
    let v = value;
    for (let k = pos + d - 1; k >= pos; k--) {
      const q = (v / 10) | 0;
      buf[k] = 48 + v - q * 10;
      v = q;
    }
    return pos + d;
  }
  let digits = 0;
  for (let v = value; v > 0; v = Math.floor(v / 10)) digits++;
  let end = pos + digits;
  for (let v = value; v > 0; v = Math.floor(v / 10)) buf[--end] = 48 + (v % 10);
  return pos + digits;
}
