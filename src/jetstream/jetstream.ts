/**
 * The JetStream service: a client of the bus like any other, as in nats-server. It answers the
 * `$JS.API.>` request/reply API (and `$JS.<domain>.API.>`), holds the streams, opens their
 * stores (memory or file), recovers file streams at start, and wires in the consumer side
 * through the {@link ConsumerManager} seam. `close()` stops consumers and flushes every store.
 */
import type { ApiError, BusApi, ConsumerHandle, ConsumerManager, StreamRegistry } from "./shared/contracts.ts";
import { JsErrors } from "./shared/api-errors.ts";
import type { Logger } from "../base/logger.ts";
import type { StoreFactory } from "./store/stream-store.ts";
import { NO_ACCOUNT_LIMITS, type AccountJetStreamLimits, type ResolvedJetStreamOptions } from "./jetstream-options.ts";
import { ApiDispatcher, type ApiHost } from "./api/dispatcher.ts";
import { forwardWrite, mappedDomainWrite } from "./api/domain-mappings.ts";
import { Stream, type StreamHost } from "./stream/stream.ts";
import { BatchInflight } from "./stream/atomic-batch.ts";
import { JS_API_LEVEL } from "./shared/api-level.ts";
import { storeLimits } from "./stream/config.ts";
import type { StreamConfig } from "./shared/types.ts";
import { openStoreFactories } from "./store-factories.ts";
import { nowNs } from "./store/clock.ts";
import { logCaught } from "./shared/log-caught.ts";
import { ADVISORY_PREFIX, ADVISORY_TYPE, publishAdvisory } from "./shared/advisories.ts";
import type { MsgHeaders } from "../direct/headers.ts";
import type { DirectMsg } from "../direct/direct-message.ts";
import { StreamConsumers } from "./consumer/manager.ts";

/** Builds the consumer side once the service exists (it needs the bus and the streams); tests may swap it. */
export type ConsumerManagerFactory = (context: { bus: BusApi; streams: StreamRegistry; logger: Logger; maxConsumers: () => number; strict: boolean }) => ConsumerManager;

/**
 * The account a JetStream service belongs to: its name, its own limits, and what every
 * account's service holds on this server together (the server-wide `maxMemory`/`maxStore`
 * bound their sum, as nats-server's `js.memReserved` / `js.storeReserved` do).
 */
export interface JetStreamAccount {
  readonly name: string;
  readonly limits: AccountJetStreamLimits;
  /** Bytes every account's streams of this storage hold, or reserve (`max_bytes`), on the server. */
  serverUsage(storage: StreamConfig["storage"], kind: "used" | "reserved"): number;
}

/** What a stream's store records besides its messages, to come back after a restart. */
interface SavedStream {
  config: StreamConfig;
  /** STREAM.INFO `created`, ns since the epoch, as a decimal string. */
  created: string;
}

export class JetStream implements ApiHost, StreamRegistry {
  readonly logger: Logger;
  readonly options: ResolvedJetStreamOptions;
  /** Resolves once stored streams are recovered and the API answers. */
  readonly ready: Promise<void>;
  readonly #bus: BusApi;
  readonly #streams = new Map<string, Stream>();
  readonly #dispatcher: ApiDispatcher;
  readonly #apiSubscriptions: Array<{ unsubscribe(): void }> = [];
  readonly #streamHost: StreamHost;
  #factories: { memory: StoreFactory; file: StoreFactory } | undefined;
  #consumers: ConsumerManager | undefined;
  #closing: Promise<void> | undefined;

  /** The server's name (nats-server `s.Name()`: its id unless `server_name` is set), for advisories. */
  readonly #serverName: string;
  readonly #account: JetStreamAccount;

