/**
 * Pull requests waiting on a consumer (`$JS.API.CONSUMER.MSG.NEXT`): how a request body is
 * read (consumer.go nextReqFromMsg), the bounded FIFO they wait in (waitQueue, max_waiting),
 * and their life there (admission, serving, expiry, heartbeats).
 */
import { goDuration, type PriorityPolicy } from "./config.ts";
import { ConsumerStatus, type StatusHeaders } from "./status.ts";

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
  /**
   * The priority group fields (nats-server 2.11 PriorityGroup, inlined in the JSON request);
   * present whenever the body was JSON, as Go's request struct always holds them.
   */
  readonly priority?: PriorityRequest;
}

/** A pull request's `group`, `min_pending`, `min_ack_pending`, `id` and `priority`. */
export interface PriorityRequest {
  readonly group: string;
  readonly minPending: number;
  readonly minAckPending: number;
  /** The pin id the client quotes; the server sets it when it pins this request. */
  id: string;
  readonly priority: number;
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
    // Go's decoder error text, with the field's Go type.
    const int = (key: string, goType: string): number | { error: string } => {
      const v = r[key];
      if (v === undefined || v === null) return 0;
      if (typeof v !== "number" || !Number.isInteger(v)) {
        const jsonType = typeof v === "number" ? "number" : typeof v === "boolean" ? "bool" : Array.isArray(v) ? "array" : typeof v === "object" ? "object" : typeof v;
        return { error: `json: cannot unmarshal ${jsonType} into Go struct field JSApiConsumerGetNextRequest.${key} of type ${goType}` };
      }
      return v;
    };
    const batch = int("batch", "int");
    const expiresNs = int("expires", "time.Duration");
    const maxBytes = int("max_bytes", "int");
    const heartbeatNs = int("idle_heartbeat", "time.Duration");
    const minPending = int("min_pending", "int64");
    const minAckPending = int("min_ack_pending", "int64");
    const priority = int("priority", "int");
    for (const v of [batch, expiresNs, maxBytes, heartbeatNs, minPending, minAckPending, priority]) if (typeof v !== "number") return v;
    for (const key of ["group", "id"]) {
      const v = r[key];
      if (v !== undefined && v !== null && typeof v !== "string") return { error: `json: cannot unmarshal ${typeof v} into Go struct field JSApiConsumerGetNextRequest.${key} of type string` };
    }
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
      priority: {
        group: (r["group"] as string | undefined) ?? "",
        minPending: minPending as number,
        minAckPending: minAckPending as number,
        id: (r["id"] as string | undefined) ?? "",
        priority: priority as number,
      },
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
  readonly priority: PriorityRequest | undefined;

  constructor(reply: string, request: NextRequest, now: number) {
    this.reply = reply;
    this.remaining = request.batch;
    this.bytesLeft = request.maxBytes;
    this.noWait = request.noWait;
    this.expiresAt = request.expiresNs > 0 ? now + request.expiresNs / 1e6 : 0;
    this.heartbeatMs = request.heartbeatNs / 1e6;
    this.nextHeartbeatAt = this.heartbeatMs > 0 ? now + this.heartbeatMs : 0;
    this.priority = request.priority === undefined ? undefined : { ...request.priority };
  }

