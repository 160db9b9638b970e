import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_SUBSCRIPTIONS,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PING_MAX_OUT,
  DEFAULT_WRITE_DEADLINE,
  MAX_CONTROL_LINE_SIZE,
  MAX_PAYLOAD_SIZE,
  MAX_PENDING_SIZE,
} from "../constants.ts";
import { InvalidOptionError } from "../errors.ts";
import { silentLogger, type Logger } from "./logger.ts";

/** Options of {@link createServer}. Every limit defaults to nats-server's value. */
export interface ServerOptions {
  /**
   * TCP port for clients. `0` picks a free port (read it back from `server.port`). Leave it
   * out to open no port at all: the bus is then reachable in-process only.
   */
  port?: number;
  /** Address to bind the client port to. Default `127.0.0.1`. */
  host?: string;
  /** Name reported in INFO `server_name`; defaults to the server id, as nats-server. */
  serverName?: string;
  /** Largest message (headers + payload) a client may publish, in bytes. Default 1 MB. */
  maxPayload?: number;
  /** Longest control line a client may send, in bytes. Default 4096. */
  maxControlLine?: number;
  /** Most client connections at once. Default 65536. */
  maxConnections?: number;
  /** Most subscriptions per connection; 0 = unlimited. Default 0. */
  maxSubscriptions?: number;
  /** Outbound bytes a connection may have pending before it is cut as a slow consumer. Default 64 MB. */
  maxPending?: number;
  /** Milliseconds between keepalive PINGs to idle clients. Default 120000. */
  pingInterval?: number;
  /** Unanswered PINGs before `Stale Connection`. Default 2. */
  pingMax?: number;
  /** Milliseconds a blocked write may wait before the client is cut as a slow consumer. Default 10000. */
  writeDeadline?: number;
  /** Where log lines go; silent by default. Any pino-shaped logger works. */
  logger?: Logger;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly port: number | undefined;
  readonly host: string;
  readonly serverName: string | undefined;
  readonly maxPayload: number;
  readonly maxControlLine: number;
  readonly maxConnections: number;
  readonly maxSubscriptions: number;
  readonly maxPending: number;
  readonly pingInterval: number;
  readonly pingMax: number;
  readonly writeDeadline: number;
  readonly logger: Logger;
}

function checkInteger(name: string, value: number | undefined, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(name, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Validates options up front, so a bad value fails at `createServer`, not at the first client. */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  if (options.port !== undefined) checkInteger("port", options.port, 0, 0);
  if (options.port !== undefined && options.port > 65535) {
    throw new InvalidOptionError("port", `must be <= 65535, got ${options.port}`);
  }
  if (options.host !== undefined && (typeof options.host !== "string" || options.host === "")) {
    throw new InvalidOptionError("host", "must be a non-empty string");
  }
  return {
    port: options.port,
    host: options.host ?? "127.0.0.1",
    serverName: options.serverName,
    maxPayload: checkInteger("maxPayload", options.maxPayload, 1, MAX_PAYLOAD_SIZE),
    maxControlLine: checkInteger("maxControlLine", options.maxControlLine, 32, MAX_CONTROL_LINE_SIZE),
    maxConnections: checkInteger("maxConnections", options.maxConnections, 1, DEFAULT_MAX_CONNECTIONS),
    maxSubscriptions: checkInteger("maxSubscriptions", options.maxSubscriptions, 0, DEFAULT_MAX_SUBSCRIPTIONS),
    maxPending: checkInteger("maxPending", options.maxPending, 1, MAX_PENDING_SIZE),
    pingInterval: checkInteger("pingInterval", options.pingInterval, 1, DEFAULT_PING_INTERVAL),
    pingMax: checkInteger("pingMax", options.pingMax, 0, DEFAULT_PING_MAX_OUT),
    writeDeadline: checkInteger("writeDeadline", options.writeDeadline, 1, DEFAULT_WRITE_DEADLINE),
    logger: options.logger ?? silentLogger,
  };
}
