/**
 * The WebSocket listener (nats-server `websocket { }`): NATS protocol bytes in binary frames.
 * Each accepted WebSocket becomes a duplex stream (`ws`'s `createWebSocketStream`) handed to
 * the server's `handle()` seam, so WebSocket clients share the parser, limits and routing of
 * every other client. The upgrade rules (paths, HTTP statuses, origins) are nats-server's and
 * live in `websocket-handshake.ts`.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import { createWebSocketStream, WebSocketServer, WebSocket } from "ws";
import { MAX_PAYLOAD_SIZE } from "../base/constants.ts";
import { trackTlsHandshakes, type Listener } from "../base/listener.ts";
import { silentLogger, type Logger } from "../base/logger.ts";
import { checkWebSocketOptions, type ResolvedWebSocketOptions } from "./websocket-options.ts";
import {
  checkUpgrade,
  closeStatusFor,
  closeText,
  endpointOf,
  refusalHeaders,
  refusalResponse,
} from "./websocket-handshake.ts";

/** What the listener tells the server about each accepted WebSocket client. */
export interface WebSocketClientInfo {
  remoteAddress?: string;
  remotePort?: number;
  /**
   * Call once as the connection closes, before the stream is ended, with the close reason
   * (nats-server's wording): the close frame then carries nats-server's status for it (1000
   * client closed, 1001 shutdown/stale, 1002 protocol, 1008 policy, 1009 payload, 1011 other).
   */
  onClosing: (reason: string) => void;
}

/** Called for each accepted WebSocket client. */
export type WebSocketClientHandler = (stream: Duplex, info: WebSocketClientInfo) => void;

/** Server-wide settings the listener needs besides the `websocket` block. */
export interface WebSocketListenContext {
  /** The server's `max_payload`: bounds the size of one WebSocket message. Default 1 MB. */
  maxPayload?: number;
  /** Where handshake refusals and listener errors are logged. Silent by default. */
  logger?: Logger;
}

/**
 * nats-server buffers a compressed message whole before parsing it and caps it at 8 ×
 * max_payload, at most 64 MiB (`wsMaxMessageSize`). `ws` buffers every message whole, so the
 * same cap applies to every message: enough for a client to batch several max-size PUBs in one
 * frame, while one client can never make us hold more than this per message. The decompressed
 * size of a compressed message is bounded by it too (no zip bombs).
 */
export function wsMaxMessageSize(maxPayload: number): number {
  const mpay = maxPayload > 0 ? maxPayload : MAX_PAYLOAD_SIZE;
  return Math.min(mpay * 8, 64 * 1024 * 1024);
}

/** nats-server compresses only buffers of 64 bytes or more (`wsCompressThreshold`). */
const COMPRESS_THRESHOLD = 64;

/**
 * Opens the WebSocket listener on its own HTTP server; resolves once it accepts connections
 * (`port` 0 picks a free one), rejects if the options are refused or the port cannot be bound.
 *
 * `close()` stops accepting and closes the HTTP connections that are not WebSockets, then
 * resolves once every WebSocket has ended. It does not cut WebSocket clients itself, just as
 * the TCP listener does not: they are the server's clients, which the server closes (with the
 * close status that says why), and lame duck mode stops listening while keeping them.
 */
