/**
 * `/jsz` and the `jetstream` section of `/varz`: JetStream's configuration, usage and API
 * counters, and on request each account's streams and consumers, in nats-server's JSON
 * shapes (monitor.go `Jsz`, `JSInfo`, `AccountDetail`, `StreamDetail`; jetstream.go
 * `JetStreamConfig`, `JetStreamStats`). Field order and omissions follow Go's encoding.
 *
 * No clustering: `ha_assets` is 0, `meta_cluster` is never
 * sent, and each stream's `cluster` names this server as leader, as a lone nats-server does.
 */
import { DEFAULT_SYNC_INTERVAL_MS, type ResolvedJetStreamOptions } from "../jetstream/jetstream-options.ts";
import type { JetStream } from "../jetstream/jetstream.ts";
import type { Stream } from "../jetstream/stream/stream.ts";
import type { StreamConfig, StreamStateJson } from "../jetstream/shared/types.ts";
import { formatNanos } from "../jetstream/shared/rfc3339.ts";
import { goTime, msToNs } from "./go-format.ts";
import type { MonitorView } from "./monitor-view.ts";
import type { JetStreamView } from "./introspection.ts";

/**
 * An account's reservations when it has no JetStream limits of its own: nats-server casts the
 * account's -1 to uint64 (18446744073709551615). Numbers this large are written as that value.
 */
export const NO_ACCOUNT_RESERVATION = 2 ** 64;

/** monitor.go's default page of accounts. */
const DEFAULT_ACCOUNT_LIMIT = 1024;

/** What `/jsz` shows; each flag implies the ones before it (`consumers` → `streams` → `accounts`). */
export interface JszOptions {
  /** List the account (`account_details`). */
  accounts?: boolean;
  /** Also each stream (`stream_detail`). */
  streams?: boolean;
  /** Also each stream's consumers (`consumer_detail`). */
  consumers?: boolean;
  /** Include stream and consumer configurations. */
  config?: boolean;
  /** Only this account (`acc`); other names give no details. */
  account?: string;
  /** Accounts skipped, then at most `limit` listed (default 1024). */
  offset?: number;
  limit?: number;
}

/** jetstream.go `JetStreamConfig`: the server's limits and store. */
export interface JetStreamConfigJson {
  /** Bytes; -1 when memory streams are not limited. */
  max_memory: number;
  /** Bytes; -1 when file streams are not limited. */
  max_storage: number;
  store_dir?: string;
  /** Nanoseconds; only when set to other than the default two minutes. */
  sync_interval?: number;
  /** Only when every write is synced. */
  sync_always?: boolean;
  domain?: string;
}

/** jetstream.go `JetStreamStats`. */
export interface JetStreamStatsJson {
  /** Bytes held by memory streams. */
  memory: number;
  /** Bytes held by file streams. */
  storage: number;
  /** Bytes reserved by memory streams' `max_bytes`. */
  reserved_memory: number;
  reserved_storage: number;
  /** Accounts with JetStream. */
  accounts: number;
  /** Replicated assets; always 0 without clustering. */
  ha_assets: number;
  api: { total: number; errors: number };
}

/** monitor.go `StreamDetail`. */
export interface StreamDetail {
  name: string;
  /** RFC 3339 with nanoseconds. */
  created: string;
  cluster: { leader: string };
  /** With `config`. */
  config?: StreamConfig;
  state: StreamStateJson;
  /** With `consumers`, when the stream has some. */
  consumer_detail?: Array<Record<string, unknown>>;
}

/** monitor.go `AccountDetail`. */
export interface AccountDetail extends JetStreamStatsJson {
  name: string;
  id: string;
  /** With `streams`, when the account has some. */
  stream_detail?: StreamDetail[];
}

/** monitor.go `JSInfo`, the `/jsz` document. */
export interface Jsz extends JetStreamStatsJson {
  server_id: string;
  /** RFC 3339. */
  now: string;
  /** Only when JetStream is off. */
  disabled?: boolean;
  config: JetStreamConfigJson;
  streams: number;
  consumers: number;
  messages: number;
  bytes: number;
  /** With `accounts` (or `streams`, `consumers`, `acc`). */
  account_details?: AccountDetail[];
}

/** monitor.go `JetStreamVarz`, the `/varz` `jetstream` section; empty when JetStream is off. */
export interface JetStreamVarz {
  config?: JetStreamConfigJson;
  stats?: JetStreamStatsJson;
}

function configJson(options: ResolvedJetStreamOptions): JetStreamConfigJson {
  const { maxMemory, maxStore, storeDir, sync, domain } = options;
  const out: JetStreamConfigJson = { max_memory: maxMemory, max_storage: maxStore, store_dir: storeDir };
  if (typeof sync === "object" && sync.intervalMs !== DEFAULT_SYNC_INTERVAL_MS) out.sync_interval = msToNs(sync.intervalMs);
  if (sync === "always") out.sync_always = true;
  if (domain !== undefined) out.domain = domain;
  return out;
}

