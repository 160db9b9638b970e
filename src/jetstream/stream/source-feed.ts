/**
 * How a mirror or a source reads its origin stream, as nats-server's `setupMirrorConsumer`,
 * `setupSourceConsumer`, `processInboundMirrorMsg` and `processInboundSourceMsg`: it asks the
 * origin's API (over the bus, so through `external.api` another domain's too) for a push
 * consumer with flow control and idle heartbeats, starting where it left off, and takes the
 * messages in origin order. A missed delivery sequence, a heartbeat that reports another one, an
 * error, or silence for ten seconds makes it ask again from where it is. It owns at most one
 * timer and two subscriptions at any time; `stop()` releases them.
 */
import { randomInt } from "node:crypto";
import type { Logger } from "../../base/logger.ts";
import type { DirectMsg } from "../../direct/direct-message.ts";
import type { ApiError, BusApi } from "../shared/contracts.ts";
import { logCaught } from "../shared/log-caught.ts";
import { SubjectTransform } from "../../subjects/subject-transform.ts";
import type { StreamSource } from "../shared/types.ts";

/** `sourceHealthHB`: the origin consumer's idle heartbeat. */
const HEARTBEAT_NS = 1_000_000_000;
/** `sourceHealthCheckInterval`: silence this long means the consumer is gone; also its inactive threshold. */
const HEALTH_CHECK_MS = 10_000;
/**
 * `dgetCaughtUpThresh`: a mirror with `mirror_direct` joins its origin's direct-get responders
 * once a delivery says fewer messages than this are still to come (processInboundMirrorMsg).
 */
const DIRECT_CAUGHT_UP = 10;
/** How long a consumer create may take before it is asked again. */
const CREATE_TIMEOUT_MS = 5_000;
/** Retries back off from this to the health-check interval. */
const FIRST_RETRY_MS = 250;
/** nats-server's mirror and source consumers ack nothing; their ack wait is 22 hours. */
const ACK_WAIT_NS = 22 * 3600 * 1_000_000_000;
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Where the messages go: the mirror or the stream with the source. */
export interface FeedSink {
  /** The next origin sequence wanted, or 0 when nothing was taken yet (then the source's own start applies). */
  nextSeq(): number;
  /**
   * One origin message, in order, its subject already transformed (`originSubject` is the one
   * it had there). `originSeq` is its sequence in the origin. Returns false when it could not
   * be stored: the feed starts over.
   */
  take(subject: string, headers: Uint8Array | undefined, data: Uint8Array, originSeq: number, timeNs: bigint, originSubject: string): boolean;
}

export class SourceFeed {
  readonly source: StreamSource;
  /** Messages the origin still had for us at the last delivery. */
  lag = 0;
  /** The last consumer-create error, until a create succeeds. */
  error: ApiError | undefined;
  /** When the origin was last heard from (Date.now()), 0 when never. */
  lastContactMs = 0;
  /**
   * Whether the feed has once come within `dgetCaughtUpThresh` of its origin; from then on it
   * stays so (nats-server keeps the mirror's direct-get subscription once made).
   */
  caughtUp = false;
  readonly #bus: BusApi;
  readonly #logger: Logger;
  readonly #kind: "M" | "S";
  readonly #sink: FeedSink;
  readonly #transforms: SubjectTransform[];
  #deliverSub: { unsubscribe(): void } | undefined;
  #replySub: { unsubscribe(): void } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retryMs = FIRST_RETRY_MS;
  /** Which consumer the messages come from now, and its last delivery and origin sequences. */
  #generation = 0;
  #dseq = 0;
  #sseq = 0;
  #stopped = false;

  constructor(bus: BusApi, logger: Logger, source: StreamSource, kind: "mirror" | "source", sink: FeedSink) {
    this.#bus = bus;
    this.#logger = logger;
    this.source = source;
    this.#kind = kind === "mirror" ? "M" : "S";
    this.#sink = sink;
    this.#transforms = (source.subject_transforms ?? []).filter((t) => t.dest !== "").map((t) => new SubjectTransform(t.src, t.dest));
  }

