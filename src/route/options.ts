/**
 * The `cluster` option: where this server listens for routes, which servers it dials, and the
 * cluster's name. Names and defaults follow nats-server's `cluster { }` block (opts.go
 * ClusterOpts); route URLs are `nats-route://[user:pass@]host:port`.
 */
import { randomBytes } from "node:crypto";
import { InvalidOptionError } from "../base/errors.ts";
import { isValidSubject } from "../subjects/subject.ts";
import { CompiledPermissions, type SubjectPermission } from "../core/permissions.ts";
import { resolveTls, type ResolvedTls, type TlsOptions } from "../transport/tls.ts";

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
  /** Servers to dial: `nats-route://[user:pass@]host:port` (or `tls://` with `tls`). Each is retried every second. */
  routes?: string[];
  /** Don't tell clients about the other members' client URLs (INFO `connect_urls`). */
  noAdvertise?: boolean;
  /**
   * `host[:port]` the other members dial to reach this server (nats-server `cluster.advertise`,
   * `--cluster_advertise`): our route INFO carries it as `host`, `port` and `ip`, and they gossip
   * it to the members that join later. Without a port (or with 0 or -1) the route port is
   * used. For a server behind NAT, a proxy or a port mapping; the route port still listens where
   * `host`/`port` say.
   */
  advertise?: string;
  /**
   * Attempts to reach a configured route before giving up (nats-server `connect_retries`);
   * 0, the default, retries for ever.
   */
  connectRetries?: number;
  /** Credentials a peer must present in its route CONNECT (and that we send when the URL has none). */
  authorization?: { user: string; password: string; timeout?: number };
  /**
   * TLS on every route, both ways, before anything else is said (route.go createRoute). As
   * nats-server's (opts.go getTLSConfig), routes always verify each other: each side presents
   * this certificate and checks the other's against `ca`/`caFile`, which is therefore required;
   * `verify` is accepted and changes nothing. `timeout` is in milliseconds (2000 by default).
   */
  /**
   * What crosses the routes (nats-server's `cluster { permissions { } }`, route.go canImport and
   * canExport): `import`, the subjects we tell the other members we want (and take from them);
   * `export`, the subjects whose interest we accept from them (and so send them). A list means
   * `allow`; deny wins.
   */
  permissions?: { import?: SubjectPermission | string[]; export?: SubjectPermission | string[] };
  tls?: Pick<TlsOptions, "cert" | "key" | "ca" | "certFile" | "keyFile" | "caFile" | "verify" | "timeout">;
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
  /** `cluster.advertise`, split; `port` undefined means the route port. */
  readonly advertise: { readonly host: string; readonly port: number | undefined } | undefined;
  readonly connectRetries: number;
  readonly authorization: { readonly user: string; readonly password: string; readonly timeout: number } | undefined;
  /** Route permissions, checked; undefined when they restrict nothing. */
  readonly permissions: ClusterOptions["permissions"];
  /** Route TLS: the context for accepted routes (peer certificate required) and PEM for dialing. */
  readonly tls: ResolvedRouteTls | undefined;
}

