/**
 * The header-only status messages a consumer sends, byte for byte as nats-server's consumer.go
 * writes them. Clients compare the lower-cased description (nats.js jserrors.ts), so the texts
 * here must not drift.
 */

/** A header block with a status line and optional headers; what BusApi.publish accepts as headers. */
export interface StatusHeaders {
  encode(): Uint8Array;
}

function status(code: number, description: string, fields: ReadonlyArray<readonly [string, string | number]> = []): StatusHeaders {
  let text = `NATS/1.0 ${code} ${description}\r\n`;
  for (const [key, value] of fields) text += `${key}: ${value}\r\n`;
  const bytes = Buffer.from(`${text}\r\n`, "latin1");
  return { encode: () => bytes };
}

const PENDING_MSGS = "Nats-Pending-Messages";
const PENDING_BYTES = "Nats-Pending-Bytes";

export const ConsumerStatus = {
  /** A no_wait pull request found nothing to deliver (consumer.go 4757, 5091). */
  noMessages: () => status(404, "No Messages"),
  /** A pull request expired; what it still wanted (4534, 5084). */
  requestTimeout: (msgs: number, bytes: number) => status(408, "Request Timeout", [[PENDING_MSGS, msgs], [PENDING_BYTES, bytes]]),
  /** The next message does not fit the request's max_bytes (4498). */
  maxBytesExceeded: (msgs: number, bytes: number) => status(409, "Message Size Exceeds MaxBytes", [[PENDING_MSGS, msgs], [PENDING_BYTES, bytes]]),
  /** The batch is done but max_bytes is not used up (JsPullRequestRemainingBytesT). */
  batchCompleted: (msgs: number, bytes: number) => status(409, "Batch Completed", [[PENDING_MSGS, msgs], [PENDING_BYTES, bytes]]),
  /** Too many pull requests waiting (4784). */
  exceededMaxWaiting: () => status(409, "Exceeded MaxWaiting"),
  /** The consumer went away with requests waiting (3236). */
  consumerDeleted: () => status(409, "Consumer Deleted"),
  /** MSG.NEXT on a push consumer (4679). */
  pushBased: () => status(409, "Consumer is push based"),
  /** MSG.NEXT whose Nats-Required-Api-Level is above this broker's (processNextMsgRequest). */
  requiredApiLevel: () => status(412, "Required Api Level"),
  /** A no_wait request while earlier requests already claim everything pending. */
  requestsPending: () => status(408, "Requests Pending"),
  /** A malformed pull request (4686). */
  badRequest: (detail: string) => status(400, `Bad Request - ${detail}`),
  /** Request limits of the consumer config (max_batch, max_expires, max_bytes). */
  exceeded: (what: string) => status(409, what),
  /** Idle heartbeat (5612); `stalled` is the outstanding flow control reply subject. */
  idleHeartbeat: (lastConsumerSeq: number, lastStreamSeq: number, stalled?: string) =>
    status(100, "Idle Heartbeat", [
      ["Nats-Last-Consumer", lastConsumerSeq],
      ["Nats-Last-Stream", lastStreamSeq],
      ...(stalled === undefined ? [] : [["Nats-Consumer-Stalled", stalled] as const]),
    ]),
  /** A pull request quoting a pin id that is not the current one, at admission (processNextMsgRequest). */
  pinIdMismatch: () => status(423, "Nats-Pin-Id mismatch"),
  /** A waiting request whose pin id is stale when a message is to go out (nextWaiting). */
  wrongPinId: (msgs: number, bytes: number) => status(423, "Nats-Wrong-Pin-Id", [[PENDING_MSGS, msgs], [PENDING_BYTES, bytes]]),
  /** Flow control request (5920): the client answers on the reply subject. */
  flowControl: () => status(100, "FlowControl Request"),
} as const;

/**
 * A stored header block for a headers_only delivery: the original headers plus `Nats-Msg-Size`
 * (consumer.go convertToHeadersOnly), the payload left out.
 */
export function headersOnly(headers: Uint8Array | undefined, size: number): StatusHeaders {
  let text: string;
  if (headers === undefined || headers.length === 0) text = "NATS/1.0\r\n";
  else text = Buffer.from(headers.buffer, headers.byteOffset, headers.byteLength).toString("latin1").replace(/\r\n$/, "");
  const bytes = Buffer.from(`${text}Nats-Msg-Size: ${size}\r\n\r\n`, "latin1");
  return { encode: () => bytes };
}

/** A stored header block with one more header (consumer.go genHeader, for `Nats-Pin-Id`). */
export function withHeader(headers: Uint8Array | undefined, key: string, value: string): Uint8Array {
  let text: string;
  if (headers === undefined || headers.length === 0) text = "NATS/1.0\r\n";
  else text = Buffer.from(headers.buffer, headers.byteOffset, headers.byteLength).toString("latin1").replace(/\r\n$/, "");
  return Buffer.from(`${text}${key}: ${value}\r\n\r\n`, "latin1");
}
