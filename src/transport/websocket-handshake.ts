/**
 * The WebSocket upgrade rules of nats-server (`server/websocket.go`, `wsUpgrade` and
 * `checkOrigin`), as pure functions: which requests are refused with which HTTP status, which
 * origins are allowed, and which close status a connection ends with. No I/O here.
 */
import { STATUS_CODES, type IncomingHttpHeaders } from "node:http";
import { InvalidOptionError } from "../base/errors.ts";

/** What a request path asks for: paths ending in `/leafnode` or `/mqtt` are not NATS clients. */
export type WebSocketEndpoint = "client" | "leafnode" | "mqtt";

/** A refused upgrade: the HTTP status sent back, and the reason nats-server logs. */
export interface HandshakeRefusal {
  readonly status: number;
  readonly reason: string;
}

/** The origin rules, compiled once from the options. */
export interface OriginPolicy {
  readonly sameOrigin: boolean;
  /** Allowed origins by lower-cased host: the scheme and port each may use. */
  readonly allowed: ReadonlyMap<string, readonly { scheme: string; port: string }[]>;
}

/** What the upgrade checks need to know about a request. */
export interface UpgradeRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** As nats-server: the path decides the kind of connection; anything else is a client. */
export function endpointOf(url: string | undefined): WebSocketEndpoint {
  const path = (url ?? "/").split("?", 1)[0] ?? "/";
  if (path.endsWith("/leafnode")) return "leafnode";
  if (path.endsWith("/mqtt")) return "mqtt";
  return "client";
}

/**
 * Checks an upgrade request in nats-server's order (RFC 6455 section 4.2.1, then the origin).
 * Returns why it is refused, or `undefined` when it may be upgraded.
 */
export function checkUpgrade(req: UpgradeRequest, origins: OriginPolicy): HandshakeRefusal | undefined {
  // Recent nats-server (2.12.12+, 2.14.3+): an /mqtt upgrade with MQTT disabled is a 404; we have no MQTT.
  if (endpointOf(req.url) === "mqtt") return { status: 404, reason: "mqtt websocket endpoint not enabled" };
  if (req.method !== "GET") return { status: 405, reason: "request method must be GET" };
  const host = headerValue(req.headers, "host");
  if (host === "") return { status: 400, reason: "'Host' missing in request" };
  if (!headerContains(req.headers, "upgrade", "websocket")) return { status: 400, reason: "invalid value for header 'Upgrade'" };
  if (!headerContains(req.headers, "connection", "upgrade")) return { status: 400, reason: "invalid value for header 'Connection'" };
  const key = headerValue(req.headers, "sec-websocket-key");
  if (key === "") return { status: 400, reason: "key missing" };
  if (!isWebSocketKey(key)) return { status: 400, reason: "invalid websocket key" };
  if (!headerContains(req.headers, "sec-websocket-version", "13")) return { status: 400, reason: "invalid version" };
  const originError = checkOrigin(req.headers, origins);
  if (originError !== undefined) return { status: 403, reason: `origin not allowed: ${originError}` };
  return undefined;
}

/**
 * The bytes of nats-server's refusal (Go's `http.Error`): the status text as a plain-text body.
 * Written on the raw socket of an upgrade request, which is then closed.
 */
export function refusalResponse(status: number): string {
  const body = `${STATUS_CODES[status] ?? "Error"}\n`;
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    "Sec-Websocket-Version: 13\r\n" +
    "X-Content-Type-Options: nosniff\r\n" +
    `Date: ${new Date().toUTCString()}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    "Connection: close\r\n" +
    "\r\n" +
    body
  );
}

/** The headers of the same refusal, for a plain HTTP request answered through Node's `http`. */
export function refusalHeaders(status: number): { body: string; headers: Record<string, string> } {
  const body = `${STATUS_CODES[status] ?? "Error"}\n`;
  return {
    body,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Sec-Websocket-Version": "13",
      "X-Content-Type-Options": "nosniff",
      "Content-Length": String(Buffer.byteLength(body)),
    },
  };
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
export function checkOrigin(headers: IncomingHttpHeaders, policy: OriginPolicy): string | undefined {
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
    // No TLS yet: the request's own scheme is always http.
    const r = splitHostPort(headerValue(headers, "host"), false);
    if (r === undefined) return "invalid host";
    if (o.host !== r.host || o.port !== r.port || scheme !== "http") return "not same origin";
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

/** nats-server's close status for each close reason (`wsEnqueueCloseMessage`). */
export function closeStatusFor(reason: string): number {
  switch (reason) {
    case "Client Closed":
      return 1000;
    case "Authentication Timeout":
    case "Authentication Failure":
    case "Authentication Expired":
    case "Slow Consumer (Pending Bytes)":
    case "Slow Consumer (Write Deadline)":
    case "Maximum Account Connections Exceeded":
    case "Maximum Connections Exceeded":
    case "Maximum Control Line Exceeded":
    case "Maximum Subscriptions Exceeded":
    case "Missing Account":
    case "Credentials Revoked":
      return 1008;
    case "TLS Handshake Failure":
      return 1015;
    case "Parse Error":
    case "Protocol Violation":
    case "Bad Client Protocol Version":
      return 1002;
    case "Maximum Message Payload Exceeded":
      return 1009;
    case "Write Error":
    case "Read Error":
    case "Stale Connection":
    case "Server Shutdown":
      return 1001;
    default:
      return 1011;
  }
}

/** The close frame's text: at most 123 bytes (a control frame holds 125, 2 are the status). */
export function closeText(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  return `${Buffer.from(reason).subarray(0, 120).toString("utf8").replace(/\uFFFD+$/, "")}...`;
}

/** A `Sec-WebSocket-Key` is the base64 of 16 bytes. */
function isWebSocketKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(key);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (value === undefined) return "";
  return Array.isArray(value) ? (value[0] ?? "") : value;
}

/** Whether a comma-separated header has `token`, case-insensitively (`wsHeaderContains`). */
function headerContains(headers: IncomingHttpHeaders, name: string, token: string): boolean {
  const value = headers[name];
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  const wanted = token.toLowerCase();
  return values.some((v) => v.split(",").some((t) => t.trim().toLowerCase() === wanted));
}
