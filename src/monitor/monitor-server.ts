/**
 * The monitoring HTTP listener (nats-server `http` / `-m`): `/varz`, `/connz`, `/subsz` (and
 * `/subscriptionsz`), `/healthz`, Prometheus `/metrics`, the dashboard at `/` and its live
 * tail at `/tail`. Answers as nats-server's monitor.go does: `application/json`, indented by
 * two spaces (`/healthz` compact), JSONP with `?callback=`, `400` with nats-server's text for a
 * bad query, `404 page not found` for any other path.
 *
 * Bounded, and never throws into the host: request bodies are never read (a large one closes
 * the connection), URLs are capped in length, headers and idle connections time out, and
 * anything unexpected becomes a `500` and a log line.
 */
import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { trackTlsHandshakes, type Listener, type ListenAddress } from "../base/listener.ts";
import { connz } from "./connz.ts";
import { DASHBOARD_CSP, DASHBOARD_HTML } from "./dashboard.ts";
import { goJson, goJsonIndent } from "./go-format.ts";
import { HEALTHZ_FLAGS, healthz } from "./healthz.ts";
import { MetricsRegistry } from "./metrics.ts";
import { countRequest } from "./monitor-state.ts";
import { decodeBool, decodeInt, decodeState, decodeSubs, decodeUint, MonitorRequestError } from "./query.ts";
import { sublistStatsJson, subsz } from "./subsz.ts";
import { TailHub } from "./tail.ts";
import type { TailSource } from "./monitor-view.ts";
import { varz } from "./varz.ts";
import { jsz } from "./jsz.ts";
import { leafz } from "./leafz.ts";
import { routez } from "./routez.ts";
import { accountz, accstatz } from "./accountz.ts";

/** Longest request target served (path and query); longer ones get `414`. */
export const MAX_URL_LENGTH = 4096;
/** A request body is never read; past this many bytes the connection is closed. */
export const MAX_IGNORED_BODY = 64 * 1024;
/** Request headers must arrive within this many ms. */
const HEADERS_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this many ms. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Most request header bytes. */
const MAX_HEADER_SIZE = 16 * 1024;
/** A JSONP callback name: a dotted JavaScript identifier, nothing that could inject script. */
const CALLBACK_NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

/** Paths as nats-server counts them in `/varz` `http_req_stats` (`/subscriptionsz` counts as `/subsz`). */
const COUNTED: Readonly<Record<string, string>> = {
  "/": "/",
  "/varz": "/varz",
  "/connz": "/connz",
  "/subsz": "/subsz",
  "/subscriptionsz": "/subsz",
  "/healthz": "/healthz",
  "/jsz": "/jsz",
  "/leafz": "/leafz",
  "/routez": "/routez",
  "/accountz": "/accountz",
  "/accstatz": "/accstatz",
};

/**
 * Starts the monitoring listener for the server `source` describes. Resolves once it accepts
 * connections; rejects with the OS error if the port cannot be bound.
 */
export async function startMonitorServer(
  source: () => TailSource,
  address: ListenAddress,
  tls?: { readonly cert: string | Buffer; readonly key: string | Buffer },
): Promise<Listener> {
  const metrics = new MetricsRegistry();
  const tails = new TailHub();
  const options: ServerOptions = {
    maxHeaderSize: MAX_HEADER_SIZE,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: HEADERS_TIMEOUT_MS * 3,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handle(req, res, source, metrics, tails);
    } catch (err) {
      fail(res, source, err);
    }
  };
  // https (nats-server `https_port`): the certificate and key only; no client certificate is
  // asked for (server.go startMonitoring sets tls.NoClientCert).
  const http = tls === undefined
    ? createServer(options, onRequest)
    : createHttpsServer({ ...options, cert: tls.cert, key: tls.key, handshakeTimeout: HEADERS_TIMEOUT_MS }, onRequest);
  if (tls !== undefined) http.on("tlsClientError", (_err: Error, socket: Socket) => socket.destroy());
  const cutHandshakes = http instanceof HttpsServer ? trackTlsHandshakes(http) : undefined;
  http.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    http.once("error", onError);
    http.listen(address.port, address.host, () => {
      http.off("error", onError);
      resolve();
    });
  });
  // After start, an accept error (EMFILE, say) must not become an uncaught 'error' in the host.
  http.on("error", (err) => safeLog(source, `monitoring listener: ${err.message}`));
  const bound = http.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    host: address.host,
    port: bound.port,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        tails.closeAll();
        http.close(() => resolve());
        http.closeAllConnections();
        cutHandshakes?.();
      });
      return closing;
    },
  };
}

