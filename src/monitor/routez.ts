/**
 * `/routez`: the routes to the other servers of the cluster, in nats-server's JSON shape
 * (monitor.go `Routez`, `RouteInfo`; field order as Go encodes it).
 */
import type { Routes } from "../route/routes.ts";
import { goDuration, goTime, goUptime, msToNs } from "./go-format.ts";
import type { MonitorView } from "./monitor-view.ts";

/** What monitoring reads of the route manager. */
export type RoutesView = Pick<Routes, "establishedLinks" | "isConfigured" | "clusterName" | "port">;

/** monitor.go `ClusterOptsVarz`, the `/varz` `cluster` section; `{}` when not clustered. */
export interface ClusterVarz {
  name?: string;
  addr?: string;
  cluster_port?: number;
  /** Seconds. */
  auth_timeout?: number;
  /** The configured routes, `host:port`. */
  urls?: string[];
  /** Seconds; with `cluster.tls`. */
  tls_timeout?: number;
  tls_required?: boolean;
  tls_verify?: boolean;
}

/** The `/varz` `cluster` section. */
export function clusterVarz(view: MonitorView): ClusterVarz {
  const config = view.options.cluster;
  if (config === undefined) return {};
  const out: ClusterVarz = { name: view.routes?.clusterName ?? config.name, addr: config.host ?? view.options.host };
  const port = view.routes?.port ?? config.port;
  if (port !== 0) out.cluster_port = port;
  if (config.authorization !== undefined) out.auth_timeout = config.authorization.timeout / 1000;
  if (config.routes.length > 0) out.urls = config.routes.map((u) => u.host);
  if (config.tls !== undefined) {
    out.tls_timeout = config.tls.timeout / 1000;
    out.tls_required = true;
    out.tls_verify = true;
  }
  return out;
}

/** Routes up: `/varz` `routes`. */
export function routeCount(view: MonitorView): number {
  return view.routes?.establishedLinks().length ?? 0;
}

/** What `/routez` shows. */
export interface RoutezOptions {
  /** List each route's subjects (`subscriptions_list`). */
  subs?: boolean;
}

/** monitor.go `RouteInfo`: one route. */
export interface RouteInfo {
  rid: number;
  remote_id: string;
  did_solicit: boolean;
  is_configured: boolean;
  ip: string;
  port: number;
  /** RFC 3339. */
  start: string;
  last_activity: string;
  rtt?: string;
  uptime: string;
  idle: string;
  pending_size: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
}

/** monitor.go `Routez`, the `/routez` document. */
export interface Routez {
  server_id: string;
  now: string;
  num_routes: number;
  routes: RouteInfo[];
}

/** The `/routez` document for the server behind `view`. */
export function routez(view: MonitorView, options: RoutezOptions = {}): Routez {
  const now = Date.now();
  const manager = view.routes;
  const links = (manager?.establishedLinks() ?? []).sort((a, b) => a.cid - b.cid);
  const routes = links.map((link): RouteInfo => {
    const { ip, port } = link.remoteEndpoint;
    const subjects = link.remoteSubjects();
    return {
      rid: link.cid,
      remote_id: link.peerId,
      did_solicit: link.role === "solicit",
      is_configured: manager!.isConfigured(link),
      ip,
      port,
      start: goTime(link.start),
      last_activity: goTime(link.lastActivity),
      rtt: goDuration(msToNs(link.rtt)),
      uptime: goUptime(now - link.start),
      idle: goUptime(now - link.lastActivity),
      pending_size: link.pendingBytes,
      in_msgs: link.inMsgs,
      out_msgs: link.outMsgs,
      in_bytes: link.inBytes,
      out_bytes: link.outBytes,
      subscriptions: subjects.length,
      ...(options.subs === true && subjects.length > 0 && { subscriptions_list: subjects }),
    };
  });
  return { server_id: view.id, now: goTime(now), num_routes: routes.length, routes };
}
