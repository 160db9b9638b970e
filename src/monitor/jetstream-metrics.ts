/**
 * The JetStream part of `/metrics`, under the names and labels prometheus-nats-exporter gives
 * the same numbers (v0.20.1, collector/jsz.go for `-jsz=all`, and collector/collector.go's
 * flattening of `/varz` for `gnatsd_varz_jetstream_*`), so the official JetStream Grafana
 * dashboard reads a direct scrape unchanged:
 *
 * - `jetstream_server_*`: the `/jsz` totals and limits, labelled like the exporter's server
 *   level (`server_id`, `server_name`, `cluster`, `domain`, `meta_leader`, `is_meta_leader`);
 * - `jetstream_account_*`, `jetstream_stream_*`, `jetstream_consumer_*`: the account, each
 *   stream and each consumer, with the exporter's extra labels at each level;
 * - `gnatsd_varz_jetstream_{config,stats}_*`: the `/varz` `jetstream` section, `server_id` only.
 *
 * Every value is what the exporter would compute from our own `/jsz?consumers=true&config=true`
 * and `/varz`, so the two agree by construction. All gauges, as the exporter's.
 */
import { Gauge, type Registry } from "prom-client";
import type { AccountDetail, Jsz, JetStreamVarz, StreamDetail } from "./jsz.ts";
import type { MonitorView } from "./monitor-view.ts";

/**
 * At most this many streams get `jetstream_stream_*` series (the first by name), and at most
 * {@link METRICS_CONSUMER_LIMIT} consumers in all get `jetstream_consumer_*` series: one scrape
 * stays bounded however many streams a host creates. The server totals always count them all.
 */
export const METRICS_STREAM_LIMIT = 1000;
export const METRICS_CONSUMER_LIMIT = 1000;

const SERVER_LABELS = ["server_id", "server_name", "cluster", "domain", "meta_leader", "is_meta_leader"] as const;
const ACCOUNT_LABELS = [...SERVER_LABELS, "account", "account_name", "account_id"] as const;
const STREAM_LABELS = [...ACCOUNT_LABELS, "stream_name", "stream_leader", "is_stream_leader", "stream_raft_group"] as const;
const CONSUMER_LABELS = [...STREAM_LABELS, "consumer_name", "consumer_leader", "is_consumer_leader", "consumer_desc"] as const;

type ServerLabel = (typeof SERVER_LABELS)[number];
type AccountLabel = (typeof ACCOUNT_LABELS)[number];
type StreamLabel = (typeof STREAM_LABELS)[number];
type ConsumerLabel = (typeof CONSUMER_LABELS)[number];

/** `jetstream_server_<name>`: the `/jsz` document's numbers. */
const SERVER_METRICS = {
  jetstream_disabled: { help: "JetStream disabled (1) or not (0)", value: (j: Jsz) => (j.disabled === true ? 1 : 0) },
  total_streams: { help: "JetStream streams", value: (j: Jsz) => j.streams },
  total_consumers: { help: "JetStream consumers", value: (j: Jsz) => j.consumers },
  total_messages: { help: "Messages stored in JetStream", value: (j: Jsz) => j.messages },
  total_message_bytes: { help: "Bytes stored in JetStream", value: (j: Jsz) => j.bytes },
  max_memory: { help: "JetStream memory limit, bytes (-1: none)", value: (j: Jsz) => j.config.max_memory },
  max_storage: { help: "JetStream file storage limit, bytes (-1: none)", value: (j: Jsz) => j.config.max_storage },
} as const satisfies Record<string, { help: string; value: (j: Jsz) => number }>;

/** `jetstream_account_<name>`: an account's usage and reservations. */
const ACCOUNT_METRICS = {
  max_memory: { help: "Account memory reservation, bytes", value: (a: AccountDetail) => a.reserved_memory },
  max_storage: { help: "Account file storage reservation, bytes", value: (a: AccountDetail) => a.reserved_storage },
  memory_used: { help: "Bytes the account's memory streams hold", value: (a: AccountDetail) => a.memory },
  storage_used: { help: "Bytes the account's file streams hold", value: (a: AccountDetail) => a.storage },
} as const satisfies Record<string, { help: string; value: (a: AccountDetail) => number }>;

