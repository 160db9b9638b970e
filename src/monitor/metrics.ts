/**
 * `/metrics`: the monitoring numbers as Prometheus text, built with `prom-client` on a registry
 * of our own (never prom-client's global one, which the host application may use for itself).
 *
 * Names follow the Prometheus NATS exporter (`gnatsd_<endpoint>_<json field>`, gauges, a
 * `server_id` label), so dashboards built on the exporter read these unchanged.
 */
import { Gauge, Registry } from "prom-client";
import type { MonitorView } from "./monitor-view.ts";
import { sublistStatsJson, type SublistStatsJson } from "./subsz.ts";
import { varz, type Varz } from "./varz.ts";

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
};

/** The Prometheus text of one server's numbers. */
export class MetricsRegistry {
  readonly #registry = new Registry();
  readonly #varz = new Map<string, Gauge<"server_id">>();
  readonly #subsz = new Map<string, Gauge<"server_id">>();
  readonly #connzPending: Gauge<"server_id">;
  readonly #connzTotal: Gauge<"server_id">;

  constructor() {
    const registers = [this.#registry];
    const gauge = (name: string, help: string): Gauge<"server_id"> => new Gauge({ name, help, labelNames: ["server_id"], registers });
    for (const field of VARZ_METRICS) this.#varz.set(field, gauge(`gnatsd_varz_${field}`, HELP[field] ?? `/varz ${field}`));
    for (const field of SUBSZ_METRICS) this.#subsz.set(field, gauge(`gnatsd_subsz_${field}`, HELP[field] ?? `/subsz ${field}`));
    this.#connzTotal = gauge("gnatsd_connz_total", "Open client connections (/connz total)");
    this.#connzPending = gauge("gnatsd_connz_pending_bytes", "Outbound bytes queued across open connections");
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
    return this.#registry.metrics();
  }
}
