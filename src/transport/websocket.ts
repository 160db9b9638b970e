/**
 * The WebSocket listener (issue 4): NATS protocol bytes in binary frames, as nats-server.
 * Each accepted WebSocket becomes a duplex stream handed to the server's `handle()` seam.
 */
import type { Duplex } from "node:stream";
import type { Listener } from "../server/listener.ts";
import type { ResolvedWebSocketOptions } from "../server/options.ts";

/** Called for each accepted WebSocket client. */
export type WebSocketClientHandler = (stream: Duplex, info: { remoteAddress?: string; remotePort?: number }) => void;

export async function listenWebSocket(_options: ResolvedWebSocketOptions, _onClient: WebSocketClientHandler): Promise<Listener> {
  throw new Error("the WebSocket listener is not implemented yet");
}