/** `jetstream_stream_<name>`; `undefined` leaves the series out, as the exporter does. */
const STREAM_METRICS = {
  total_messages: { help: "Messages in the stream", value: (s: StreamDetail) => s.state.messages },
  total_bytes: { help: "Bytes in the stream", value: (s: StreamDetail) => s.state.bytes },
  first_seq: { help: "The stream's first sequence", value: (s: StreamDetail) => s.state.first_seq },
  last_seq: { help: "The stream's last sequence", value: (s: StreamDetail) => s.state.last_seq },
  consumer_count: { help: "Consumers of the stream", value: (s: StreamDetail) => s.state.consumer_count },
  subject_count: { help: "Distinct subjects in the stream", value: (s: StreamDetail) => s.state.num_subjects ?? 0 },
  limit_bytes: { help: "The stream's max_bytes (-1: none)", value: (s: StreamDetail) => s.config?.max_bytes },
  limit_messages: { help: "The stream's max_msgs (-1: none)", value: (s: StreamDetail) => s.config?.max_msgs },
} as const satisfies Record<string, { help: string; value: (s: StreamDetail) => number | undefined }>;

/** A consumer's CONSUMER.INFO body as `/jsz` lists it, read defensively (it is untyped there). */
interface ConsumerView {
  name: string;
  description: string;
  leader: string | undefined;
  delivered: SequenceView;
  ackFloor: SequenceView;
  numAckPending: number;
  numRedelivered: number;
  numWaiting: number;
  numPending: number;
}
interface SequenceView {
  consumerSeq: number;
  streamSeq: number;
  /** Milliseconds since the epoch; undefined when never. */
  lastActiveMs: number | undefined;
}

/** `jetstream_consumer_<name>`; the `*_seconds` ones only once there was a delivery / an ack. */
const CONSUMER_METRICS = {
  delivered_consumer_seq: { help: "Last consumer sequence delivered", value: (c: ConsumerView) => c.delivered.consumerSeq },
  delivered_stream_seq: { help: "Stream sequence of the last delivery", value: (c: ConsumerView) => c.delivered.streamSeq },
  ack_floor_consumer_seq: { help: "Consumer sequence of the ack floor", value: (c: ConsumerView) => c.ackFloor.consumerSeq },
  ack_floor_stream_seq: { help: "Stream sequence of the ack floor", value: (c: ConsumerView) => c.ackFloor.streamSeq },
  num_ack_pending: { help: "Messages delivered and not yet acknowledged", value: (c: ConsumerView) => c.numAckPending },
  num_redelivered: { help: "Messages redelivered", value: (c: ConsumerView) => c.numRedelivered },
  num_waiting: { help: "Pull requests waiting", value: (c: ConsumerView) => c.numWaiting },
  num_pending: { help: "Messages not yet delivered", value: (c: ConsumerView) => c.numPending },
  last_delivery_seconds: { help: "Seconds since the last delivery", value: (c: ConsumerView, nowMs: number) => secondsSince(c.delivered.lastActiveMs, nowMs) },
  last_ack_seconds: { help: "Seconds since the last acknowledgement", value: (c: ConsumerView, nowMs: number) => secondsSince(c.ackFloor.lastActiveMs, nowMs) },
} as const satisfies Record<string, { help: string; value: (c: ConsumerView, nowMs: number) => number | undefined }>;