export async function listenWebSocket(
  options: ResolvedWebSocketOptions,
  onClient: WebSocketClientHandler,
  context: WebSocketListenContext = {},
): Promise<Listener> {
  const origins = checkWebSocketOptions(options);
  const logger = context.logger ?? silentLogger;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: wsMaxMessageSize(context.maxPayload ?? MAX_PAYLOAD_SIZE),
    // nats-server parses text frames like binary ones, without checking that they are UTF-8.
    skipUTF8Validation: true,
    // nats-server ignores Sec-WebSocket-Protocol and never answers one.
    handleProtocols: () => false,
    // nats-server answers an offer of permessage-deflate with both no_context_takeover flags.
    perMessageDeflate: options.compression
      ? { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: COMPRESS_THRESHOLD }
      : false,
  });

  const tls = options.tls;
  const secure = tls !== undefined;
  // websocket.go: with a tls block the listener is TLS (wss), the handshake bounded by its timeout.
  const http = tls === undefined
    ? createHttpServer()
    : createHttpsServer({
        ...tls.material(),
        requestCert: tls.verify,
        rejectUnauthorized: tls.verify,
        handshakeTimeout: tls.timeout,
      });
  const cutHandshakes = http instanceof HttpsServer ? trackTlsHandshakes(http) : undefined;
  if (tls !== undefined) {
    // A failed handshake (plain HTTP on the TLS port, an untrusted client certificate, a
    // timeout): node:https destroys the socket; it is logged, never thrown.
    http.on("tlsClientError", (err: Error, socket: Socket) => {
      logger.error(`${peer(socket)} - websocket TLS handshake error: ${err.message}`);
      socket.destroy();
    });
  }
  // Every request lands here: a plain HTTP request is a failed upgrade, as on nats-server.
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const refusal = checkUpgrade(req, origins, secure) ?? { status: 400, reason: "websocket upgrade not supported" };
    logger.error(`${peer(req.socket)} - websocket handshake error: ${refusal.reason}`);
    const { body, headers } = refusalHeaders(refusal.status);
    res.writeHead(refusal.status, headers).end(body);
  });
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const refusal = checkUpgrade(req, origins, secure);
    if (refusal !== undefined) {
      logger.error(`${peer(req.socket)} - websocket handshake error: ${refusal.reason}`);
      socket.end(refusalResponse(refusal.status));
      // A peer that never closes its side must not keep the socket (and close()) waiting.
      setTimeout(() => socket.destroy(), 2000).unref();
      return;
    }
    if (head.length > 0) {
      // nats-server drops a client that sent frames before the handshake completed.
      logger.error(`${peer(req.socket)} - websocket handshake error: client sent data before handshake is complete`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
  });
  // Malformed HTTP (bad request line, oversized headers, header timeout) is left to Node's
  // default 'clientError' handling: 400/431/408, then the socket is destroyed.

  const accept = (ws: WebSocket, req: IncomingMessage): void => {
    ws.on("error", () => {});
    if (endpointOf(req.url) === "leafnode") {
      // nats-server without a leafnode port completes the upgrade, then drops the connection.
      logger.error(`${peer(req.socket)} - Not configured to accept leaf node connections`);
      ws.terminate();
      return;
    }
    const { stream, onClosing } = toStream(ws);
    try {
      onClient(stream, { remoteAddress: req.socket.remoteAddress, remotePort: req.socket.remotePort, onClosing });
    } catch (err) {
      logger.error(`${peer(req.socket)} - websocket client could not be served: ${String(err)}`);
      stream.destroy();
    }
  };

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen({ host: options.host, port: options.port }, () => {
      http.off("error", reject);
      resolve();
    });
  });
  // After start, an accept error must not throw into the host: log it.
  http.on("error", (err) => logger.error(`websocket listener error: ${err.message}`));

  const address = http.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeIdleConnections();
        cutHandshakes?.();
        wss.close();
      });
      return closing;
    },
  };
}

/**
 * Wraps an accepted WebSocket in a duplex stream. Text and binary messages both arrive as
 * protocol bytes; whatever the server writes in one I/O turn (it corks) goes out as one binary
 * message; and when the server says why it closes, the close frame carries nats-server's status.
 */
function toStream(ws: WebSocket): { stream: Duplex; onClosing: (reason: string) => void } {
  const stream = createWebSocketStream(ws);
  // The server has its own 'error' listener; this one only makes sure none ever throws.
  stream.on("error", () => {});
  stream._writev = (chunks, callback) => {
    const data = chunks.length === 1 ? (chunks[0]!.chunk as Buffer) : Buffer.concat(chunks.map((c) => c.chunk as Buffer));
    ws.send(data, callback);
  };
  let closeReason: string | undefined;
  const final = stream._final.bind(stream);
  stream._final = (callback) => {
    // Runs once everything written before end() has been sent, so a -ERR precedes the close.
    if (closeReason !== undefined && ws.readyState === WebSocket.OPEN) ws.close(closeStatusFor(closeReason), closeText(closeReason));
    final(callback);
  };
  return {
    stream,
    onClosing: (reason) => {
      closeReason ??= reason;
    },
  };
}

function peer(socket: Socket): string {
  return `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
}
