import type { Socket } from "node:net";
import type { Server as TlsServer, TLSSocket } from "node:tls";

/** An open port of the server (clients, WebSocket, monitoring), as the server keeps it. */
export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting and releases the port. */
  close(): Promise<void>;
}

/** Where a listener binds: `port` 0 picks a free port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Every open port of a server, by kind, each with the address it is bound to (`server.ports`). */
export type ServerPorts = Readonly<Partial<Record<"nats" | "websocket" | "monitoring" | "cluster", { host: string; port: number }>>>;

/**
 * Keeps the sockets a TLS listener (`node:https`, `node:tls`) accepted that are still in their
 * handshake. Its close() waits for every socket it accepted, and one still in the handshake is
 * no connection anyone else closes; call the returned function at close() to cut them. A socket
 * leaves the set when its handshake completes (found by its remote address and port, which no
 * two open connections to one port share) or when it closes.
 */
export function trackTlsHandshakes(server: TlsServer): () => void {
  const handshaking = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    handshaking.add(socket);
    socket.once("close", () => handshaking.delete(socket));
  });
  server.on("secureConnection", (secure: TLSSocket) => {
    for (const socket of handshaking) {
      if (socket.remotePort === secure.remotePort && socket.remoteAddress === secure.remoteAddress) {
        handshaking.delete(socket);
        break;
      }
    }
  });
  return () => {
    for (const socket of handshaking) socket.destroy();
    handshaking.clear();
  };
}
