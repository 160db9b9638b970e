/**
 * Pull requests waiting on a consumer (`$JS.API.CONSUMER.MSG.NEXT`): how a request body is
 * read (consumer.go nextReqFromMsg) and the bounded FIFO they wait in (waitQueue, max_waiting).
 */

/** One MSG.NEXT request as the client sent it. */
export interface NextRequest {
  readonly batch: number;
  /** Nanoseconds; 0 = no expiry. */
  readonly expiresNs: number;
  /** 0 = no byte limit. */
  readonly maxBytes: number;
  readonly noWait: boolean;
  /** Nanoseconds; 0 = no heartbeats. */
  readonly heartbeatNs: number;
}

/**
 * Reads a MSG.NEXT body: empty (one message), a number (batch) or JSON
 * `{batch, expires, no_wait, max_bytes, idle_heartbeat}`. Returns an error text for a
 * "400 Bad Request - <text>" status when the JSON is malformed.
 */
export function parseNextRequest(body: string): NextRequest | { error: string } {
  const text = body.trim();
  if (text === "") return { batch: 1, expiresNs: 0, maxBytes: 0, noWait: false, heartbeatNs: 0 };
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { error: (err as Error).message };
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { error: "json: cannot unmarshal into Go value of type server.JSApiConsumerGetNextRequest" };
    const r = parsed as Record<string, unknown>;
    const int = (key: string): number | { error: string } => {
      const v = r[key];
      if (v === undefined || v === null) return 0;
      if (typeof v !== "number" || !Number.isInteger(v)) return { error: `json: cannot unmarshal ${typeof v} into Go struct field JSApiConsumerGetNextRequest.${key}` };
      return v;
    };
    const batch = int("batch");
    const expiresNs = int("expires");
    const maxBytes = int("max_bytes");
    const heartbeatNs = int("idle_heartbeat");
    for (const v of [batch, expiresNs, maxBytes, heartbeatNs]) if (typeof v !== "number") return v;
    const noWait = r["no_wait"];
    if (noWait !== undefined && noWait !== null && typeof noWait !== "boolean") return { error: "json: cannot unmarshal into Go struct field JSApiConsumerGetNextRequest.no_wait of type bool" };
    const hb = heartbeatNs as number;
    if (hb > 0 && hb * 2 > (expiresNs as number)) return { error: "heartbeat value too large" };
    return {
      batch: batch as number,
      expiresNs: Math.max(0, expiresNs as number),
      maxBytes: Math.max(0, maxBytes as number),
      noWait: noWait === true,
      heartbeatNs: Math.max(0, hb),
    };
  }
  const n = /^[+-]?\d+$/.test(text) ? Number.parseInt(text, 10) : 1;
  return { batch: n, expiresNs: 0, maxBytes: 0, noWait: false, heartbeatNs: 0 };
}

/** A pull request waiting for messages. Times are `performance.now()`-style milliseconds. */
export class WaitingRequest {
  readonly reply: string;
  /** Messages still wanted. */
  remaining: number;
  /** Messages delivered so far. */
  delivered = 0;
  /** Bytes still allowed; 0 when the request set no max_bytes. */
  bytesLeft: number;
  readonly noWait: boolean;
  /** When it expires (ms), 0 = never. */
  readonly expiresAt: number;
  readonly heartbeatMs: number;
  /** When the next idle heartbeat is due (ms), 0 = none. */
  nextHeartbeatAt: number;

  constructor(reply: string, request: NextRequest, now: number) {
    this.reply = reply;
    this.remaining = request.batch;
    this.bytesLeft = request.maxBytes;
    this.noWait = request.noWait;
    this.expiresAt = request.expiresNs > 0 ? now + request.expiresNs / 1e6 : 0;
    this.heartbeatMs = request.heartbeatNs / 1e6;
    this.nextHeartbeatAt = this.heartbeatMs > 0 ? now + this.heartbeatMs : 0;
  }

  /** A message was sent for this request; true when the request is now fulfilled. */
  tookOne(): boolean {
    this.remaining--;
    this.delivered++;
    return this.remaining <= 0;
  }
}

/** The FIFO of waiting pull requests, bounded by the consumer's max_waiting. */
export class PullRequestQueue {
  readonly #max: number;
  #requests: WaitingRequest[] = [];

  constructor(maxWaiting: number) {
    this.#max = maxWaiting > 0 ? maxWaiting : Number.MAX_SAFE_INTEGER;
  }

  get length(): number {
    return this.#requests.length;
  }

  get isFull(): boolean {
    return this.#requests.length >= this.#max;
  }

  /** False when the queue is full. */
  add(request: WaitingRequest): boolean {
    if (this.isFull) return false;
    this.#requests.push(request);
    return true;
  }

  peek(): WaitingRequest | undefined {
    return this.#requests[0];
  }

  remove(request: WaitingRequest): void {
    const i = this.#requests.indexOf(request);
    if (i >= 0) this.#requests.splice(i, 1);
  }

  /** Keeps only the requests `keep` returns true for (in order). */
  filter(keep: (request: WaitingRequest) => boolean): void {
    this.#requests = this.#requests.filter(keep);
  }

  /** Removes and returns every request. */
  drain(): WaitingRequest[] {
    const all = this.#requests;
    this.#requests = [];
    return all;
  }

  [Symbol.iterator](): Iterator<WaitingRequest> {
    return this.#requests[Symbol.iterator]();
  }
}
