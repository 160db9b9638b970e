/**
 * The consumer half of the JetStream API (`$JS.API.CONSUMER.>`, nats-server jetstream_api.go):
 * CREATE in its three forms, INFO, DELETE, NAMES, LIST and MSG.NEXT, and the consumers of every
 * stream. Requests are answered with nats-server's JSON shapes and error codes; nothing a
 * client sends can throw out of `handle()`.
 */
import { canonicalFields, CONSUMER_CREATE_REQUEST, CONSUMERS_REQUEST, decodeFields, unknownField } from "../shared/strict-fields.ts";
import { createHash, randomUUID } from "node:crypto";
import sjson from "secure-json-parse";
import type { DirectMsg } from "../../direct/direct-message.ts";
import type { Logger } from "../../base/logger.ts";
import { logCaught } from "../shared/log-caught.ts";
import { pauseRequest, resetRequest, unpinRequest, type AdminContext } from "./admin-requests.ts";
import { Consumer, type ConsumerHost } from "./consumer.ts";
import {
  ConsumerDefaults,
  ConsumerErrors,
  applyConsumerDefaults,
  checkConsumerConfig,
  checkConsumerUpdate,
  configsEqual,
  filtersOf,
  isDurable,
  isValidConsumerName,
  parseConsumerConfig,
  type ConsumerConfig,
  type StreamConfigView,
} from "./config.ts";
import type { ApiError, BusApi, ConsumerHandle, ConsumerManager, StreamHandle, StreamRegistry } from "../shared/contracts.ts";
import { formatNanos, nowNanos, parseNanos } from "../shared/rfc3339.ts";
import type { StreamStore } from "../store/stream-store.ts";
import { subjectsCollide } from "../shared/subject-overlap.ts";
import { LIST_LIMIT, NAMES_LIMIT } from "../shared/types.ts";
import { requiresHigherApiLevel } from "../shared/api-level.ts";
import { comparableMetadata, consumerRequiredLevel, staticMetadata, withServerVersion } from "../shared/version-metadata.ts";

const RESPONSE = {
  create: "io.nats.jetstream.api.v1.consumer_create_response",
  info: "io.nats.jetstream.api.v1.consumer_info_response",
  delete: "io.nats.jetstream.api.v1.consumer_delete_response",
  names: "io.nats.jetstream.api.v1.consumer_names_response",
  list: "io.nats.jetstream.api.v1.consumer_list_response",
} as const;

/** What the JetStream service gives the consumer side. */
export interface ConsumerContext {
  readonly bus: BusApi;
  readonly streams: StreamRegistry;
  readonly logger: Logger;
  /** The account's `max_consumers` over all its streams, as of now (a claim update may change it); -1 for none. */
  readonly maxConsumers?: () => number;
  /** Strict API validation (nats-server 2.12): a create request with an unknown field is refused. */
  readonly strict?: boolean;
  /** The JetStream domain, when one is configured (consumer advisories carry it). */
  readonly domain?: string;
}

/** What a durable keeps in its ConsumerStore besides its state. */
interface SavedConsumer {
  config: ConsumerConfig;
  created: string;
}

/** The consumers of every stream, and the `$JS.API.CONSUMER.>` requests about them. */
export class StreamConsumers implements ConsumerManager {
  readonly #bus: BusApi;
  readonly #streams: StreamRegistry;
  readonly #logger: Logger;
  /** Stream name → consumer name → consumer. */
  readonly #byStream = new Map<string, Map<string, Consumer>>();
  /** Stores whose removals we already listen to (a store has no way to stop listening). */
  readonly #watchedStores = new WeakSet<StreamStore>();
  readonly #host: ConsumerHost;
  readonly #accountMaxConsumers: () => number;
  readonly #strict: boolean;
  /** What PAUSE, UNPIN and RESET need (admin-requests.ts). */
  readonly #admin: AdminContext;
  #closed = false;