  /** Its `priority` level, lower served first; a request without one goes last (insertAtPosition). */
  get level(): number {
    return this.priority?.priority ?? Number.MAX_SAFE_INTEGER;
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

  /**
   * False when the queue is full. `sorted` (the `prioritized` policy) puts the request after every
   * one of its level or a lower one, so each level stays first in, first out (waitQueue
   * insertSorted).
   */
  add(request: WaitingRequest, sorted = false): boolean {
    if (this.isFull) return false;
    if (!sorted) {
      this.#requests.push(request);
      return true;
    }
    let i = this.#requests.length;
    while (i > 0 && this.#requests[i - 1]!.level > request.level) i--;
    this.#requests.splice(i, 0, request);
    return true;
  }

  /** Moves the first request to the back (waitQueue.cycle). */
  cycle(): void {
    const head = this.#requests.shift();
    if (head !== undefined) this.#requests.push(head);
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

/** What the waiting pull requests need from their consumer. */
export interface PullHost {
  hasInterest(subject: string): boolean;
  /** Publishes a header-only status message to `subject`. */
  status(subject: string, headers: StatusHeaders): void;
  /** The consumer's idle heartbeat as of now. */
  heartbeat(): StatusHeaders;
  /** Messages that could be delivered right now (pending plus redeliveries), for no_wait. */
  available(): number;
  /** The request limits of the consumer's current config. */
  limits(): { maxBatch: number; maxExpiresNs: number; maxBytes: number };
  /** The consumer's priority groups, its pin, and the counts `overflow` compares with. */
  priority(): PriorityHost;
  /** Something changed (a request came, a timer fired): try delivering. */
  wake(): void;
  caught(what: string, err: unknown): void;
}

/** What serving requests by priority group needs from the consumer. */
export interface PriorityHost {
  readonly policy: PriorityPolicy | undefined;
  readonly groups: readonly string[];
  /** The current pin id, "" for none. */
  pinId(): string;
  /** Pins `group` to a new id and returns it. */
  pin(group: string): string;
  /** The pinned client asked again. */
  touchPin(group: string): void;
  unpin(): void;
  /** `num_pending` after the message about to go out was taken. */
  numPending(): number;
  /** `num_ack_pending`. */
  ackPending(): number;
}

/**
 * A pull consumer's waiting requests and what happens to them: admission
 * (processNextMsgRequest), choosing the one to serve (nextWaiting), and expiry, end of stream,
 * lost interest and heartbeats (processWaiting), with the one timer that drives the last three.
 */
export class WaitingPulls {
  readonly #host: PullHost;
  readonly #queue: PullRequestQueue;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(host: PullHost, maxWaiting: number) {
    this.#host = host;
    this.#queue = new PullRequestQueue(maxWaiting);
  }

  get length(): number {
    return this.#queue.length;
  }

  /** A MSG.NEXT request; true when it was queued (the consumer is in use). */
  receive(reply: string, body: string, now: number): boolean {
    const host = this.#host;
    const request = parseNextRequest(body);
    if ("error" in request) {
      host.status(reply, ConsumerStatus.badRequest(request.error));
      return false;
    }
    const limits = host.limits();
    if (limits.maxBatch > 0 && request.batch > limits.maxBatch) {
      host.status(reply, ConsumerStatus.exceeded(`Exceeded MaxRequestBatch of ${limits.maxBatch}`));
      return false;
    }
    if (request.expiresNs > 0 && limits.maxExpiresNs > 0 && request.expiresNs > limits.maxExpiresNs) {
      host.status(reply, ConsumerStatus.exceeded(`Exceeded MaxRequestExpires of ${goDuration(limits.maxExpiresNs)}`));
      return false;
    }
    if (request.maxBytes > 0 && limits.maxBytes > 0 && request.maxBytes > limits.maxBytes) {
      host.status(reply, ConsumerStatus.exceeded(`Exceeded MaxRequestMaxBytes of ${limits.maxBytes}`));
      return false;
    }
    const refusal = this.#admitPriority(request);
    if (refusal !== undefined) {
      host.status(reply, refusal);
      return false;
    }
    if (this.#queue.isFull) this.process(false, now);
    if (request.noWait) {
      const available = host.available();
      if (available === 0 && request.expiresNs === 0) {
        host.status(reply, ConsumerStatus.noMessages());
        return true;
      }
      if (available > 0) {
        let claimed = 0;
        for (const wr of this.#queue) claimed += wr.remaining;
        if (available < claimed) {
          host.status(reply, ConsumerStatus.requestsPending());
          return true;
        }
      }
    }
    if (!this.#queue.add(new WaitingRequest(reply, request, now), host.priority().policy === "prioritized")) {
      // With heartbeats the client notices on its own; a 409 would make it retry in a hot loop.
      if (request.heartbeatNs === 0) host.status(reply, ConsumerStatus.exceededMaxWaiting());
      return true;
    }
    host.wake();
    return true;
  }

  /**
   * consumer.go nextWaiting: the first request that can take a message of `size` bytes,
   * answering expired ones with 408 and too-small ones with 409, dropping those whose reply
   * subject lost its subscriber. The request is charged for the bytes.
   */
  take(size: number, now: number): WaitingRequest | undefined {
    const queue = this.#queue;
    const priority = this.#host.priority();
    // Decided once for the pass, as nextWaiting does: each request without a pin id that is
    // looked at while there was no pin takes one.
    const needNewPin = priority.policy === "pinned_client" && priority.pinId() === "";
    let cycled = 0;
    for (let wr = queue.peek(); wr !== undefined; wr = queue.peek()) {
      if (wr.expiresAt > 0 && now >= wr.expiresAt) {
        this.#host.status(wr.reply, ConsumerStatus.requestTimeout(wr.remaining, wr.bytesLeft));
        queue.remove(wr);
        continue;
      }
      let assignedPin = false;
      const pr = wr.priority;
      if (needNewPin) {
        if (pr === undefined || pr.id === "") {
          if (pr !== undefined && pr.group !== "") {
            pr.id = priority.pin(pr.group);
            assignedPin = true;
          }
        } else {
          // It quotes a pin that is gone (nextWaiting: "Probably this is the old pin id").
          this.#host.status(wr.reply, ConsumerStatus.wrongPinId(wr.remaining, wr.bytesLeft));
          queue.remove(wr);
          continue;
        }
      } else if (priority.policy === "pinned_client" && priority.pinId() !== "") {
        if (pr === undefined || pr.id === "") {
          // Not the pinned client: it waits while the pin holds.
          queue.cycle();
          if (++cycled >= queue.length) return undefined;
          continue;
        }
        if (pr.id !== priority.pinId()) {
          this.#host.status(wr.reply, ConsumerStatus.wrongPinId(wr.remaining, wr.bytesLeft));
          queue.remove(wr);
          continue;
        }
      }
      if (priority.policy === "overflow" && pr !== undefined && (pr.minPending > 0 || pr.minAckPending > 0)) {
        const overflowing = (pr.minPending > 0 && pr.minPending <= priority.numPending() + 1) || (pr.minAckPending > 0 && pr.minAckPending <= priority.ackPending());
        if (!overflowing) {
          queue.cycle();
          if (++cycled >= queue.length) return undefined;
          continue;
        }
      }
      if (wr.bytesLeft > 0) {
        if (size > wr.bytesLeft) {
          this.#host.status(wr.reply, ConsumerStatus.maxBytesExceeded(wr.remaining, wr.bytesLeft));
          if (assignedPin) priority.unpin();
          queue.remove(wr);
          continue;
        }
        wr.bytesLeft -= size;
        // Exactly used up: this message is the request's last.
        if (wr.bytesLeft === 0) wr.remaining = 1;
      }
      if (this.#host.hasInterest(wr.reply)) return wr;
      queue.remove(wr);
    }
    return undefined;
  }

  /**
   * processNextMsgRequest's priority group checks, in its order; the status to refuse `request`
   * with, or undefined. A request quoting the current pin keeps the pin alive.
   */
  #admitPriority(request: NextRequest): StatusHeaders | undefined {
    const g = request.priority;
    if (g === undefined) return undefined;
    const priority = this.#host.priority();
    if ((g.minPending !== 0 || g.minAckPending !== 0) && priority.policy !== "overflow") return ConsumerStatus.badRequest("Not a Overflow Priority consumer");
    if (g.id !== "" && priority.policy !== "pinned_client") return ConsumerStatus.badRequest("Not a Pinned Client Priority consumer");
    if (g.priority < 0 || g.priority > 9) return ConsumerStatus.badRequest("Priority must be between 0 and 9");
    if (priority.policy === undefined) return undefined;
    if (g.group === "") return ConsumerStatus.badRequest("Priority Group missing");
    if (!priority.groups.includes(g.group)) return ConsumerStatus.badRequest("Invalid Priority Group");
    const pin = priority.pinId();
    if (pin !== "") {
      if (g.id === pin) priority.touchPin(g.group);
      else if (g.id !== "") return ConsumerStatus.pinIdMismatch();
    }
    return undefined;
  }

  /**
   * A message went to `wr`: it moves to the back of the line (round robin, consumer.go
   * waitQueue.pop) or leaves when done. Returns the `409 Batch Completed` status to send after
   * the message when the batch is done with max_bytes to spare.
   */
  served(wr: WaitingRequest, now: number): StatusHeaders | undefined {
    this.#queue.remove(wr);
    if (!wr.tookOne()) {
      // Under `prioritized` it goes to the back of its own level (waitQueue.popAndRequeue).
      this.#queue.add(wr, this.#host.priority().policy === "prioritized");
      if (wr.heartbeatMs > 0) wr.nextHeartbeatAt = now + wr.heartbeatMs;
      return undefined;
    }
    return wr.bytesLeft > 0 ? ConsumerStatus.batchCompleted(wr.remaining, wr.bytesLeft) : undefined;
  }

  /**
   * consumer.go processWaiting: expires requests (408), ends no_wait requests at the end of the
   * stream (404), drops requests without interest, sends due heartbeats, and arms the timer for
   * the next of these.
   */
  process(endOfStream: boolean, now: number): void {
    const host = this.#host;
    let next = 0;
    this.#queue.filter((wr) => {
      const expired = wr.expiresAt > 0 && now >= wr.expiresAt;
      if ((endOfStream && wr.noWait) || expired) {
        if (expired) {
          host.status(wr.reply, ConsumerStatus.requestTimeout(wr.remaining, wr.bytesLeft));
          return false;
        }
        // At the end of the stream a no_wait request ends: with 404 when it got nothing, with
        // 408 and what it still wanted when it got some (nats-server 2.9.10, checked by
        // test/jetstream/pull.test.ts against the differential script's findings).
        if (wr.delivered > 0) {
          host.status(wr.reply, ConsumerStatus.requestTimeout(wr.remaining, wr.bytesLeft));
          return false;
        }
        if (wr.expiresAt === 0) {
          host.status(wr.reply, ConsumerStatus.noMessages());
          return false;
        }
      }
      if (!host.hasInterest(wr.reply)) return false;
      if (wr.nextHeartbeatAt > 0) {
        if (now >= wr.nextHeartbeatAt) {
          host.status(wr.reply, host.heartbeat());
          wr.nextHeartbeatAt = now + wr.heartbeatMs;
        }
        if (next === 0 || wr.nextHeartbeatAt < next) next = wr.nextHeartbeatAt;
      }
      if (wr.expiresAt > 0 && (next === 0 || wr.expiresAt < next)) next = wr.expiresAt;
      return true;
    });
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (next > 0 && !this.#stopped) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        try {
          this.process(true, Date.now());
          host.wake();
        } catch (err) {
          host.caught("pull request timer", err);
        }
      }, timerDelay(next - now));
      this.#timer.unref();
    }
  }

  /** Stops the timer; with `deleted`, waiting requests learn the consumer is gone (409). */
  stop(deleted: boolean): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiting = this.#queue.drain();
    // consumer.go releaseAnyPendingRequests.
    if (deleted) for (const wr of waiting) this.#host.status(wr.reply, ConsumerStatus.consumerDeleted());
  }
}

/**
 * A setTimeout delay: at least 1 ms, and at most what Node's timers hold (2^31-1 ms); a longer
 * one would fire at once, so a far-off deadline is checked again when this one fires.
 */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(1, Math.ceil(ms)), 2_147_483_647);
}
