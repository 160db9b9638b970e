/**
 * `/varz`: the server's identity, limits and counters, in nats-server's field names, order and
 * units (monitor.go `Varz`, `createVarz`, `updateVarzRuntimeFields`). Fields nats-server omits
 * when empty (`omitempty`) are omitted here under the same condition.
 */
import { clusterVarz, routeCount, type ClusterVarz } from "./routez.ts";
import { availableParallelism } from "node:os";
import { AUTH_TIMEOUT, PROTO_VERSION } from "../base/constants.ts";
import type { MonitorView } from "./monitor-view.ts";
import { goTime, goUptime, msToNs } from "./go-format.ts";
import { cpuPercent, monitorState } from "./monitor-state.ts";
import { jetstreamVarz, type JetStreamVarz } from "./jsz.ts";
import { leafNodeCount, leafNodeVarz, type LeafNodeVarz } from "./leafz.ts";

/** nats-server's `tls_timeout` default, in seconds, reported when no TLS is configured (as it does). */
const TLS_TIMEOUT_SECONDS = 2;

/** The `websocket` block of `/varz` (monitor.go `WebsocketOptsVarz`), when a WebSocket listener is configured. */
export interface WebsocketVarz {
  host?: string;
  port?: number;
  no_tls?: boolean;
  same_origin?: boolean;
  allowed_origins?: string[];
  compression?: boolean;
}

/** `/varz` as nats-server writes it. Durations are nanoseconds unless said otherwise. */
export interface Varz {
  server_id: string;
  server_name: string;
  /** The nats-server release whose behaviour we match (also INFO `version`). */
  version: string;
  proto: number;
  /** Runtime version; nats-server writes its Go version, we write `node<version>`. */
  go: string;
  host: string;
  /** Client port; 0 when no TCP port is open. */
  port: number;
  /** Only when clients must authenticate (as INFO: not with a `noAuthUser`). */
  auth_required?: boolean;
  /** Only when client connections use TLS. */
  tls_required?: boolean;
  /** Only when client certificates are required and verified. */
  tls_verify?: boolean;
  max_connections: number;
  /** Per-connection subscription limit; omitted when 0 (unlimited). */
  max_subscriptions?: number;
  /** Nanoseconds. */
  ping_interval: number;
  ping_max: number;
  http_host: string;
  http_port: number;
  http_base_path: string;
  https_port: number;
  /** Seconds. */
  auth_timeout: number;
  max_control_line: number;
  max_payload: number;
  max_pending: number;
  /** The cluster's name, route port and configured routes; `{}` when not clustered. */
  cluster: ClusterVarz;
  gateway: Record<string, never>;
  /** The leaf node port and remotes; `{}` without leaf nodes. */
  leaf: LeafNodeVarz;
  mqtt: Record<string, never>;
  websocket: WebsocketVarz;
  /** JetStream's config and stats; `{}` when it is off. */
  jetstream: JetStreamVarz;
  /** Seconds. */
  tls_timeout: number;
  /** Nanoseconds. */
  write_deadline: number;
  /** RFC 3339. */
  start: string;
  /** RFC 3339. */
  now: string;
  /** As `1h2m3s`. */
  uptime: string;
  /** Resident set size of the process, bytes. */
  mem: number;
  cores: number;
  /** Threads that can run JavaScript at once; Node has one event loop, we report the cores available as nats-server reports GOMAXPROCS. */
  gomaxprocs: number;
  /** Process CPU use, percent of one core. */
  cpu: number;
  connections: number;
  total_connections: number;
  routes: number;
  remotes: number;
  leafnodes: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  slow_consumers: number;
  subscriptions: number;
  /** Requests served per monitoring path. */
  http_req_stats: Record<string, number>;
  /** RFC 3339; the start time, as nothing is reloaded. */
  config_load_time: string;
}

function countOf(iterable: Iterable<unknown>): number {
  let n = 0;
  for (const _ of iterable) n++;
  return n;
}

