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
