/**
 * nats-server's WebSocket origin rules (`server/websocket.go`, `validateWebsocketOptions` and
 * `checkOrigin`). Apart from the upgrade checks because resolving options compiles the policy
 * at `createServer()`, and that must not load `node:http` for a server with no WebSocket port.
 */
import type { IncomingHttpHeaders } from "node:http";
import { InvalidOptionError } from "../base/errors.ts";

/** The origin rules, compiled once from the options. */
export interface OriginPolicy {
  readonly sameOrigin: boolean;
  /** Allowed origins by lower-cased host: the scheme and port each may use. */
  readonly allowed: ReadonlyMap<string, readonly { scheme: string; port: string }[]>;
}

/**
 * Validates the origin options as nats-server does at startup: each allowed origin must be an
 * absolute `http` or `https` URL with a host. Returns the compiled policy.
 */
export function compileOriginPolicy(sameOrigin: boolean, allowedOrigins: readonly string[]): OriginPolicy {
  const allowed = new Map<string, { scheme: string; port: string }[]>();
  for (const origin of allowedOrigins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new InvalidOptionError("websocket.allowedOrigins", `has ${JSON.stringify(origin)}, which is not an absolute URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new InvalidOptionError("websocket.allowedOrigins", `has ${JSON.stringify(origin)}: allowed origins must be absolute URLs with http or https scheme`);
    }
    if (url.host === "") throw new InvalidOptionError("websocket.allowedOrigins", `has ${JSON.stringify(origin)}: host is required`);
    const scheme = url.protocol.slice(0, -1);
    const hp = splitHostPort(url.host, scheme === "https");
    if (hp === undefined) throw new InvalidOptionError("websocket.allowedOrigins", `has ${JSON.stringify(origin)}: bad host and port`);
    const list = allowed.get(hp.host) ?? [];
    list.push({ scheme, port: hp.port });
    allowed.set(hp.host, list);
  }
  return { sameOrigin, allowed };
}

/**
 * nats-server's origin rule: with neither `same_origin` nor `allowed_origins` set, or with no
 * `Origin` header (a client that is not a browser), anything goes. Otherwise the origin must
 * have the request's scheme, host and port (same origin), and be in the list (if one is set).
 * Returns what is wrong, or `undefined`.
 */
export function checkOrigin(headers: IncomingHttpHeaders, policy: OriginPolicy, secure = false): string | undefined {
  if (!policy.sameOrigin && policy.allowed.size === 0) return undefined;
  const origin = headerValue(headers, "origin") || headerValue(headers, "sec-websocket-origin");
  if (origin === "") return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `invalid origin ${JSON.stringify(origin)}`;
  }
  const scheme = url.protocol.slice(0, -1);
  const o = splitHostPort(url.host, scheme === "https");
  if (o === undefined) return `invalid origin ${JSON.stringify(origin)}`;
  if (policy.sameOrigin) {
    // websocket.go checkOrigin: the request's scheme is https on a TLS listener, else http.
    const r = splitHostPort(headerValue(headers, "host"), secure);
    if (r === undefined) return "invalid host";
    if (o.host !== r.host || o.port !== r.port || scheme !== (secure ? "https" : "http")) return "not same origin";
  }
  if (policy.allowed.size > 0) {
    const candidates = policy.allowed.get(o.host) ?? [];
    if (!candidates.some((a) => a.scheme === scheme && a.port === o.port)) return "not in the allowed list";
  }
  return undefined;
}

/**
 * Go's `net.SplitHostPort`, with the scheme's default port when none is given (nats-server's
 * `wsGetHostAndPort`); the host lower-cased. `undefined` when it cannot be split.
 */
export function splitHostPort(hostport: string, tls: boolean): { host: string; port: string } | undefined {
  const defaultPort = tls ? "443" : "80";
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(hostport);
  if (bracketed !== null) {
    // "[::1]" alone has no port: Go then keeps the brackets in the host.
    if (bracketed[2] === undefined) return { host: hostport.toLowerCase(), port: defaultPort };
    return { host: (bracketed[1] ?? "").toLowerCase(), port: bracketed[2] };
  }
  const colons = hostport.split(":").length - 1;
  if (colons === 0) return { host: hostport.toLowerCase(), port: defaultPort };
  if (colons > 1) return undefined;
  const i = hostport.indexOf(":");
  return { host: hostport.slice(0, i).toLowerCase(), port: hostport.slice(i + 1) };
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (value === undefined) return "";
  return Array.isArray(value) ? (value[0] ?? "") : value;
}