function handle(req: IncomingMessage, res: ServerResponse, source: () => TailSource, metrics: MetricsRegistry, tails: TailHub): void {
  ignoreBody(req, res);
  const target = req.url ?? "/";
  if (target.length > MAX_URL_LENGTH) {
    sendText(res, 414, "URI Too Long\n");
    return;
  }
  const mark = target.indexOf("?");
  let path: string;
  try {
    path = decodeURIComponent(mark < 0 ? target : target.slice(0, mark));
  } catch {
    sendText(res, 400, "Bad Request\n");
    return;
  }
  const query = new URLSearchParams(mark < 0 ? "" : target.slice(mark + 1));
  const counted = COUNTED[path];
  if (counted === undefined && path !== "/metrics" && path !== "/tail") {
    notFound(res);
    return;
  }
  const view = source();
  if (counted !== undefined) countRequest(view, counted);
  try {
    switch (path) {
      case "/":
        res.writeHead(200, {
          "Content-Type": "text/html; charset=utf-8",
          "Content-Security-Policy": DASHBOARD_CSP,
          "X-Content-Type-Options": "nosniff",
          "Cache-Control": "no-cache",
        });
        res.end(DASHBOARD_HTML);
        return;
      case "/varz":
        sendJson(res, query, goJsonIndent(varz(view)));
        return;
      case "/connz": {
        const options = {
          sort: query.get("sort") ?? "",
          auth: decodeBool(query, "auth"),
          subs: decodeSubs(query),
          offset: decodeInt(query, "offset"),
          limit: decodeInt(query, "limit"),
          cid: decodeUint(query, "cid"),
          state: decodeState(query),
        };
        sendJson(res, query, goJsonIndent(connz(view, options)));
        return;
      }
      case "/subsz":
      case "/subscriptionsz": {
        const result = subsz(view, {
          subs: decodeBool(query, "subs"),
          offset: decodeInt(query, "offset"),
          limit: decodeInt(query, "limit"),
          test: query.get("test") ?? "",
        });
        // monitor.go HandleSubsz: without a list, only the sublist counters are sent.
        const body = result.subscriptions_list === undefined ? sublistStatsJson(view) : result;
        sendJson(res, query, goJsonIndent(body));
        return;
      }
      case "/jsz": {
        // monitor.go HandleJsz decodes every parameter, in this order, before answering.
        const options = {
          accounts: decodeBool(query, "accounts"),
          streams: decodeBool(query, "streams"),
          consumers: decodeBool(query, "consumers"),
          config: decodeBool(query, "config"),
          offset: decodeInt(query, "offset"),
          limit: decodeInt(query, "limit"),
          account: query.get("acc") ?? "",
        };
        decodeBool(query, "leader-only");
        decodeBool(query, "raft");
        sendJson(res, query, goJsonIndent(jsz(view, options)));
        return;
      }
      case "/routez":
        sendJson(res, query, goJsonIndent(routez(view, { subs: decodeBool(query, "subs") })));
        return;
      case "/accountz":
        sendJson(res, query, goJsonIndent(accountz(view, { account: query.get("acc") ?? "" })));
        return;
      case "/accstatz":
        sendJson(res, query, goJsonIndent(accstatz(view, { unused: decodeBool(query, "unused"), accounts: (query.get("accounts") ?? "").split(",").filter((a) => a !== "") })));
        return;
      case "/leafz":
        sendJson(res, query, goJsonIndent(leafz(view, { subs: decodeBool(query, "subs"), account: query.get("acc") ?? "" })));
        return;
      case "/healthz":
        for (const flag of HEALTHZ_FLAGS) decodeBool(query, flag);
        sendJson(res, query, goJson(healthz(view)));
        return;
      case "/metrics":
        metrics.render(view).then(
          (text) => {
            res.writeHead(200, { "Content-Type": metrics.contentType });
            res.end(text);
          },
          (err: unknown) => fail(res, source, err),
        );
        return;
      case "/tail": {
        const refusal = tails.open(view, query.get("subject") ?? "", res);
        if (refusal !== undefined) sendText(res, refusal.status, `${refusal.message}\n`);
        return;
      }
    }
  } catch (err) {
    if (err instanceof MonitorRequestError) {
      sendText(res, 400, err.message);
      return;
    }
    throw err;
  }
}

/**
 * The body of a request is never needed: it is drained without being kept, and a client that
 * sends more than a little is disconnected once answered.
 */
function ignoreBody(req: IncomingMessage, res: ServerResponse): void {
  let received = 0;
  req.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_IGNORED_BODY) {
      res.shouldKeepAlive = false;
      req.socket.destroy();
    }
  });
  req.on("error", () => undefined);
  req.resume();
}

/** monitor.go ResponseHandler: JSON, or JSONP when `callback` is given. */
function sendJson(res: ServerResponse, query: URLSearchParams, json: string): void {
  const callback = query.get("callback") ?? "";
  if (callback === "") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(json);
    return;
  }
  if (callback.length > 128 || !CALLBACK_NAME.test(callback)) {
    sendText(res, 400, "invalid callback name");
    return;
  }
  res.writeHead(200, { "Content-Type": "application/javascript" });
  res.end(`${callback}(${json})`);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
  res.end(text);
}

/** Go's http.NotFound. */
function notFound(res: ServerResponse): void {
  sendText(res, 404, "404 page not found\n");
}

function fail(res: ServerResponse, source: () => TailSource, err: unknown): void {
  safeLog(source, `monitoring request failed: ${err instanceof Error ? err.message : String(err)}`);
  try {
    sendText(res, 500, "Internal Server Error\n");
  } catch {
    res.destroy();
  }
}

function safeLog(source: () => TailSource, message: string): void {
  try {
    source().options.logger.error(message);
  } catch {
    // Logging must not be the thing that throws into the host.
  }
}