export interface ResolvedRouteTls {
  readonly accept: ResolvedTls;
  readonly dial: { readonly ca: string | Buffer; readonly cert: string | Buffer; readonly key: string | Buffer; readonly rejectUnauthorized: true; readonly serverName: undefined };
  readonly timeout: number;
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
  if (!["nats-route:", "nats:", "route:", "tls:"].includes(url.protocol) || url.hostname === "" || url.port === "") {
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
  const tls = resolveRouteTls(cluster.tls);
  const routes = (cluster.routes ?? []).map(parseRouteUrl);
  const tlsRoute = routes.find((u) => u.protocol === "tls:");
  if (tlsRoute !== undefined && tls === undefined) throw new InvalidOptionError("cluster.routes", `${tlsRoute.href} asks for TLS: configure cluster.tls`);
  return {
    name: cluster.name ?? randomBytes(16).toString("base64url").replace(/[-_]/g, "x").slice(0, 22),
    dynamicName: cluster.name === undefined,
    host: cluster.host,
    port,
    routes,
    noAdvertise: cluster.noAdvertise === true,
    advertise: cluster.advertise === undefined ? undefined : parseAdvertise(cluster.advertise),
    connectRetries: retries,
    authorization:
      auth === undefined ? undefined : { user: auth.user, password: auth.password, timeout: auth.timeout !== undefined ? auth.timeout * 1000 : ROUTE_AUTH_TIMEOUT },
    tls,
    permissions: resolvePermissions(cluster.permissions),
  };
}

/**
 * `host`, `host:port` or `[v6]:port`, as nats-server's parseHostPort (util.go): a missing port,
 * 0 or -1 means the route port; a bare IPv6 address is refused there too ("too many colons").
 * Checked at createServer(), where nats-server fails only once it starts routing (route.go
 * setRouteInfoHostPortAndIP).
 */
function parseAdvertise(text: unknown): { host: string; port: number | undefined } {
  if (typeof text !== "string" || text.trim() === "") throw new InvalidOptionError("cluster.advertise", "must be a non-empty host or host:port");
  const value = text.trim();
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(-?\d+))?$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  if (m === null || host === undefined || host === "" || /\s|\/|@/.test(host)) {
    throw new InvalidOptionError("cluster.advertise", `${JSON.stringify(text)} is not a host or host:port`);
  }
  const port = m[3] === undefined || m[3] === "" ? undefined : Number(m[3]);
  if (port !== undefined && (port < -1 || port > 65535)) throw new InvalidOptionError("cluster.advertise", `port must be from -1 to 65535, got ${port}`);
  return { host, port: port === undefined || port <= 0 ? undefined : port };
}

function resolvePermissions(p: ClusterOptions["permissions"]): ClusterOptions["permissions"] {
  if (p === undefined) return undefined;
  if (typeof p !== "object" || p === null) throw new InvalidOptionError("cluster.permissions", "must be an object with import and export");
  for (const [key, value] of Object.entries(p)) {
    if (key !== "import" && key !== "export") throw new InvalidOptionError(`cluster.permissions.${key}`, "route permissions take import and export");
    const lists = Array.isArray(value) ? [value] : [value?.allow, value?.deny];
    for (const list of lists) {
      if (list === undefined) continue;
      if (!Array.isArray(list) || !list.every((s) => typeof s === "string" && isValidSubject(s))) {
        throw new InvalidOptionError(`cluster.permissions.${key}`, "must list valid subjects");
      }
    }
  }
  if (p.import === undefined && p.export === undefined) return undefined;
  return { ...(p.import !== undefined && { import: p.import }), ...(p.export !== undefined && { export: p.export }) };
}

/** Route permissions as a user's: `publish` is the import, `subscribe` the export (route.go setRoutePermissions). */
export function compileRoutePermissions(p: ClusterOptions["permissions"]): CompiledPermissions | undefined {
  if (p === undefined) return undefined;
  return new CompiledPermissions({ ...(p.import !== undefined && { publish: p.import }), ...(p.export !== undefined && { subscribe: p.export }) });
}

function resolveRouteTls(tls: ClusterOptions["tls"]): ResolvedRouteTls | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== "object" || tls === null) throw new InvalidOptionError("cluster.tls", "must be an object");
  if (tls.ca === undefined && tls.caFile === undefined) {
    throw new InvalidOptionError("cluster.tls", "needs the CA (caFile or ca) that signs the members' certificates: routes verify each other");
  }
  const accept = resolveTls({ ...tls, verify: true }, "cluster.tls")!;
  const { cert, key, ca } = accept.material();
  return { accept, dial: { ca: ca!, cert, key, rejectUnauthorized: true, serverName: undefined }, timeout: accept.timeout };
}