/**
 * Whether clients must authenticate, as the server's INFO says it (`auth_required`): some
 * credentials or a host hook are configured, and there is no `noAuthUser` to fall back on.
 */
function authRequired(options: MonitorView["options"]): boolean {
  const a = options.authorization;
  if (a === undefined || a.noAuthUser !== undefined) return false;
  return a.token !== undefined || a.user !== undefined || (a.users?.length ?? 0) > 0 || a.authenticate !== undefined;
}

function websocketVarz(view: MonitorView): WebsocketVarz {
  const ws = view.options.websocket;
  if (ws === undefined) return {};
  const out: WebsocketVarz = { host: ws.host, port: view.ports.websocket?.port ?? ws.port };
  if (ws.noTls) out.no_tls = true;
  if (ws.sameOrigin) out.same_origin = true;
  if (ws.allowedOrigins.length > 0) out.allowed_origins = [...ws.allowedOrigins];
  if (ws.compression) out.compression = true;
  return out;
}

/** The `/varz` document for the server behind `view`. */
export function varz(view: MonitorView): Varz {
  const { options, stats } = view;
  const now = Date.now();
  const http = view.ports.monitoring ?? options.http;
  const reqStats: Record<string, number> = {};
  for (const [path, count] of monitorState(view).httpReqStats) reqStats[path] = count;
  const cores = availableParallelism();
  const out: Varz = {
    server_id: view.id,
    server_name: view.name,
    version: view.version,
    proto: PROTO_VERSION,
    go: `node${process.versions.node}`,
    host: options.host,
    port: view.ports.nats?.port ?? options.port ?? 0,
    // omitempty, as nats-server: present only when true.
    ...(authRequired(options) && { auth_required: true }),
    // monitor.go: INFO's tls_required, which allow_non_tls clears (server.go NewServer).
    ...(options.tls !== undefined && (!options.allowNonTls || options.tls.handshakeFirst) && { tls_required: true }),
    ...(options.tls?.verify === true && { tls_verify: true }),
    max_connections: options.maxConnections,
    // omitempty, as nats-server: only when limited.
    ...(options.maxSubscriptions > 0 ? { max_subscriptions: options.maxSubscriptions } : {}),
    ping_interval: msToNs(options.pingInterval),
    ping_max: options.pingMax,
    http_host: http?.host ?? "",
    // monitor.go: the port under the key of the scheme it serves.
    http_port: options.http?.secure === true ? 0 : (http?.port ?? 0),
    http_base_path: "",
    https_port: options.http?.secure === true ? (http?.port ?? 0) : 0,
    auth_timeout: (options.authorization?.timeout ?? AUTH_TIMEOUT) / 1000,
    max_control_line: options.maxControlLine,
    max_payload: options.maxPayload,
    max_pending: options.maxPending,
    cluster: clusterVarz(view),
    gateway: {},
    leaf: leafNodeVarz(view),
    mqtt: {},
    websocket: websocketVarz(view),
    jetstream: jetstreamVarz(view),
    tls_timeout: options.tls !== undefined ? options.tls.timeout / 1000 : TLS_TIMEOUT_SECONDS,
    write_deadline: msToNs(options.writeDeadline),
    start: goTime(view.startTime),
    now: goTime(now),
    uptime: goUptime(now - view.startTime),
    mem: process.memoryUsage.rss(),
    cores,
    gomaxprocs: cores,
    cpu: cpuPercent(view),
    connections: countOf(view.clients()),
    total_connections: view.totalConnections,
    routes: routeCount(view),
    remotes: 0,
    leafnodes: leafNodeCount(view),
    in_msgs: stats.inMsgs,
    out_msgs: stats.outMsgs,
    in_bytes: stats.inBytes,
    out_bytes: stats.outBytes,
    slow_consumers: stats.slowConsumers,
    subscriptions: view.sublist.count,
    http_req_stats: reqStats,
    config_load_time: goTime(view.startTime),
  };
  return out;
}
