/**
 * What the parts of one consumer share (the stream cursor, the ack wait, ack handling, pacing,
 * inactivity, state saving, the delivery sides' hosts): its stream, delivery bookkeeping,
 * advisories and config, and the few things any part may ask of the whole: wake delivery,
 * save the state, send a status message, and keep an exception from reaching a client or the
 * host. nats-server keeps all of this in one `consumer` struct; here `consumer.ts` owns it and
 * hands each part this view, read-only.
 */
import { ConsumerAdvisories } from "./advisories.ts";
import type { ConsumerConfig } from "./config.ts";
import { DeliveryState } from "./pending.ts";
import type { StatusHeaders } from "./status.ts";
import type { BusApi, StreamHandle } from "../shared/contracts.ts";

const EMPTY = new Uint8Array(0);

export class ConsumerCore {
  readonly bus: BusApi;
  readonly stream: StreamHandle;
  readonly name: string;
  readonly state = new DeliveryState();
  readonly advisories: ConsumerAdvisories;
  /** The config in force; only the consumer replaces it (on update). */
  config: ConsumerConfig;
  /** Set once the consumer stopped: timers and acks arriving late do nothing. */
  closed = false;
  /** Schedules a delivery pass (in a microtask; many calls make one pass). */
  readonly kick: () => void;
  /** Schedules a save of the delivery state (durables; throttled). */
  readonly persist: () => void;
  readonly #host: { caught(what: string, err: unknown): void };

  constructor(
    host: { readonly bus: BusApi; readonly domain?: string; caught(what: string, err: unknown): void },
    stream: StreamHandle,
    name: string,
    config: ConsumerConfig,
    hooks: { readonly kick: () => void; readonly persist: () => void },
  ) {
    this.bus = host.bus;
    this.stream = stream;
    this.name = name;
    this.config = config;
    this.advisories = new ConsumerAdvisories(host.bus, stream.name, name, host.domain);
    this.kick = hooks.kick;
    this.persist = hooks.persist;
    this.#host = host;
  }

  /** Runs `work`, logging what it throws so that nothing reaches a client or the host. */
  guard(what: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.caught(what, err);
    }
  }

  /** Logs an exception that must not reach a client or the host, naming the consumer. */
  caught(what: string, err: unknown): void {
    this.#host.caught(`JetStream consumer '${this.stream.name} > ${this.name}' ${what}`, err);
  }

  /** Publishes a header-only status message (status.ts) to `subject`. */
  status(subject: string, headers: StatusHeaders, reply?: string): void {
    try {
      this.bus.publish(subject, EMPTY, { headers, ...(reply !== undefined && { reply }) });
    } catch (err) {
      this.caught("status", err);
    }
  }
}