/** `gnatsd_varz_jetstream_<path>`: the `/varz` `jetstream` section, flattened as the exporter does. */
const VARZ_JETSTREAM_METRICS = {
  config_max_memory: { help: "/varz jetstream.config.max_memory, bytes", value: (v: JetStreamVarz) => v.config?.max_memory },
  config_max_storage: { help: "/varz jetstream.config.max_storage, bytes", value: (v: JetStreamVarz) => v.config?.max_storage },
  config_sync_interval: { help: "/varz jetstream.config.sync_interval, nanoseconds", value: (v: JetStreamVarz) => v.config?.sync_interval },
  stats_memory: { help: "/varz jetstream.stats.memory, bytes", value: (v: JetStreamVarz) => v.stats?.memory },
  stats_storage: { help: "/varz jetstream.stats.storage, bytes", value: (v: JetStreamVarz) => v.stats?.storage },
  stats_reserved_memory: { help: "/varz jetstream.stats.reserved_memory, bytes", value: (v: JetStreamVarz) => v.stats?.reserved_memory },
  stats_reserved_storage: { help: "/varz jetstream.stats.reserved_storage, bytes", value: (v: JetStreamVarz) => v.stats?.reserved_storage },
  stats_accounts: { help: "/varz jetstream.stats.accounts", value: (v: JetStreamVarz) => v.stats?.accounts },
  stats_ha_assets: { help: "/varz jetstream.stats.ha_assets", value: (v: JetStreamVarz) => v.stats?.ha_assets },
  stats_api_total: { help: "/varz jetstream.stats.api.total: API requests since start", value: (v: JetStreamVarz) => v.stats?.api.total },
  stats_api_errors: { help: "/varz jetstream.stats.api.errors: API errors since start", value: (v: JetStreamVarz) => v.stats?.api.errors },
} as const satisfies Record<string, { help: string; value: (v: JetStreamVarz) => number | undefined }>;