  start(): void {
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    this.#disconnect();
  }

  #disconnect(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#deliverSub?.unsubscribe();
    this.#replySub?.unsubscribe();
    this.#deliverSub = undefined;
    this.#replySub = undefined;
    this.#generation++;
  }

  /** Asks again later, backing off. */
  #retry(): void {
    if (this.#stopped) return;
    this.#disconnect();
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, HEALTH_CHECK_MS);
    this.#timer = setTimeout(() => this.#guard(() => this.#connect()), wait);
  }

  #guard(work: () => void): void {
    try {
      work();
    } catch (err) {
      logCaught(this.#logger, `JetStream ${this.#kind === "M" ? "mirror" : "source"} '${this.source.name}'`, err);
      this.#retry();
    }
  }

  #connect(): void {
    if (this.#stopped) return;
    this.#disconnect();
    const generation = this.#generation;
    const id = syncToken();
    const deliverPrefix = this.source.external?.deliver;
    const deliver = deliverPrefix !== undefined ? `${deliverPrefix}.${this.#kind}.${id}`.replaceAll("..", ".") : `$JS.${this.#kind}.${id}`;
    this.#deliverSub = this.#bus.subscribe(deliver, { callback: (_err, msg) => this.#guard(() => this.#onMessage(msg, generation)) });
    const name = `JS_${this.#kind === "M" ? "MIRROR" : "SOURCE"}_${id}`;
    const config: Record<string, unknown> = {
      name,
      deliver_subject: deliver,
      ack_policy: "none",
      ack_wait: ACK_WAIT_NS,
      max_deliver: 1,
      idle_heartbeat: HEARTBEAT_NS,
      flow_control: true,
      direct: true,
      inactive_threshold: HEALTH_CHECK_MS * 1_000_000,
    };
    const next = this.#sink.nextSeq();
    if (next > 0) {
      Object.assign(config, { deliver_policy: "by_start_sequence", opt_start_seq: next });
    } else if ((this.source.opt_start_seq ?? 0) > 0) {
      Object.assign(config, { deliver_policy: "by_start_sequence", opt_start_seq: this.source.opt_start_seq });
    } else if (this.source.opt_start_time !== undefined) {
      Object.assign(config, { deliver_policy: "by_start_time", opt_start_time: this.source.opt_start_time });
    } else {
      config["deliver_policy"] = "all";
    }
    const filters = this.source.filter_subject !== undefined ? [this.source.filter_subject] : (this.source.subject_transforms ?? []).map((t) => t.src || ">");
    if (filters.length === 1 && filters[0] !== ">") config["filter_subject"] = filters[0];
    else if (filters.length > 1) config["filter_subjects"] = filters;
    const api = this.source.external?.api || "$JS.API";
    const inbox = `_INBOX.${syncToken()}${syncToken()}`;
    this.#replySub = this.#bus.subscribe(inbox, { callback: (_err, msg) => this.#guard(() => this.#onCreated(msg, generation, next)) });
    this.#timer = setTimeout(() => this.#guard(() => this.#retry()), CREATE_TIMEOUT_MS);
    this.#bus.publish(`${api}.CONSUMER.CREATE.${this.source.name}.${name}`, JSON.stringify({ stream_name: this.source.name, config }), { reply: inbox });
  }

  #onCreated(msg: DirectMsg, generation: number, next: number): void {
    if (generation !== this.#generation || this.#stopped) return;
    this.#replySub?.unsubscribe();
    this.#replySub = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    let reply: { error?: ApiError; delivered?: { stream_seq?: number } };
    try {
      reply = JSON.parse(msg.string()) as typeof reply;
    } catch {
      return this.#retry();
    }
    if (reply.error !== undefined) {
      this.error = reply.error;
      return this.#retry();
    }
    this.error = undefined;
    this.#retryMs = FIRST_RETRY_MS;
    this.#dseq = 0;
    this.#sseq = Math.max(reply.delivered?.stream_seq ?? 0, next - 1);
    this.lastContactMs = Date.now();
    this.#watch(generation);
  }

  /** The health check: silence for the interval means the consumer is gone (one timer). */
  #watch(generation: number): void {
    this.#timer = setTimeout(() => {
      this.#guard(() => {
        if (generation !== this.#generation || this.#stopped) return;
        if (Date.now() - this.lastContactMs >= HEALTH_CHECK_MS) this.#retry();
        else this.#watch(generation);
      });
    }, HEALTH_CHECK_MS);
  }

  #onMessage(msg: DirectMsg, generation: number): void {
    if (generation !== this.#generation || this.#stopped) return;
    this.lastContactMs = Date.now();
    const headers = msg.headers;
    if (headers !== undefined && headers.code === 100) {
      // Flow control asks for an answer on its reply; a heartbeat may say we stalled one, or
      // that deliveries went missing (stream.go processInboundMirrorMsg).
      if (msg.reply !== "") this.#bus.publish(msg.reply, "");
      const lastConsumer = Number(headers.get("Nats-Last-Consumer"));
      if (lastConsumer > 0 && lastConsumer !== this.#dseq) return this.#retry();
      const stalled = headers.get("Nats-Consumer-Stalled");
      if (stalled !== "") this.#bus.publish(stalled, "");
      return;
    }
    const ack = parseAck(msg.reply);
    if (ack === undefined || ack.deliveries > 1) return;
    const { streamSeq, consumerSeq, timeNs, pending } = ack;
    if (streamSeq <= this.#sseq) {
      if (consumerSeq === this.#dseq + 1) this.#dseq++;
      return;
    }
    // The next one, or (the delivery sequence says nothing was missed) a gap the origin made.
    if (streamSeq !== this.#sseq + 1 && consumerSeq !== this.#dseq + 1) return this.#retry();
    let subject = msg.subject;
    for (const tr of this.#transforms) {
      const mapped = tr.match(subject);
      if (mapped !== undefined) {
        subject = mapped;
        break;
      }
    }
    if (!this.#sink.take(subject, msg.rawHeaders, Buffer.from(msg.data), streamSeq, timeNs, msg.subject)) return this.#retry();
    this.#dseq = consumerSeq;
    this.#sseq = streamSeq;
    this.lag = pending > 0 ? pending - 1 : 0;
    if (pending < DIRECT_CAUGHT_UP) this.caughtUp = true;
  }
}

/** The parts of a v1 or v2 ack subject the feed reads (nats-server `ackReplyInfo`). */
function parseAck(reply: string): { deliveries: number; streamSeq: number; consumerSeq: number; timeNs: bigint; pending: number } | undefined {
  const t = reply.split(".");
  if (t[0] !== "$JS" || t[1] !== "ACK") return undefined;
  const o = t.length === 9 ? 4 : t.length >= 11 ? 6 : -1;
  if (o < 0) return undefined;
  const n = (i: number): number => {
    const v = Number(t[o + i]);
    return Number.isInteger(v) && v >= 0 ? v : -1;
  };
  if (!/^\d+$/.test(t[o + 3] ?? "")) return undefined;
  const out = { deliveries: n(0), streamSeq: n(1), consumerSeq: n(2), timeNs: BigInt(t[o + 3]!), pending: n(4) };
  return out.deliveries < 0 || out.streamSeq < 0 || out.consumerSeq < 0 ? undefined : out;
}

/** Eight base-62 characters, as nats-server's `syncSubject` suffix. */
function syncToken(): string {
  let s = "";
  for (let i = 0; i < 8; i++) s += DIGITS[randomInt(62)];
  return s;
}