/** Usage of one account's service, or of all of them. */
function statsJson(services: readonly JetStream[]): JetStreamStatsJson {
  let memory = 0;
  let storage = 0;
  let reservedMemory = 0;
  let reservedStorage = 0;
  let total = 0;
  let errors = 0;
  for (const js of services) {
    total += js.apiStats.total;
    errors += js.apiStats.errors;
    for (const stream of js.streams()) {
    const bytes = stream.store.state().bytes;
    const reserved = Math.max(0, stream.config.max_bytes);
      if (stream.config.storage === "memory") {
        memory += bytes;
        reservedMemory += reserved;
      } else {
        storage += bytes;
        reservedStorage += reserved;
      }
    }
  }
  return { memory, storage, reserved_memory: reservedMemory, reserved_storage: reservedStorage, accounts: services.length, ha_assets: 0, api: { total, errors } };
}

/** A consumer's CONSUMER.INFO body, if the consumer side offers one. */
function consumerInfo(handle: unknown): Record<string, unknown> | undefined {
  const info = (handle as { info?: unknown }).info;
  return typeof info === "function" ? (info.call(handle) as Record<string, unknown>) : undefined;
}

function streamDetail(view: MonitorView, js: JetStream, stream: Stream, options: JszOptions): StreamDetail {
  const detail: StreamDetail = {
    name: stream.name,
    created: formatNanos(stream.createdNs),
    cluster: { leader: view.name },
    ...(options.config === true && { config: stream.config }),
    state: stream.state(),
  };
  if (options.consumers === true) {
    const consumers: Array<Record<string, unknown>> = [];
    for (const handle of js.consumers?.consumersOf(stream.name) ?? []) {
      const info = consumerInfo(handle);
      if (info === undefined) continue;
      // 2.9's ConsumerInfo has no `ts`; the config only when asked (monitor.go accountDetail).
      const { ts: _ts, ...rest } = info;
      if (options.config !== true) delete rest["config"];
      consumers.push(rest);
    }
    if (consumers.length > 0) detail.consumer_detail = consumers;
  }
  return detail;
}

function accountDetail(view: MonitorView, account: string, js: JetStream, options: JszOptions): AccountDetail {
  const limits = js.accountLimits;
  // An account's reservation is its limit; none (-1) is reported as uint64, as nats-server does.
  const reservation = (limit: number): number => (limit < 0 ? NO_ACCOUNT_RESERVATION : limit);
  const detail: AccountDetail = {
    name: account,
    id: account,
    ...statsJson([js]),
    reserved_memory: reservation(limits.maxMemory),
    reserved_storage: reservation(limits.maxStore),
    accounts: 0,
  };
  if (options.streams === true) {
    const streams = js.streams().map((s) => streamDetail(view, js, s, options));
    if (streams.length > 0) detail.stream_detail = streams;
  }
  return detail;
}

const EMPTY_STATS: JetStreamStatsJson = {
  memory: 0,
  storage: 0,
  reserved_memory: 0,
  reserved_storage: 0,
  accounts: 0,
  ha_assets: 0,
  api: { total: 0, errors: 0 },
};

/** The `/jsz` document for the server behind `view`. */
export function jsz(view: MonitorView, options: JszOptions = {}): Jsz {
  const opts: JszOptions = { ...options };
  if (opts.consumers === true) opts.streams = true;
  if (opts.streams === true) opts.accounts = true;
  const head = { server_id: view.id, now: goTime(Date.now()) };
  const jetstream = view.jetstream;
  if (jetstream === undefined) {
    return { ...head, disabled: true, config: { max_memory: 0, max_storage: 0 }, ...EMPTY_STATS, api: { total: 0, errors: 0 }, streams: 0, consumers: 0, messages: 0, bytes: 0 };
  }
  const services = jetstream.accounts.map((a) => a.service);
  let streams = 0;
  let consumers = 0;
  let messages = 0;
  let bytes = 0;
  for (const js of services) {
    for (const stream of js.streams()) {
      const state = stream.state();
      streams++;
      consumers += state.consumer_count;
      messages += state.messages;
      bytes += state.bytes;
    }
  }
  const out: Jsz = { ...head, config: configJson(jetstream.options), ...statsJson(services), streams, consumers, messages, bytes };
  // monitor.go Jsz: `acc` naming an account lists it alone; otherwise `accounts` pages them.
  let listed: JetStreamView["accounts"] = [];
  if (opts.account !== undefined && opts.account !== "") listed = jetstream.accounts.filter((a) => a.account === opts.account);
  else if (opts.accounts === true) {
    const offset = Math.max(0, opts.offset ?? 0);
    const limit = opts.limit === undefined || opts.limit === 0 ? DEFAULT_ACCOUNT_LIMIT : Math.max(0, opts.limit);
    listed = jetstream.accounts.slice(offset, offset + limit);
  }
  if (listed.length > 0) out.account_details = listed.map((a) => accountDetail(view, a.account, a.service, opts));
  return out;
}

/** The `/varz` `jetstream` section: `{}` when JetStream is off. */
export function jetstreamVarz(view: MonitorView): JetStreamVarz {
  const jetstream = view.jetstream;
  if (jetstream === undefined) return {};
  return { config: configJson(jetstream.options), stats: statsJson(jetstream.accounts.map((a) => a.service)) };
}