function secondsSince(ms: number | undefined, nowMs: number): number | undefined {
  return ms === undefined ? undefined : Math.max(0, nowMs - ms) / 1000;
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function sequenceView(value: unknown): SequenceView {
  const r = record(value);
  const last = typeof r["last_active"] === "string" ? Date.parse(r["last_active"]) : NaN;
  return { consumerSeq: num(r["consumer_seq"]), streamSeq: num(r["stream_seq"]), lastActiveMs: Number.isNaN(last) ? undefined : last };
}

function consumerView(info: Record<string, unknown>): ConsumerView {
  const description = record(info["config"])["description"];
  const leader = record(info["cluster"])["leader"];
  return {
    name: typeof info["name"] === "string" ? info["name"] : "",
    description: typeof description === "string" ? description : "",
    leader: typeof leader === "string" ? leader : undefined,
    delivered: sequenceView(info["delivered"]),
    ackFloor: sequenceView(info["ack_floor"]),
    numAckPending: num(info["num_ack_pending"]),
    numRedelivered: num(info["num_redelivered"]),
    numWaiting: num(info["num_waiting"]),
    numPending: num(info["num_pending"]),
  };
}

type Gauges<K extends string, L extends string> = Record<K, Gauge<L>>;

/** The exporter-named JetStream gauges of one registry, refilled on every scrape. */
export class JetStreamMetrics {
  readonly #server: Gauges<keyof typeof SERVER_METRICS, ServerLabel>;
  readonly #account: Gauges<keyof typeof ACCOUNT_METRICS, AccountLabel>;
  readonly #stream: Gauges<keyof typeof STREAM_METRICS, StreamLabel>;
  readonly #consumer: Gauges<keyof typeof CONSUMER_METRICS, ConsumerLabel>;
  readonly #varz: Gauges<keyof typeof VARZ_JETSTREAM_METRICS, "server_id">;
  readonly #all: Gauge<string>[] = [];

  constructor(registry: Registry) {
    const family = <K extends string, L extends string>(prefix: string, defs: Record<K, { help: string }>, labelNames: readonly L[]): Gauges<K, L> => {
      const out = {} as Gauges<K, L>;
      for (const key of Object.keys(defs) as K[]) {
        const gauge = new Gauge<L>({ name: `${prefix}${key}`, help: defs[key].help, labelNames, registers: [registry] });
        out[key] = gauge;
        this.#all.push(gauge as Gauge<string>);
      }
      return out;
    };
    this.#server = family("jetstream_server_", SERVER_METRICS, SERVER_LABELS);
    this.#account = family("jetstream_account_", ACCOUNT_METRICS, ACCOUNT_LABELS);
    this.#stream = family("jetstream_stream_", STREAM_METRICS, STREAM_LABELS);
    this.#consumer = family("jetstream_consumer_", CONSUMER_METRICS, CONSUMER_LABELS);
    this.#varz = family("gnatsd_varz_jetstream_", VARZ_JETSTREAM_METRICS, ["server_id"] as const);
  }

  /**
   * Replaces every series with the numbers of `doc` (`/jsz` with `consumers` and `config`) and
   * `varz` (the `/varz` `jetstream` section): streams and consumers deleted since the last scrape
   * must not linger, so the gauges start empty each time.
   */
  update(view: MonitorView, doc: Jsz, varz: JetStreamVarz): void {
    for (const gauge of this.#all) gauge.reset();
    const nowMs = Date.now();
    // A lone server: no meta group, so the exporter leaves cluster and meta_leader empty and
    // calls the server the meta leader.
    const server: Record<ServerLabel, string> = {
      server_id: view.id,
      server_name: view.name,
      cluster: "",
      domain: doc.config.domain ?? "",
      meta_leader: "",
      is_meta_leader: "true",
    };
    for (const key of Object.keys(SERVER_METRICS) as (keyof typeof SERVER_METRICS)[]) this.#server[key].set(server, SERVER_METRICS[key].value(doc));
    for (const key of Object.keys(VARZ_JETSTREAM_METRICS) as (keyof typeof VARZ_JETSTREAM_METRICS)[]) {
      const value = VARZ_JETSTREAM_METRICS[key].value(varz);
      if (value !== undefined) this.#varz[key].set({ server_id: view.id }, value);
    }
    let streamsLeft = METRICS_STREAM_LIMIT;
    let consumersLeft = METRICS_CONSUMER_LIMIT;
    for (const account of doc.account_details ?? []) {
      const accountLabels: Record<AccountLabel, string> = { ...server, account: account.name, account_name: account.name, account_id: account.id };
      for (const key of Object.keys(ACCOUNT_METRICS) as (keyof typeof ACCOUNT_METRICS)[]) this.#account[key].set(accountLabels, ACCOUNT_METRICS[key].value(account));
      const streams = [...(account.stream_detail ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const stream of streams.slice(0, Math.max(0, streamsLeft))) {
        streamsLeft--;
        const leader = stream.cluster.leader;
        const streamLabels: Record<StreamLabel, string> = {
          ...accountLabels,
          stream_name: stream.name,
          stream_leader: leader,
          is_stream_leader: leader === view.name ? "true" : "false",
          stream_raft_group: "",
        };
        for (const key of Object.keys(STREAM_METRICS) as (keyof typeof STREAM_METRICS)[]) {
          const value = STREAM_METRICS[key].value(stream);
          if (value !== undefined) this.#stream[key].set(streamLabels, value);
        }
        for (const info of stream.consumer_detail ?? []) {
          if (consumersLeft <= 0) break;
          consumersLeft--;
          const c = consumerView(info);
          const consumerLabels: Record<ConsumerLabel, string> = {
            ...streamLabels,
            consumer_name: c.name,
            // Without a cluster block the exporter leaves the leader empty and says "true".
            consumer_leader: c.leader ?? "",
            is_consumer_leader: c.leader === undefined || c.leader === view.name ? "true" : "false",
            consumer_desc: c.description,
          };
          for (const key of Object.keys(CONSUMER_METRICS) as (keyof typeof CONSUMER_METRICS)[]) {
            const value = CONSUMER_METRICS[key].value(c, nowMs);
            if (value !== undefined) this.#consumer[key].set(consumerLabels, value);
          }
        }
      }
    }
  }
}
