/**
 * What the protocol parsers share: the states (named and numbered as nats-server's
 * `server/parser.go`, one list for every kind of connection), the character codes, the
 * errors a parse can stop with and the size field's rule. The client parser
 * (`parser.ts`) and the leaf parser (`leaf-parser.ts`) are two walks over these states.
 */

export const CR = 13;
export const LF = 10;
export const SPACE = 32;
export const TAB = 9;

/** Longest size field nats-server parses (`parseSize`: 9 digits, 999 MB); longer is an error. */
const MAX_SIZE_DIGITS = 9;

/** Why parsing stopped. Each maps to nats-server's reaction in the connection. */
export const ParseError = {
  None: 0,
  /** Unknown verb or bad framing: `-ERR 'Unknown Protocol Operation'` and close. */
  UnknownOperation: 1,
  /** Control line over the limit: `-ERR 'maximum control line exceeded'` and close. */
  ControlLineTooLong: 2,
  /** PUB/HPUB size over `max_payload`: `-ERR 'Maximum Payload Violation'` and close. */
  PayloadTooLarge: 3,
  /** Wrong argument count or bad sizes: nats-server closes without any `-ERR`. */
  BadArguments: 4,
  /** HPUB without headers negotiated in CONNECT: closed without `-ERR`. */
  HeadersNotSupported: 5,
  /** First op was not CONNECT while authentication is required: `Authorization Violation`. */
  ConnectRequired: 6,
  /** The connection stopped the parser (it closed while handling an op). */
  Halted: 7,
  /**
   * The connection paused the parser while handling an op (an asynchronous authentication);
   * the rest of the chunk starts at `resumeOffset` and must be parsed after `resume()`.
   */
  Paused: 8,
} as const;
export type ParseErrorCode = (typeof ParseError)[keyof typeof ParseError];

/** Parser states. Names follow nats-server parser.go so the two can be read side by side. */
export const State = {
  OP_START: 0,
  OP_PLUS: 1,
  OP_PLUS_O: 2,
  OP_PLUS_OK: 3,
  OP_MINUS: 4,
  OP_MINUS_E: 5,
  OP_MINUS_ER: 6,
  OP_MINUS_ERR: 7,
  OP_MINUS_ERR_SPC: 8,
  MINUS_ERR_ARG: 9,
  OP_C: 10,
  OP_CO: 11,
  OP_CON: 12,
  OP_CONN: 13,
  OP_CONNE: 14,
  OP_CONNEC: 15,
  OP_CONNECT: 16,
  CONNECT_ARG: 17,
  OP_H: 18,
  OP_HP: 19,
  OP_HPU: 20,
  OP_HPUB: 21,
  OP_HPUB_SPC: 22,
  HPUB_ARG: 23,
  OP_P: 24,
  OP_PU: 25,
  OP_PUB: 26,
  OP_PUB_SPC: 27,
  PUB_ARG: 28,
  OP_PI: 29,
  OP_PIN: 30,
  OP_PING: 31,
  OP_PO: 32,
  OP_PON: 33,
  OP_PONG: 34,
  MSG_PAYLOAD: 35,
  MSG_END_R: 36,
  MSG_END_N: 37,
  OP_S: 38,
  OP_SU: 39,
  OP_SUB: 40,
  OP_SUB_SPC: 41,
  SUB_ARG: 42,
  OP_U: 43,
  OP_UN: 44,
  OP_UNS: 45,
  OP_UNSU: 46,
  OP_UNSUB: 47,
  OP_UNSUB_SPC: 48,
  UNSUB_ARG: 49,
  OP_I: 50,
  OP_IN: 51,
  OP_INF: 52,
  OP_INFO: 53,
  INFO_ARG: 54,
  // Ops of the other kinds (parser.go): `LS+`/`LS-` reuse OP_SUB/OP_UNSUB after OP_LS, `LMSG`
  // goes OP_L → OP_M, `HMSG` goes OP_H → OP_HM.
  OP_L: 55,
  OP_LS: 56,
  OP_M: 57,
  OP_MS: 58,
  OP_MSG: 59,
  OP_MSG_SPC: 60,
  MSG_ARG: 61,
  OP_HM: 62,
  OP_HMS: 63,
  OP_HMSG: 64,
  OP_HMSG_SPC: 65,
  HMSG_ARG: 66,
} as const;
export type StateCode = (typeof State)[keyof typeof State];

/** Decimal size as nats-server `parseSize`: digits only, at most 9 of them, else -1. */
export function parseSize(buf: Buffer, start: number, end: number): number {
  const l = end - start;
  if (l === 0 || l > MAX_SIZE_DIGITS) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** A field separator (parser.go splits arguments on spaces and tabs). */
export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}
