/**
 * The seam between the stream side of JetStream (API dispatcher, streams, publish path) and
 * the consumer side (consumer API, pull/push delivery, acks). Each side is written against
 * these interfaces only, so they can evolve apart; `../jetstream.ts` wires them together.
 */
import type { DirectMsg } from "../../direct/direct-message.ts";
import type { StreamStore, ConsumerStore } from "../store/stream-store.ts";

/** What both sides need from the broker: the in-process API (no protocol bytes). */
export interface BusApi {
  publish(subject: string, data?: Uint8Array | string, options?: { reply?: string; headers?: { encode(): Uint8Array } }): boolean;
  subscribe(subject: string, options: { queue?: string; callback: (err: Error | null, msg: DirectMsg) => void }): { unsubscribe(): void };
  /**
   * An in-process subscription whose handler says, message by message, whether it took the
   * message: when it did not and nobody else did, the publisher of a request gets nats-server's
   * no-responders status (503). nats-server's `$JS.API.>` service import is such a taker: it
   * does not count for `CONSUMER.MSG.NEXT` and `DIRECT.GET` (client.go `processServiceImport`,
   * `checkJS`), which only a consumer's or a stream's own subscription answers. A handler that
   * throws is logged by the bus and counts as taken.
   */
  serve(subject: string, handler: (msg: DirectMsg) => boolean): { unsubscribe(): void };
  /** True when some subscriber (any kind of client) matches `subject`: push consumers check their deliver subject. */
  hasInterest(subject: string): boolean;
  /**
   * Delivers a stored message to the subscribers of `deliverSubject` while presenting it as
   * `subject`, as nats-server's internal client does: a pull request's inbox (or a push
   * consumer's deliver subject) receives `HMSG orders.1 <sid> $JS.ACK.… …`, so clients see the
   * message's original subject. Matching is on `deliverSubject` only (queue groups included);
   * `headers` is a raw header block (`NATS/1.0\r\n…\r\n\r\n`). Returns whether anyone got it.
   * Implemented with the router: `deliverTo(match(deliverSubject), undefined, subject, …)`.
   */
  deliver(deliverSubject: string, subject: string, data: Uint8Array, options?: { reply?: string; headers?: Uint8Array }): boolean;
  /** The server's `max_payload` as of now: a counter's new total must fit it (stream.go processJetStreamMsg). */
  maxPayload(): number;
}

/** A stream as the consumer side sees it. */
export interface StreamHandle {
  readonly name: string;
  /** The stream's config in nats-server's JSON shape (snake_case), defaults filled. */
  readonly config: Readonly<Record<string, unknown>> & { retention: "limits" | "interest" | "workqueue"; subjects?: string[] };
  readonly store: StreamStore;
  /** Called after each message is stored, with its sequence and subject. Returns an unsubscribe function. */
  onStored(listener: (seq: number, subject: string) => void): () => void;
  /** A consumer acknowledged `seq`: under interest/workqueue retention the stream removes it once no consumer still needs it. */
  acked(seq: number): void;
  /** Opens the per-consumer persistent store (file store keeps it next to the stream). */
  consumerStore(name: string): ConsumerStore;
  /**
   * A consumer was created or deleted. Under interest retention the stream then drops the
   * messages no remaining consumer needs (nats-server `checkInterestState`); call it after the
   * consumer is in (or out of) `consumersOf`.
   */
  consumersChanged(): void;
}

/** A consumer as the stream side sees it (retention decisions, STREAM.INFO consumer_count). */
export interface ConsumerHandle {
  readonly name: string;
  /** A server-internal consumer (a mirror's or a source's): not counted in `consumer_count`. */
  readonly direct: boolean;
  /** Under interest/workqueue retention: does this consumer still need `seq` (filter matches and not yet acked)? */
  needsAck(seq: number, subject: string): boolean;
  /** Filter subjects ([] = the whole stream), for workqueue overlap checks. */
  readonly filterSubjects: readonly string[];
  /** Stops timers and delivery; `deleteState` also removes its persisted state. */
  stop(deleteState: boolean): Promise<void>;
}

/** A JetStream API error as nats-server sends it: `{"error":{"code":…,"err_code":…,"description":…}}`. */
export interface ApiError {
  code: number;
  err_code: number;
  description: string;
}

/** The consumer side, registered with the API dispatcher. */
export interface ConsumerManager {
  /**
   * Handles `$JS.API.CONSUMER.<op>…` requests. `tokens` are the subject tokens after
   * `$JS.API.CONSUMER.` (e.g. ["CREATE","ORDERS","proc","orders.>"], ["MSG","NEXT","ORDERS","proc"]).
   * It replies through `msg.respond()` itself; it never throws.
   */
  handle(tokens: readonly string[], msg: DirectMsg): void;
  /** Whether `stream` has a consumer called `name` now (its pull requests have a taker). */
  has(stream: string, name: string): boolean;
  /** The consumers of a stream, for retention and counts. */
  consumersOf(stream: string): readonly ConsumerHandle[];
  /** A stream was deleted (stop and delete its consumers) or the broker is closing (stop, keep state). */
  streamDeleted(stream: string): Promise<void>;
  /** Recreates durables found in storage after a restart. */
  recover(stream: StreamHandle, consumers: Array<{ name: string; config: unknown }>): Promise<void>;
  close(): Promise<void>;
}

/** What the consumer side may ask of the stream side. */
export interface StreamRegistry {
  get(name: string): StreamHandle | undefined;
}
