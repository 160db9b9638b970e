/**
 * The `cluster` option: where this server listens for routes, which servers it dials, and the
 * cluster's name. Names and defaults follow nats-server's `cluster { }` block (opts.go
 * ClusterOpts); route URLs are `nats-route://[user:pass@]host:port`.
 */
import { randomBytes } from "node:crypto";
import { InvalidOptionError } from "../base/errors.ts";

/** nats-server DEFAULT_ROUTE_CONNECT: wait between attempts to reach a configured route. */
export const DEFAULT_ROUTE_CONNECT = 1000;
/** nats-server DEFAULT_ROUTE_RECONNECT: wait before redialing a route that went down. */
export const DEFAULT_ROUTE_RECONNECT = 1000;
/** nats-server DEFAULT_ROUTE_DIAL: how long one TCP dial to a route may take. */
export const DEFAULT_ROUTE_DIAL = 1000;
/** nats-server's auth timeout for routes (`cluster.authorization.timeout`, 2 s by default). */
export const ROUTE_AUTH_TIMEOUT = 2000;

/** nats-server's `cluster { }` block. */
export interface ClusterOptions {
  /** The cluster's name; every member must use the same. Generated (and adopted from a named peer) when left out. */
  name?: string;
  /** Bind address of the route port; defaults to the server's `host`. */
  host?: string;
  /** Route port (`0` picks a free one; read it back from `server.clusterPort`). nats-server's default is 6222. */
  port: number;
  /** Servers to dial: `nats-route://[user:pass@]host:port`. Each is retried every second. */
  routes?: string[];
  /** Don't tell clients about the other members' client URLs (INFO `connect_urls`). */
  noAdvertise?: boolean;
  /**
   * Attempts to reach a configured route before giving up (nats-server `connect_retries`);
   * 0, the default, retries for ever.
   */
  connectRetries?: number;
  /** Credentials a peer must present in its route CONNECT (and that we send when the URL has none). */
  authorization?: { user: string; password: string; timeout?: number };
}

/** The `cluster` option checked, with its defaults. */
export interface ResolvedCluster {
  readonly name: string;
  /** The name was generated: a peer's configured name is adopted (route.go isClusterNameDynamic). */
  readonly dynamicName: boolean;
  readonly host: string | undefined;
  readonly port: number;
  readonly routes: readonly URL[];
  readonly noAdvertise: boolean;
  readonly connectRetries: number;
  readonly authorization: { readonly user: string; readonly password: string; readonly timeout: number } | undefined;
}

/** `nats-route://host:port` (or `nats://`, or a bare `host:port`) as a URL; throws on anything else. */
export function parseRouteUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `nats-route://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidOptionError("cluster.routes", `${JSON.stringify(text)} is not a route URL`);
  }
  if (!["nats-route:", "nats:", "route:"].includes(url.protocol) || url.hostname === "" || url.port === "") {
    throw new InvalidOptionError("cluster.routes", `${JSON.stringify(text)} is not a route URL (nats-route://host:port)`);
  }
  return url;
}

export function resolveCluster(cluster: ClusterOptions | undefined): ResolvedCluster | undefined {
  if (cluster === undefined) return undefined;
  const { port } = cluster;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError("cluster.port", `must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (cluster.name !== undefined && (typeof cluster.name !== "string" || cluster.name === "" || /\s/.test(cluster.name))) {
    throw new InvalidOptionError("cluster.name", "must be a non-empty string without spaces");
  }
  const retries = cluster.connectRetries ?? 0;
  if (!Number.isInteger(retries) || retries < 0) throw new InvalidOptionError("cluster.connectRetries", `must be an integer >= 0, got ${String(retries)}`);
  const auth = cluster.authorization;
  if (auth !== undefined && (typeof auth.user !== "string" || auth.user === "" || typeof auth.password !== "string")) {
    throw new InvalidOptionError("cluster.authorization", "needs a user and a password");
  }
  return {
    name: cluster.name ?? randomBytes(16).toString("base64url").replace(/[-_]/g, "x").slice(0, 22),
    dynamicName: cluster.name === undefined,
    host: cluster.host,
    port,
    routes: (cluster.routes ?? []).map(parseRouteUrl),
    noAdvertise: cluster.noAdvertise === true,
    connectRetries: retries,
    authorization:
      auth === undefined ? undefined : { user: auth.user, password: auth.password, timeout: auth.timeout !== undefined ? auth.timeout * 1000 : ROUTE_AUTH_TIMEOUT },
  };
}