  constructor(context: ConsumerContext) {
    this.#bus = context.bus;
    this.#streams = context.streams;
    this.#logger = context.logger;
    this.#accountMaxConsumers = context.maxConsumers ?? (() => -1);
    this.#strict = context.strict === true;
    this.#host = {
      bus: this.#bus,
      ...(context.domain !== undefined && { domain: context.domain }),
      inactive: (consumer) => void this.#delete(consumer).catch((err: unknown) => this.#caught("deleting an inactive consumer", err)),
      caught: (what, err) => this.#caught(what, err),
    };
    this.#admin = {
      hasStream: (stream) => this.#streams.get(stream) !== undefined,
      consumer: (stream, name) => this.#byStream.get(stream)?.get(name),
      reconfigure: (consumer, config) => {
        consumer.update(config);
        this.#saveConfig(consumer);
      },
      interestChanged: (consumer) => consumersChanged(consumer.stream),
      strict: this.#strict,
    };
  }

  /** Consumers the account's limit counts: a mirror's or a source's own are not its. */
  #publicCount(): number {
    let count = 0;
    for (const consumers of this.#byStream.values()) for (const consumer of consumers.values()) if (consumer.config.direct !== true) count++;
    return count;
  }

  handle(tokens: readonly string[], msg: DirectMsg): void {
    try {
      this.#handle(tokens, msg);
    } catch (err) {
      this.#caught(`JetStream API ${msg.subject}`, err);
      respond(msg, RESPONSE.info, { error: ConsumerErrors.createError(err instanceof Error ? err.message : String(err)) });
    }
  }

  consumersOf(stream: string): readonly ConsumerHandle[] {
    const consumers = this.#byStream.get(stream);
    return consumers === undefined ? [] : [...consumers.values()];
  }

  async streamDeleted(stream: string): Promise<void> {
    const consumers = this.#byStream.get(stream);
    this.#byStream.delete(stream);
    if (consumers === undefined) return;
    for (const c of consumers.values()) c.announce("delete");
    await Promise.all([...consumers.values()].map((c) => c.stop(true)));
  }

  async recover(stream: StreamHandle, consumers: Array<{ name: string; config: unknown }>): Promise<void> {
    for (const entry of consumers) {
      try {
        const saved = entry.config as Partial<SavedConsumer> | undefined;
        const parsed = parseConsumerConfig(saved?.config ?? saved);
        if (!parsed.ok) {
          this.#logger.warn(`JetStream consumer '${stream.name} > ${entry.name}' not recovered: ${parsed.error.description}`);
          continue;
        }
        const config = parsed.value;
        applyConsumerDefaults(config, streamView(stream));
        const store = stream.consumerStore(entry.name);
        const state = store.load();
        const created = parseNanos(saved?.created ?? "") ?? nowNanos();
        this.#start(stream, new Consumer(this.#host, stream, entry.name, config, created, state));
      } catch (err) {
        this.#caught(`recovering consumer '${stream.name} > ${entry.name}'`, err);
      }
    }
  }

  has(stream: string, name: string): boolean {
    return this.#byStream.get(stream)?.has(name) ?? false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#byStream.values()].flatMap((m) => [...m.values()]);
    this.#byStream.clear();
    await Promise.all(all.map((c) => c.stop(false)));
  }

  // ---- dispatch ----------------------------------------------------------------------------------

  #handle(tokens: readonly string[], msg: DirectMsg): void {
    const [op, second] = tokens;
    if (op === "MSG" && second === "NEXT" && tokens.length === 4) {
      this.#next(tokens[2]!, tokens[3]!, msg);
      return;
    }
    if (msg.reply === "") return;
    if (op === "RESET" && tokens.length === 3) {
      resetRequest(this.#admin, msg, tokens[1]!, tokens[2]!);
    } else if (op === "PAUSE" && tokens.length === 3) {
      pauseRequest(this.#admin, msg, tokens[1]!, tokens[2]!);
    } else if (op === "UNPIN" && tokens.length === 3) {
      unpinRequest(this.#admin, msg, tokens[1]!, tokens[2]!);
    } else if (op === "CREATE" && tokens.length >= 2) {
      this.#create(msg, tokens[1]!, tokens.length === 2 ? "legacy-ephemeral" : "named", tokens[2], tokens.slice(3).join("."));
    } else if (op === "DURABLE" && second === "CREATE" && tokens.length >= 3) {
      if (tokens.length !== 4) respond(msg, RESPONSE.create, { error: ConsumerErrors.durableNameNotInSubject() });
      else this.#create(msg, tokens[2]!, "legacy-durable", tokens[3], "");
    } else if (op === "INFO" && tokens.length === 3) {
      this.#info(msg, tokens[1]!, tokens[2]!);
    } else if (op === "DELETE" && tokens.length === 3) {
      void this.#deleteRequest(msg, tokens[1]!, tokens[2]!).catch((err: unknown) => this.#caught("consumer delete", err));
    } else if ((op === "NAMES" || op === "LIST") && tokens.length === 2) {
      this.#names(msg, tokens[1]!, op === "LIST");
    }
    // Anything else (a wrong token count, an unknown request) gets no answer, as from
    // nats-server, whose API subscriptions drop what they do not know.
  }

  /**
   * `CONSUMER.MSG.NEXT.<stream>.<consumer>`. A request for an unknown consumer does not get here:
   * the dispatcher does not take it, so its publisher hears no responders (503), as from
   * nats-server 2.11 and later (2.9 and 2.10 left it unanswered). One that was taken while the
   * consumer was being deleted is dropped.
   */
  #next(streamName: string, name: string, msg: DirectMsg): void {
    if (msg.reply === "") return;
    const required = msg.headers?.get("Nats-Required-Api-Level") ?? "";
    this.#byStream.get(streamName)?.get(name)?.nextRequest(msg.reply, msg.string(), required !== "" && requiresHigherApiLevel(required));
  }

  /** jetstream_api.go jsConsumerCreateRequest + stream.go addConsumerWithAction. */
  #create(msg: DirectMsg, streamName: string, form: "legacy-ephemeral" | "legacy-durable" | "named", subjectName: string | undefined, subjectFilter: string): void {
    const fail = (error: ApiError): void => respond(msg, RESPONSE.create, { error });
    const request = parseJson(msg);
    if (request === undefined || typeof request !== "object" || request === null || Array.isArray(request)) {
      fail(ConsumerErrors.invalidJson());
      return;
    }
    const body = canonicalFields(request, CONSUMER_CREATE_REQUEST) as Record<string, unknown>;
    const unknown = this.#strict ? unknownField(body, CONSUMER_CREATE_REQUEST) : undefined;
    if (unknown !== undefined) {
      fail(ConsumerErrors.unknownField(unknown));
      return;
    }
    const action = body["action"] ?? "";
    const pedantic = body["pedantic"] ?? false;
    if (typeof pedantic !== "boolean") {
      fail(ConsumerErrors.invalidJson());
      return;
    }
    if (action !== "" && action !== "create" && action !== "update") {
      fail(ConsumerErrors.invalidJson());
      return;
    }
    if (body["config"] !== undefined && body["config"] !== null && (typeof body["config"] !== "object" || Array.isArray(body["config"]))) {
      fail(ConsumerErrors.invalidJson());
      return;
    }
    if (streamName !== body["stream_name"]) {
      fail(ConsumerErrors.streamMismatch());
      return;
    }
    const parsed = parseConsumerConfig(body["config"]);
    if (!parsed.ok) {
      fail(parsed.error);
      return;
    }
    const config = parsed.value;
    const consumerName = form === "legacy-ephemeral" ? config.name : subjectName;
    if (consumerName !== undefined && /[\\/]/.test(consumerName)) {
      fail(ConsumerErrors.nameContainsPathSeparators());
      return;
    }
    if (form === "legacy-durable") {
      if (!isDurable(config)) return fail(ConsumerErrors.durableNameNotSet());
      if (consumerName !== config.durable_name) return fail(ConsumerErrors.durableNameNotMatchSubject());
      config.name = consumerName;
    } else if (form === "named") {
      if (isDurable(config) && consumerName !== config.durable_name) return fail(ConsumerErrors.durableNameNotMatchSubject());
      config.name = consumerName!;
    } else if (isDurable(config)) {
      return fail(ConsumerErrors.ephemeralWithDurableName());
    }
    if (subjectFilter !== "") {
      if ((config.filter_subjects?.length ?? 0) > 0) return fail(ConsumerErrors.multipleFiltersNotAllowed());
      if (config.filter_subject !== subjectFilter) return fail(ConsumerErrors.createFilterSubjectMismatch());
    }
    if (config.num_replicas > 1) return fail(ConsumerErrors.replicasNotSupported());
    const stream = this.#streams.get(streamName);
    if (stream === undefined) return fail(ConsumerErrors.streamNotFound());
    const result = this.#addConsumer(stream, config, action as "" | "create" | "update", pedantic);
    if ("error" in result) return fail(result.error);
    respond(msg, RESPONSE.create, withServerVersion(result.consumer.info()));
    result.consumer.announcePause();
  }

  #addConsumer(stream: StreamHandle, config: ConsumerConfig, action: "" | "create" | "update", pedantic: boolean): { consumer: Consumer } | { error: ApiError } {
    if (this.#closed) return { error: ConsumerErrors.notEnabled() };
    // An existing consumer's pause changes by CONSUMER.PAUSE only (jsConsumerCreateRequest).
    const current = this.#byStream.get(stream.name)?.get(config.durable_name ?? config.name ?? "");
    if (current !== undefined) {
      if (current.config.pause_until === undefined) delete config.pause_until;
      else config.pause_until = current.config.pause_until;
    }
    // After the pause is settled, as jsConsumerCreateRequest calls setStaticConsumerMetadata.
    config.metadata = staticMetadata(config.metadata, consumerRequiredLevel(config));
    const view = streamView(stream);
    const refused = applyConsumerDefaults(config, view, pedantic);
    if (refused !== undefined) return { error: refused };
    const invalid = checkConsumerConfig(config, view);
    if (invalid !== undefined) return { error: invalid };
    const consumers = this.#consumersMap(stream.name);
    const requestedName = config.durable_name ?? config.name;
    const workqueue = view.retention === "workqueue" && config.direct !== true;
    if (requestedName !== undefined) {
      const existing = consumers.get(requestedName);
      if (existing !== undefined) {
        // The version keys do not count (consumer.go addConsumerWithAction's copyConsumerMetadata).
        const comparable = { ...config, metadata: comparableMetadata(config.metadata, existing.config.metadata) };
        if (action === "create" && !configsEqual(comparable, existing.config)) return { error: ConsumerErrors.alreadyExists() };
        if (workqueue && !this.#partitionUnique(stream.name, requestedName, filtersOf(config))) return { error: ConsumerErrors.wqConsumerNotUnique() };
        const refusal = checkConsumerUpdate(existing.config, config, existing.isPushBound());
        if (typeof refusal === "string") return { error: ConsumerErrors.createError(refusal) };
        if (refusal !== undefined) return { error: refusal };
        if (!configsEqual(config, existing.config)) {
          existing.update(config);
          this.#saveConfig(existing);
        }
        return { consumer: existing };
      }
    }
    if (action === "update") return { error: ConsumerErrors.doesNotExist() };
    const maxConsumers = view.max_consumers ?? -1;
    if (maxConsumers > 0 && consumers.size >= maxConsumers) return { error: ConsumerErrors.maximumConsumersLimit() };
    const accountMax = this.#accountMaxConsumers();
    if (accountMax > 0 && config.direct !== true && this.#publicCount() >= accountMax) return { error: ConsumerErrors.maximumConsumersLimit() };
    if (workqueue) {
      // In nats-server 2.9.10's order: the ack policy, then uniqueness, then the deliver policy.
      if (config.ack_policy !== "explicit") return { error: ConsumerErrors.wqRequiresExplicitAck() };
      if (consumers.size > 0) {
        const filters = filtersOf(config);
        if (filters.length === 0) return { error: ConsumerErrors.wqMultipleUnfiltered() };
        if (!this.#partitionUnique(stream.name, requestedName ?? "", filters)) return { error: ConsumerErrors.wqConsumerNotUnique() };
      }
      if (config.deliver_policy !== "all") return { error: ConsumerErrors.wqConsumerNotDeliverAll() };
    }
    let name: string;
    if (isDurable(config)) {
      if (config.durable_name!.length > ConsumerDefaults.MAX_NAME_LEN) return { error: ConsumerErrors.nameTooLong() };
      name = config.durable_name!;
    } else if (config.name !== undefined) {
      name = config.name;
    } else {
      do name = generatedName();
      while (consumers.has(name));
      config.name = name;
    }
    if (!isValidConsumerName(name)) return { error: ConsumerErrors.badDurableName() };
    const consumer = new Consumer(this.#host, stream, name, config, nowNanos());
    this.#start(stream, consumer);
    this.#saveConfig(consumer);
    consumer.announce("create");
    return { consumer };
  }

  /** stream.go partitionUnique: no other consumer of a work queue may share a subject with `filters`. */
  #partitionUnique(stream: string, name: string, filters: readonly string[]): boolean {
    for (const other of this.#byStream.get(stream)?.values() ?? []) {
      if (other.name === name) continue;
      if (other.filterSubjects.length === 0) return false;
      for (const a of filters) for (const b of other.filterSubjects) if (subjectsCollide(a, b)) return false;
    }
    return true;
  }

  #start(stream: StreamHandle, consumer: Consumer): void {
    this.#watchRemovals(stream);
    this.#consumersMap(stream.name).set(consumer.name, consumer);
    consumer.start();
    consumersChanged(stream);
  }

  #saveConfig(consumer: Consumer): void {
    // As the consumer's own state: kept for consumers of file streams (Consumer's constructor).
    if (consumer.config.mem_storage === true || consumer.config.direct === true || consumer.stream.config["storage"] === "memory") return;
    try {
      const saved: SavedConsumer = { config: consumer.config, created: formatNanos(consumer.createdNs) };
      consumer.stream.consumerStore(consumer.name).saveConfig(saved);
    } catch (err) {
      this.#caught(`saving consumer '${consumer.stream.name} > ${consumer.name}'`, err);
    }
  }

  /** Keeps each consumer's pending count right when messages leave the stream. */
  #watchRemovals(stream: StreamHandle): void {
    const store = stream.store;
    if (this.#watchedStores.has(store)) return;
    this.#watchedStores.add(store);
    store.onRemoved((seq, subject) => {
      for (const consumer of this.#byStream.get(stream.name)?.values() ?? []) {
        if (consumer.stream.store === store) consumer.streamRemoved(seq, subject);
      }
    });
  }

  #consumersMap(stream: string): Map<string, Consumer> {
    let consumers = this.#byStream.get(stream);
    if (consumers === undefined) {
      consumers = new Map();
      this.#byStream.set(stream, consumers);
    }
    return consumers;
  }

  #info(msg: DirectMsg, streamName: string, name: string): void {
    if (this.#streams.get(streamName) === undefined) return respond(msg, RESPONSE.info, { error: ConsumerErrors.streamNotFound() });
    const consumer = this.#byStream.get(streamName)?.get(name);
    if (consumer === undefined) return respond(msg, RESPONSE.info, { error: ConsumerErrors.consumerNotFound() });
    respond(msg, RESPONSE.info, withServerVersion(consumer.info()));
  }

  async #deleteRequest(msg: DirectMsg, streamName: string, name: string): Promise<void> {
    if (this.#streams.get(streamName) === undefined) return respond(msg, RESPONSE.delete, { error: ConsumerErrors.streamNotFound() });
    const consumer = this.#byStream.get(streamName)?.get(name);
    if (consumer === undefined) return respond(msg, RESPONSE.delete, { error: ConsumerErrors.consumerNotFound() });
    await this.#delete(consumer);
    respond(msg, RESPONSE.delete, { success: true });
  }

  async #delete(consumer: Consumer): Promise<void> {
    const consumers = this.#byStream.get(consumer.stream.name);
    if (consumers?.get(consumer.name) !== consumer) return;
    consumers.delete(consumer.name);
    if (consumers.size === 0) this.#byStream.delete(consumer.stream.name);
    consumer.announce("delete");
    await consumer.stop(true);
    consumersChanged(consumer.stream);
  }

  /** NAMES and LIST: sorted by name, paged by `offset` (jsConsumerNamesRequest, jsConsumerListRequest). */
  #names(msg: DirectMsg, streamName: string, list: boolean): void {
    const type = list ? RESPONSE.list : RESPONSE.names;
    let offset = 0;
    if (msg.data.length > 0) {
      const request = parseJson(msg);
      if (request === undefined || typeof request !== "object" || request === null || Array.isArray(request)) {
        return respond(msg, type, { error: ConsumerErrors.invalidJson() });
      }
      const decoded = decodeFields(request as Record<string, unknown>, CONSUMERS_REQUEST, this.#strict);
      if ("unknown" in decoded) return respond(msg, type, { error: ConsumerErrors.unknownField(decoded.unknown) });
      const o = decoded.fields["offset"];
      if (o !== undefined && o !== null && (typeof o !== "number" || !Number.isInteger(o))) return respond(msg, type, { error: ConsumerErrors.invalidJson() });
      offset = Math.max(0, (o as number | undefined) ?? 0);
    }
    if (this.#streams.get(streamName) === undefined) return respond(msg, type, { error: ConsumerErrors.streamNotFound() });
    // Direct consumers (mirrors', sources') are not listed (jetstream_api.go getPublicConsumers).
    const consumers = [...(this.#byStream.get(streamName)?.values() ?? [])].filter((c) => !c.direct).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const limit = list ? LIST_LIMIT : NAMES_LIMIT;
    const page = consumers.slice(offset, offset + limit);
    respond(msg, type, {
      total: consumers.length,
      offset,
      limit,
      // The stored config, without this server's version keys (jsConsumerListRequest).
      consumers: list ? page.map((c) => c.info()) : page.map((c) => c.name),
    });
  }

  #caught(what: string, err: unknown): void {
    logCaught(this.#logger, what, err);
  }
}

/** The stream config fields the consumer rules read. */
function streamView(stream: StreamHandle): StreamConfigView {
  const c = stream.config as Record<string, unknown>;
  return {
    name: stream.name,
    retention: stream.config.retention,
    // A transformed stream stores under other subjects: its filters are not checked against its
    // subjects (nats-server 2.10.0 dropped that check altogether; we keep 2.9's otherwise).
    subjects: c["subject_transform"] !== undefined ? [] : (stream.config.subjects ?? []),
    num_replicas: typeof c["num_replicas"] === "number" ? (c["num_replicas"] as number) : 1,
    max_consumers: typeof c["max_consumers"] === "number" ? (c["max_consumers"] as number) : -1,
    max_msgs_per_subject: typeof c["max_msgs_per_subject"] === "number" ? (c["max_msgs_per_subject"] as number) : -1,
    ...(typeof c["consumer_limits"] === "object" && c["consumer_limits"] !== null && { consumer_limits: c["consumer_limits"] as StreamConfigView["consumer_limits"] & object }),
  };
}

/** Lets the stream re-check interest retention when consumers come and go (if it offers that). */
function consumersChanged(stream: StreamHandle): void {
  const hook = (stream as StreamHandle & { consumersChanged?: () => void }).consumersChanged;
  if (typeof hook === "function") hook.call(stream);
}

/** An ephemeral's name as nats-server makes one (createConsumerName: 8 base-62 characters of a hash). */
function generatedName(): string {
  const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const hash = createHash("sha256").update(randomUUID()).digest();
  let name = "";
  for (let i = 0; i < 8; i++) name += digits[hash[i]! % 62];
  return name;
}

function parseJson(msg: DirectMsg): unknown {
  try {
    return sjson.parse(msg.string(), null, { protoAction: "remove", constructorAction: "remove" });
  } catch {
    return undefined;
  }
}

function respond(msg: DirectMsg, type: string, body: Record<string, unknown>): void {
  msg.respond(JSON.stringify({ type, ...body }));
}
