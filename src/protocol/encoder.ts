/**
 * Server-to-client frames, byte-identical to nats-server 2.9/2.10. Fixed frames are built once;
 * MSG/HMSG control lines are plain strings written into the outbound buffer as latin1, so a
 * subject's bytes go back out exactly as they came in.
 */

export const OK_FRAME = Buffer.from("+OK\r\n", "latin1");
export const PING_FRAME = Buffer.from("PING\r\n", "latin1");
export const PONG_FRAME = Buffer.from("PONG\r\n", "latin1");
export const CRLF = "\r\n";

/** `INFO <json> \r\n`: nats-server joins the parts with a space, hence the space before CRLF. */
export function encodeInfo(json: string): Buffer {
  return Buffer.from(`INFO ${json} \r\n`, "utf8");
}

/** `-ERR '<text>'\r\n`. */
export function encodeError(text: string): Buffer {
  return Buffer.from(`-ERR '${text}'\r\n`, "latin1");
}

/** Control line of a MSG: `MSG <subject> <sid> [reply] <size>\r\n`. */
export function msgControlLine(subject: string, sid: string, reply: string, size: number): string {
  return reply === ""
    ? `MSG ${subject} ${sid} ${size}\r\n`
    : `MSG ${subject} ${sid} ${reply} ${size}\r\n`;
}

/** Control line of an HMSG: `HMSG <subject> <sid> [reply] <hdr_len> <total_len>\r\n`. */
export function hmsgControlLine(
  subject: string,
  sid: string,
  reply: string,
  headerSize: number,
  totalSize: number,
): string {
  return reply === ""
    ? `HMSG ${subject} ${sid} ${headerSize} ${totalSize}\r\n`
    : `HMSG ${subject} ${sid} ${reply} ${headerSize} ${totalSize}\r\n`;
}

/**
 * The status message nats-server 2.9/2.10 sends a requester that nobody answered
 * (client.go: `HMSG <reply> <sid> 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`).
 */
export function noRespondersFrame(reply: string, sid: string): Buffer {
  return Buffer.from(`HMSG ${reply} ${sid} 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`, "latin1");
}
