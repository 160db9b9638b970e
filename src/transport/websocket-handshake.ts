/**
 * The WebSocket upgrade rules of nats-server (`server/websocket.go`, `wsUpgrade` and
 * `checkOrigin`), as pure functions: which requests are refused with which HTTP status, which
 * origins are allowed (`websocket-origin.ts`), and which close status a connection ends with.
 * No I/O here.
 */
import { STATUS_CODES, type IncomingHttpHeaders } from "node:http";
import { checkOrigin, headerValue, type OriginPolicy } from "./websocket-origin.ts";

export { checkOrigin, compileOriginPolicy, splitHostPort, type OriginPolicy } from "./websocket-origin.ts";

/** What a request path asks for: paths ending in `/leafnode` or `/mqtt` are not NATS clients. */
export type WebSocketEndpoint = "client" | "leafnode" | "mqtt";

/** A refused upgrade: the HTTP status sent back, and the reason nats-server logs. */
export interface HandshakeRefusal {
  readonly status: number;
  readonly reason: string;
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
export function checkUpgrade(req: UpgradeRequest, origins: OriginPolicy, secure = false): HandshakeRefusal | undefined {
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
  const originError = checkOrigin(req.headers, origins, secure);
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

/** Whether a comma-separated header has `token`, case-insensitively (`wsHeaderContains`). */
function headerContains(headers: IncomingHttpHeaders, name: string, token: string): boolean {
  const value = headers[name];
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  const wanted = token.toLowerCase();
  return values.some((v) => v.split(",").some((t) => t.trim().toLowerCase() === wanted));
}
