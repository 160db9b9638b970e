/**
 * The consumer advisories nats-server publishes (jetstream_events.go), for tools and for
 * dead-letter handling: a message that reached max_deliver, one that was naked or terminated,
 * a consumer created or deleted, and sampled ack metrics (`sample_freq`). As in nats-server (consumer.go sendAdvisory), an advisory
 * nobody subscribes to is not even encoded.
 */
import type { BusApi } from "../shared/contracts.ts";
import { ADVISORY_PREFIX, ADVISORY_TYPE, publishAdvisory } from "../shared/advisories.ts";

const PREFIX = `${ADVISORY_PREFIX}.CONSUMER`;
const METRIC_PREFIX = "$JS.EVENT.METRIC.CONSUMER.ACK";

export class ConsumerAdvisories {
  readonly #bus: BusApi;
  readonly #stream: string;
  readonly #consumer: string;
  /** The JetStream domain, when one is configured: every advisory names it (`domain`, omitempty). */
  readonly #domain: string | undefined;

  constructor(bus: BusApi, stream: string, consumer: string, domain?: string) {
    this.#bus = bus;
    this.#stream = stream;
    this.#consumer = consumer;
    this.#domain = domain;
  }

  /** JSConsumerDeliveryExceededAdvisory: `seq` went out `deliveries` times and will not again. */
  maxDeliveries(streamSeq: number, deliveries: number): void {
    this.#send("MAX_DELIVERIES", "max_deliver", { stream_seq: streamSeq, deliveries });
  }

  /** JSConsumerDeliveryNakAdvisory. */
  naked(consumerSeq: number, streamSeq: number, deliveries: number): void {
    this.#send("MSG_NAKED", "nak", { consumer_seq: consumerSeq, stream_seq: streamSeq, deliveries });
  }

  /** JSConsumerDeliveryTerminatedAdvisory. */
  terminated(consumerSeq: number, streamSeq: number, deliveries: number, reason: string): void {
    this.#send("MSG_TERMINATED", "terminated", { consumer_seq: consumerSeq, stream_seq: streamSeq, deliveries, ...(reason !== "" && { reason }) });
  }

  /** JSConsumerAckMetric (`$JS.EVENT.METRIC.CONSUMER.ACK`): a sampled ack and how long it took. */
  ackSampled(consumerSeq: number, streamSeq: number, ackTimeNs: number, deliveries: number): void {
    const subject = `${METRIC_PREFIX}.${this.#stream}.${this.#consumer}`;
    this.#publish(subject, "io.nats.jetstream.metric.v1.consumer_ack", { consumer_seq: consumerSeq, stream_seq: streamSeq, ack_time: Math.round(ackTimeNs), deliveries });
  }

  /** JSConsumerActionAdvisory. */
  action(action: "create" | "delete"): void {
    this.#send(action === "create" ? "CREATED" : "DELETED", "consumer_action", { action });
  }

  /** JSConsumerPauseAdvisory: paused until `pauseUntil`, or running again. */
  pause(paused: boolean, pauseUntil: string | undefined): void {
    this.#send("PAUSE", "consumer_pause", { paused, ...(pauseUntil !== undefined && { pause_until: pauseUntil }) });
  }

  /** JSConsumerGroupPinnedAdvisory: `group`'s messages now go to the client holding `pinnedId`. */
  pinned(group: string, pinnedId: string): void {
    this.#send("PINNED", "consumer_group_pinned", { account: "$G", group, pinned_id: pinnedId }, "early");
  }

  /** JSConsumerGroupUnpinnedAdvisory: the pin went, by `CONSUMER.UNPIN` ("admin") or `priority_timeout`. */
  unpinned(group: string, reason: "admin" | "timeout"): void {
    this.#send("UNPINNED", "consumer_group_unpinned", { account: "$G", group, reason }, "early");
  }

  #send(kind: string, type: string, fields: Record<string, unknown>, domainAt: "early" | "last" = "last"): void {
    this.#publish(`${PREFIX}.${kind}.${this.#stream}.${this.#consumer}`, `${ADVISORY_TYPE}.${type}`, fields, domainAt);
  }

  /**
   * The pin advisories name the account first and the domain right after the consumer; the
   * others the domain last: the field orders of their Go structs (jetstream_events.go).
   */
  #publish(subject: string, type: string, fields: Record<string, unknown>, domainAt: "early" | "last" = "last"): void {
    const { account, ...rest } = fields;
    const domain = this.#domain === undefined ? {} : { domain: this.#domain };
    publishAdvisory(this.#bus, subject, type, {
      ...(account !== undefined && { account }),
      stream: this.#stream,
      consumer: this.#consumer,
      ...(domainAt === "early" && domain),
      ...rest,
      ...(domainAt === "last" && domain),
    });
  }
}
