/**
 * `/metrics`: the monitoring numbers as Prometheus text, built with `prom-client` on a registry
 * of our own (never prom-client's global one, which the host application may use for itself).
 *
 * Names follow the Prometheus NATS exporter (`gnatsd_<endpoint>_<json field>`, gauges, a
 * `server_id` label), so dashboards built on the exporter read these unchanged. JetStream's
 * numbers carry the exporter's `-jsz` names and labels (see jetstream-metrics.ts).
 */
import { Gauge, Registry } from "prom-client";
import type { MonitorView } from "./monitor-view.ts";
import { sublistStatsJson, type SublistStatsJson } from "./subsz.ts";
import { varz, type Varz } from "./varz.ts";
import { jsz } from "./jsz.ts";
import { leafz } from "./leafz.ts";
import { routez } from "./routez.ts";
import { JetStreamMetrics } from "./jetstream-metrics.ts";

/** `/varz` number fields exported as `gnatsd_varz_<field>`. */
export const VARZ_METRICS = [
  "connections",
  "total_connections",
  "subscriptions",
  "slow_consumers",
  "in_msgs",
  "out_msgs",
  "in_bytes",
  "out_bytes",
  "mem",
  "cpu",
  "cores",
  "gomaxprocs",
  "routes",
  "remotes",
  "leafnodes",
  "max_connections",
  "max_payload",
  "max_pending",
  "max_control_line",
  "ping_interval",
  "ping_max",
  "write_deadline",
  "auth_timeout",
  "port",
  "http_port",
  "proto",
] as const satisfies readonly (keyof Varz)[];

/** `/subsz` fields exported as `gnatsd_subsz_<field>`. */
export const SUBSZ_METRICS = [
  "num_subscriptions",
  "num_cache",
  "num_inserts",
  "num_removes",
  "num_matches",
  "cache_hit_rate",
  "max_fanout",
  "avg_fanout",
] as const satisfies readonly (keyof SublistStatsJson)[];

/**
 * `/jsz` numbers exported as `gnatsd_jsz_<field>` (`api.total` as `api_total`), with
 * `disabled` as 1 when JetStream is off. These are our own earlier names, kept so existing
 * graphs keep working; the exporter's names for the same numbers (`jetstream_server_*`,
 * `gnatsd_varz_jetstream_*`) come from {@link JetStreamMetrics}.
 */
export const JSZ_METRICS = [
  "disabled",
  "streams",
  "consumers",
  "messages",
  "bytes",
  "memory",
  "storage",
  "reserved_memory",
  "reserved_storage",
  "api_total",
  "api_errors",
] as const;

const HELP: Partial<Record<string, string>> = {
  connections: "Open client connections",
  total_connections: "Client connections accepted since start",
  subscriptions: "Subscriptions across all connections",
  slow_consumers: "Clients cut for not keeping up, since start",
  in_msgs: "Messages received from clients, since start",
  out_msgs: "Messages delivered to clients, since start",
  in_bytes: "Payload bytes received from clients, since start",
  out_bytes: "Payload bytes delivered to clients, since start",
  mem: "Resident set size of the process, bytes",
  cpu: "Process CPU use, percent of one core",
  ping_interval: "Keepalive interval, nanoseconds",
  write_deadline: "Write deadline, nanoseconds",
  auth_timeout: "Authentication timeout, seconds",
  cache_hit_rate: "Share of matches answered from the sublist cache (0..1)",
  disabled: "1 when JetStream is off",
  streams: "JetStream streams",
  consumers: "JetStream consumers",
  messages: "Messages held by JetStream streams",
  bytes: "Bytes held by JetStream streams",
  memory: "Bytes held by memory streams",
  storage: "Bytes held by file streams",
  api_total: "JetStream API requests since start",
  api_errors: "JetStream API requests answered with an error, since start",
};

type RouteField = "in_msgs" | "out_msgs" | "in_bytes" | "out_bytes" | "pending_size" | "subscriptions";
type RouteLabel = "server_id" | "rid" | "remote_id";

/** `/routez` per-route numbers exported as `gnatsd_routez_route_<field>`. */
const ROUTE_METRICS: readonly (readonly [RouteField, string])[] = [
  ["in_msgs", "Messages received over the route, since it came up"],
  ["out_msgs", "Messages sent over the route, since it came up"],
  ["in_bytes", "Payload bytes received over the route, since it came up"],
  ["out_bytes", "Payload bytes sent over the route, since it came up"],
  ["pending_size", "Bytes queued to the route, not yet written"],
  ["subscriptions", "Subjects and queue groups the peer has interest in"],
];

