/**
 * `/jsz` and the `jetstream` section of `/varz`: JetStream's configuration, usage and API
 * counters, and on request the one account's streams and consumers, in nats-server's JSON
 * shapes (monitor.go `Jsz`, `JSInfo`, `AccountDetail`, `StreamDetail`; jetstream.go
 * `JetStreamConfig`, `JetStreamStats`). Field order and omissions follow Go's encoding.
 *
 * The broker has one account, `$G`, and no clustering: `ha_assets` is 0, `meta_cluster` is never
 * sent, and each stream's `cluster` names this server as leader, as a lone nats-server does.
 */
import { DEFAULT_SYNC_INTERVAL_MS } from "../jetstream/jetstream-options.ts";
import type { JetStream } from "../jetstream/jetstream.ts";
import type { Stream } from "../jetstream/stream/stream.ts";
import type { StreamConfig, StreamStateJson } from "../jetstream/shared/types.ts";
import { formatNanos } from "../jetstream/shared/rfc3339.ts";
import { goTime, msToNs } from "./go-format.ts";
import type { MonitorView } from "./monitor-view.ts";

/** The only account: nats-server's global account. */
export const GLOBAL_ACCOUNT = "$G";

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

function configJson(js: JetStream): JetStreamConfigJson {
  const { maxMemory, maxStore, storeDir, sync, domain } = js.options;
  const out: JetStreamConfigJson = { max_memory: maxMemory, max_storage: maxStore, store_dir: storeDir };
  if (typeof sync === "object" && sync.intervalMs !== DEFAULT_SYNC_INTERVAL_MS) out.sync_interval = msToNs(sync.intervalMs);
  if (sync === "always") out.sync_always = true;
  if (domain !== undefined) out.domain = domain;
  return out;
}

function statsJson(js: JetStream): JetStreamStatsJson {
  let memory = 0;
  let storage = 0;
  let reservedMemory = 0;
  let reservedStorage = 0;
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
  const { total, errors } = js.apiStats;
  return { memory, storage, reserved_memory: reservedMemory, reserved_storage: reservedStorage, accounts: 1, ha_assets: 0, api: { total, errors } };
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

function accountDetail(view: MonitorView, js: JetStream, stats: JetStreamStatsJson, options: JszOptions): AccountDetail {
  const detail: AccountDetail = {
    name: GLOBAL_ACCOUNT,
    id: GLOBAL_ACCOUNT,
    ...stats,
    // The global account has no limits of its own: nats-server reports -1 as uint64.
    reserved_memory: NO_ACCOUNT_RESERVATION,
    reserved_storage: NO_ACCOUNT_RESERVATION,
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
  const js = view.jetstream;
  if (js === undefined) {
    return { ...head, disabled: true, config: { max_memory: 0, max_storage: 0 }, ...EMPTY_STATS, api: { total: 0, errors: 0 }, streams: 0, consumers: 0, messages: 0, bytes: 0 };
  }
  const stats = statsJson(js);
  let streams = 0;
  let consumers = 0;
  let messages = 0;
  let bytes = 0;
  for (const stream of js.streams()) {
    const state = stream.state();
    streams++;
    consumers += state.consumer_count;
    messages += state.messages;
    bytes += state.bytes;
  }
  const out: Jsz = { ...head, config: configJson(js), ...stats, streams, consumers, messages, bytes };
  // monitor.go Jsz: `acc` naming the account lists it alone; otherwise `accounts` pages them.
  let listed = 0;
  if (opts.account === GLOBAL_ACCOUNT) listed = 1;
  else if (opts.accounts === true) {
    const offset = Math.max(0, opts.offset ?? 0);
    const limit = opts.limit === undefined || opts.limit === 0 ? DEFAULT_ACCOUNT_LIMIT : opts.limit;
    listed = offset >= 1 ? 0 : Math.min(1, Math.max(0, limit));
  }
  if (listed > 0) out.account_details = [accountDetail(view, js, stats, opts)];
  return out;
}

/** The `/varz` `jetstream` section: `{}` when JetStream is off. */
export function jetstreamVarz(view: MonitorView): JetStreamVarz {
  const js = view.jetstream;
  if (js === undefined) return {};
  return { config: configJson(js), stats: statsJson(js) };
}