  constructor(bus: BusApi, options: ResolvedJetStreamOptions, logger: Logger, consumers?: ConsumerManagerFactory, serverName = "", account?: JetStreamAccount) {
    this.#bus = bus;
    this.#account = account ?? { name: "$G", limits: NO_ACCOUNT_LIMITS, serverUsage: (storage, kind) => this.usage(storage, kind) };
    this.#serverName = serverName;
    this.options = options;
    this.logger = logger;
    const service = this;
    this.#streamHost = {
      bus,
      domain: options.domain,
      logger,
      consumersOf: (stream) => service.#consumersOf(stream),
      hasRoomFor: (storage) => service.#hasRoomFor(storage),
      batchInflight: new BatchInflight(),
    };
    this.#consumers = (consumers ?? ((context) => new StreamConsumers(context)))({ bus, streams: this, logger, maxConsumers: () => this.#account.limits.maxConsumers, strict: options.strict, ...(options.domain !== undefined && { domain: options.domain }) });
    this.ready = this.#start();
    this.#dispatcher = new ApiDispatcher(this, this.ready);
    // Subscribed at once, so that requests sent during recovery wait in line rather than
    // finding nobody (no responders) and failing.
    this.#apiSubscriptions.push(bus.serve("$JS.API.>", (msg) => this.#dispatcher.dispatch(msg, "$JS.API.".length)));
    const domain = options.domain;
    if (domain !== undefined) {
      const prefix = `$JS.${domain}.API.`;
      this.#apiSubscriptions.push(bus.serve(`${prefix}>`, (msg) => this.dispatch(msg, prefix.length)));
    }
  }

  /**
   * Handles an API request (also one received before the service ran, which the loader held).
   * Returns whether it had a taker (see `ApiDispatcher.dispatch`).
   */
  dispatch(msg: DirectMsg, prefixLength: number): boolean {
    // A KV/object write through a domain's prefix is a mapped publish, not a request.
    const mapped = mappedDomainWrite(msg.subject, prefixLength);
    if (mapped === undefined) return this.#dispatcher.dispatch(msg, prefixLength);
    forwardWrite(this.#bus, msg, mapped);
    return true;
  }

  /** The account's own limits (`$JS.API.INFO` `limits`). */
  get accountLimits(): AccountJetStreamLimits {
    return this.#account.limits;
  }

  get strict(): boolean {
    return this.options.strict;
  }

  get consumers(): ConsumerManager | undefined {
    return this.#consumers;
  }

  /** API requests answered and those answered with an error, since start: `/jsz` `api`. */
  get apiStats(): { readonly total: number; readonly errors: number } {
    return this.#dispatcher.stats;
  }

  async #start(): Promise<void> {
    // Let the constructor return first, so a host's own start-up lines come before ours (as
    // nats-server logs its version before JetStream's block).
    await Promise.resolve();
    const { storeDir, storeDirDefaulted, domain, maxMemory, maxStore } = this.options;
    this.logger.info("Starting JetStream");
    if (storeDirDefaulted) this.logger.warn("Temporary storage directory used, data could be lost on system reboot");
    this.logger.info("---------------- JETSTREAM ----------------");
    this.logger.info(`  Max Memory:      ${friendlyBytes(maxMemory)}`);
    this.logger.info(`  Max Storage:     ${friendlyBytes(maxStore)}`);
    this.logger.info(`  Store Directory: "${storeDir}"`);
    if (domain !== undefined) this.logger.info(`  Domain:          ${domain}`);
    this.logger.info("-------------------------------------------");
    this.#factories = openStoreFactories(this.options, (what, err) => logCaught(this.logger, what, err));
    const found = await this.#factories.file.recover();
    for (const entry of found) {
      try {
        await this.#recoverStream(entry.name, entry.config, entry.consumers);
      } catch (err) {
        logCaught(this.logger, `Error recovering stream '${entry.name}'`, err);
      }
    }
    if (found.length > 0) this.logger.info(`  Recovered ${found.length} stream(s)`);
    this.logger.info("JetStream started");
  }

  async #recoverStream(name: string, saved: unknown, consumers: Array<{ name: string; config: unknown }>): Promise<void> {
    const record = saved as Partial<SavedStream> | undefined;
    const config = record?.config;
    if (config === undefined || config.name !== name) throw new Error("no usable configuration was saved");
    const store = await this.#factories!.file.open(name, record, storeLimits(config));
    const created = /^\d+$/.test(record?.created ?? "") ? BigInt(record!.created!) : nowNs();
    const stream = new Stream(this.#streamHost, config, store, created);
    this.#streams.set(name, stream);
    stream.startCapture();
    if (this.#consumers !== undefined && consumers.length > 0) await this.#consumers.recover(stream, consumers);
    this.logger.info(`  Restored ${stream.store.state().messages} messages for stream '${name}'`);
  }

  // ---- StreamRegistry / ApiHost --------------------------------------------------------------

  get(name: string): Stream | undefined {
    return this.#streams.get(name);
  }

  stream(name: string): Stream | undefined {
    return this.#streams.get(name);
  }

  streams(): Stream[] {
    return [...this.#streams.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  directResponders(name: string): Stream[] {
    const origin = this.#streams.get(name);
    const responders = origin?.config.allow_direct === true ? [origin] : [];
    for (const stream of this.#streams.values()) if (stream.answersDirectFor(name)) responders.push(stream);
    return responders;
  }

  async createStream(config: StreamConfig): Promise<Stream> {
    const factories = this.#factories;
    if (factories === undefined) throw new Error("JetStream is not started");
    const created = nowNs();
    const record: SavedStream = { config, created: created.toString() };
    const store = await factories[config.storage].open(config.name, record, storeLimits(config));
    if (config.first_seq !== undefined && config.first_seq > 1) store.skipTo(config.first_seq);
    const stream = new Stream(this.#streamHost, config, store, created);
    this.#streams.set(config.name, stream);
    stream.startCapture();
    this.#streamAction(stream.name, "create");
    return stream;
  }

  updateStream(stream: Stream, config: StreamConfig): void {
    const retentionChanged = stream.config.retention !== config.retention;
    stream.update(config);
    const record: SavedStream = { config, created: stream.createdNs.toString() };
    this.#factories?.[config.storage].saveConfig(config.name, record);
    if (retentionChanged) stream.consumersChanged();
    // Every accepted update, changed or not (stream.go `updateWithAdvisory`).
    this.#streamAction(stream.name, "modify");
  }

  async deleteStream(stream: Stream): Promise<void> {
    stream.stop();
    this.#streams.delete(stream.name);
    await this.#consumers?.streamDeleted(stream.name);
    await stream.store.destroy();
    // After the consumers' own (stream.go `stop`: "Send stream delete advisory after the consumers").
    this.#streamAction(stream.name, "delete");
  }

  /**
   * JSStreamActionAdvisory on `$JS.EVENT.ADVISORY.STREAM.CREATED|UPDATED|DELETED.<stream>`
   * (stream.go `sendCreateAdvisory`, `sendUpdateAdvisoryLocked`, `sendDeleteAdvisoryLocked`).
   * Not for a stream recovered at start or created again with the same config, as nats-server.
   */
  #streamAction(stream: string, action: "create" | "modify" | "delete"): void {
    const kind = action === "create" ? "CREATED" : action === "modify" ? "UPDATED" : "DELETED";
    publishAdvisory(this.#bus, `${ADVISORY_PREFIX}.STREAM.${kind}.${stream}`, `${ADVISORY_TYPE}.stream_action`, {
      stream,
      action,
      ...(this.options.domain !== undefined && { domain: this.options.domain }),
    });
  }

  /**
   * JSAPIAudit on `$JS.EVENT.ADVISORY.API` after an API answer (jetstream_api.go
   * `sendJetStreamAPIAuditAdvisory`, called by `sendAPIResponse`). Of the requester only the
   * account and this server are known here (the shape nats-server 2.9 sends; newer ones add
   * the client's connection details).
   */
  auditing(): boolean {
    return this.#bus.hasInterest(`${ADVISORY_PREFIX}.API`);
  }

  audit(subject: string, request: string, response: string): void {
    publishAdvisory(this.#bus, `${ADVISORY_PREFIX}.API`, `${ADVISORY_TYPE}.api_audit`, {
      server: this.#serverName,
      client: { acc: this.#account.name, server: this.#serverName },
      subject,
      ...(request !== "" && { request }),
      response,
      ...(this.options.domain !== undefined && { domain: this.options.domain }),
    });
  }

  publish(subject: string, data?: Uint8Array | string, options?: { headers?: MsgHeaders }): boolean {
    return this.#bus.publish(subject, data, options);
  }

  /** `$JS.API.INFO`: nats-server's JetStreamAccountStats. */
  accountInfo(): Record<string, unknown> {
    let memory = 0;
    let storage = 0;
    let consumers = 0;
    for (const stream of this.#streams.values()) {
      const bytes = stream.store.state().bytes;
      if (stream.config.storage === "memory") memory += bytes;
      else storage += bytes;
      consumers += this.#consumersOf(stream.name).filter((c) => !c.direct).length;
    }
    return {
      ...accountLimitsJson(this.#account.limits, { memory, storage, streams: this.#streams.size, consumers }),
      ...(this.options.domain !== undefined && { domain: this.options.domain }),
      // `level` first, as nats-server's JetStreamAPIStats (jetstream_versioning.go JSApiLevel).
      api: { level: JS_API_LEVEL, total: this.#dispatcher.stats.total, errors: this.#dispatcher.stats.errors },
    };
  }

  #consumersOf(stream: string): readonly ConsumerHandle[] {
    return this.#consumers?.consumersOf(stream) ?? [];
  }

  /** What this account's streams of one storage hold (`used`) or reserve with `max_bytes` (`reserved`). */
  usage(storage: StreamConfig["storage"], kind: "used" | "reserved", except?: string): number {
    let total = 0;
    for (const stream of this.#streams.values()) {
      if (stream.config.storage !== storage || stream.name === except) continue;
      total += kind === "used" ? stream.store.state().bytes : Math.max(stream.config.max_bytes, 0);
    }
    return total;
  }

  /**
   * nats-server's `limitsExceeded`: a publish is refused once what the account's streams of its
   * storage type hold already exceeds the account's limit, or what every account holds the
   * server's (the message that crosses it is taken).
   */
  #hasRoomFor(storage: StreamConfig["storage"]): boolean {
    const limits = this.#account.limits;
    const accountMax = storage === "memory" ? limits.maxMemory : limits.maxStore;
    if (accountMax >= 0 && this.usage(storage, "used") > accountMax) return false;
    const serverMax = storage === "memory" ? this.options.maxMemory : this.options.maxStore;
    return serverMax < 0 || this.#account.serverUsage(storage, "used") <= serverMax;
  }

  /**
   * What a stream create or update must fit (jetstream.go `checkLimits`, stream.go
   * `checkStreamCfg`): the account's stream count (on create), its per-stream byte limits, and
   * the `max_bytes` the account's and the server's other streams already reserve.
   */
  checkReservation(config: StreamConfig): ApiError | undefined {
    const limits = this.#account.limits;
    const creating = !this.#streams.has(config.name);
    if (creating && limits.maxStreams > 0 && this.#streams.size >= limits.maxStreams) return JsErrors.maxStreams();
    if (limits.maxBytesRequired && config.max_bytes <= 0) return JsErrors.maxBytesRequired();
    const streamMax = config.storage === "memory" ? limits.memoryMaxStreamBytes : limits.storeMaxStreamBytes;
    if (streamMax > 0 && config.max_bytes > streamMax) return JsErrors.maxStreamBytesExceeded();
    if (limits.maxConsumers > 0 && config.max_consumers > limits.maxConsumers) return JsErrors.maximumConsumersLimit();
    const exceeded = config.storage === "memory" ? JsErrors.memoryResourcesExceeded() : JsErrors.storageResourcesExceeded();
    const accountMax = config.storage === "memory" ? limits.maxMemory : limits.maxStore;
    // nats-server counts a stream without `max_bytes` as one byte against an account's limit.
    if (accountMax >= 0 && this.usage(config.storage, "reserved", config.name) + Math.max(config.max_bytes, 1) > accountMax) return exceeded;
    const serverMax = config.storage === "memory" ? this.options.maxMemory : this.options.maxStore;
    if (serverMax < 0 || config.max_bytes <= 0) return undefined;
    const own = this.#streams.get(config.name);
    const ownReserved = own !== undefined && own.config.storage === config.storage ? Math.max(own.config.max_bytes, 0) : 0;
    return this.#account.serverUsage(config.storage, "reserved") - ownReserved + config.max_bytes <= serverMax ? undefined : exceeded;
  }

  /** Stops answering, stops consumers, flushes and closes every store. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const sub of this.#apiSubscriptions) sub.unsubscribe();
      await this.ready.catch(() => undefined);
      await this.#dispatcher.idle().catch(() => undefined);
      for (const stream of this.#streams.values()) stream.stop();
      try {
        await this.#consumers?.close();
      } catch (err) {
        logCaught(this.logger, "JetStream consumers close", err);
      }
      for (const stream of this.#streams.values()) {
        try {
          await stream.store.flush();
          await stream.store.close();
        } catch (err) {
          logCaught(this.logger, `JetStream closing stream '${stream.name}'`, err);
        }
      }
      this.#streams.clear();
      this.logger.info("JetStream stopped");
    })();
    return this.#closing;
  }
}

/**
 * `$JS.API.INFO`'s usage and limits (jetstream.go `JetStreamAccountStats`): flat, or, for limits
 * from a tier (an account JWT's `tiered_limits`), under `tiers`, the flat limits then zero.
 */
function accountLimitsJson(limits: AccountJetStreamLimits, usage: { memory: number; storage: number; streams: number; consumers: number }): Record<string, unknown> {
  const json = {
    max_memory: limits.maxMemory,
    max_storage: limits.maxStore,
    max_streams: limits.maxStreams,
    max_consumers: limits.maxConsumers,
    max_ack_pending: -1,
    memory_max_stream_bytes: limits.memoryMaxStreamBytes,
    storage_max_stream_bytes: limits.storeMaxStreamBytes,
    max_bytes_required: limits.maxBytesRequired,
  };
  if (limits.tier === undefined) return { ...usage, limits: json };
  const zero = { max_memory: 0, max_storage: 0, max_streams: 0, max_consumers: 0, max_ack_pending: 0, memory_max_stream_bytes: 0, storage_max_stream_bytes: 0, max_bytes_required: false };
  return { ...usage, limits: zero, tiers: { [limits.tier]: { ...usage, reserved_memory: 0, reserved_storage: 0, limits: json } } };
}

/** nats-server's `friendlyBytes` (`1.00 GB`), and "unlimited" for -1. */
function friendlyBytes(bytes: number): string {
  if (bytes < 0) return "unlimited";
  if (bytes < 1024) return `${bytes} B`;
  const exp = Math.floor(Math.log(bytes) / Math.log(1024));
  return `${(bytes / 1024 ** exp).toFixed(2)} ${"KMGTPE"[exp - 1]}B`;
}