/** The Prometheus text of one server's numbers. */
export class MetricsRegistry {
  readonly #registry = new Registry();
  readonly #varz = new Map<string, Gauge<"server_id">>();
  readonly #subsz = new Map<string, Gauge<"server_id">>();
  readonly #connzPending: Gauge<"server_id">;
  readonly #connzTotal: Gauge<"server_id">;
  readonly #jsz = new Map<string, Gauge<"server_id">>();
  readonly #leafzCount: Gauge<"server_id">;
  readonly #leafzNodes: Gauge<"server_id">;
  readonly #routezCount: Gauge<"server_id">;
  readonly #route = new Map<RouteField, Gauge<RouteLabel>>();
  readonly #jetstream: JetStreamMetrics;

  constructor() {
    const registers = [this.#registry];
    const gauge = (name: string, help: string): Gauge<"server_id"> => new Gauge({ name, help, labelNames: ["server_id"], registers });
    for (const field of VARZ_METRICS) this.#varz.set(field, gauge(`gnatsd_varz_${field}`, HELP[field] ?? `/varz ${field}`));
    for (const field of SUBSZ_METRICS) this.#subsz.set(field, gauge(`gnatsd_subsz_${field}`, HELP[field] ?? `/subsz ${field}`));
    this.#connzTotal = gauge("gnatsd_connz_total", "Open client connections (/connz total)");
    this.#connzPending = gauge("gnatsd_connz_pending_bytes", "Outbound bytes queued across open connections");
    for (const field of JSZ_METRICS) this.#jsz.set(field, gauge(`gnatsd_jsz_${field}`, HELP[field] ?? `/jsz ${field}`));
    this.#leafzCount = gauge("gnatsd_leafz_leafnodes", "Leaf node links up (/leafz leafnodes)");
    // The exporter's `-leafz` name for the same count (collector/leafz.go).
    this.#leafzNodes = gauge("gnatsd_leafz_conn_nodes_total", "Leaf node links up (/leafz leafnodes)");
    // The exporter's `-routez` (it keeps only the count); per route, our own series, labelled
    // as /routez names the route.
    this.#routezCount = gauge("gnatsd_routez_num_routes", "Routes up (/routez num_routes)");
    for (const [field, help] of ROUTE_METRICS) {
      this.#route.set(field, new Gauge({ name: `gnatsd_routez_route_${field}`, help, labelNames: ["server_id", "rid", "remote_id"], registers }));
    }
    this.#jetstream = new JetStreamMetrics(this.#registry);
  }

  /** `Content-Type` of {@link render}'s text. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Reads the server once and renders every metric. */
  async render(view: MonitorView): Promise<string> {
    const labels = { server_id: view.id };
    const v = varz(view);
    for (const [field, g] of this.#varz) g.set(labels, v[field as keyof Varz] as number);
    const s = sublistStatsJson(view);
    for (const [field, g] of this.#subsz) g.set(labels, s[field as keyof SublistStatsJson]);
    let pending = 0;
    let open = 0;
    for (const client of view.clients()) {
      pending += client.pendingBytes;
      open++;
    }
    this.#connzTotal.set(labels, open);
    this.#connzPending.set(labels, pending);
    // What the exporter's `-jsz=all` reads: every account, stream and consumer, with configs.
    const j = jsz(view, { consumers: true, config: true });
    const jszValues: Record<(typeof JSZ_METRICS)[number], number> = {
      disabled: j.disabled === true ? 1 : 0,
      streams: j.streams,
      consumers: j.consumers,
      messages: j.messages,
      bytes: j.bytes,
      memory: j.memory,
      storage: j.storage,
      reserved_memory: j.reserved_memory,
      reserved_storage: j.reserved_storage,
      api_total: j.api.total,
      api_errors: j.api.errors,
    };
    for (const [field, g] of this.#jsz) g.set(labels, jszValues[field as keyof typeof jszValues]);
    this.#jetstream.update(view, j, v.jetstream);
    const leafnodes = leafz(view).leafnodes;
    this.#leafzCount.set(labels, leafnodes);
    this.#leafzNodes.set(labels, leafnodes);
    const rz = routez(view);
    this.#routezCount.set(labels, rz.num_routes);
    // Routes come and go: only the ones up now have series.
    for (const g of this.#route.values()) g.reset();
    for (const r of rz.routes) {
      const routeLabels = { server_id: view.id, rid: String(r.rid), remote_id: r.remote_id };
      for (const [field, g] of this.#route) g.set(routeLabels, r[field]);
    }
    return this.#registry.metrics();
  }
}
