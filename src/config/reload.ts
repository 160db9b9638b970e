/**
 * What a configuration reload (SIGHUP) changes, decided as nats-server's `diffOptions`
 * (server/reload.go): limits, logging and the ports file change on a running server; the
 * address, port, name, `max_subscriptions`, `max_pending`, the monitoring and WebSocket
 * listeners and the lame duck settings do not, and asking for that fails the whole reload (nats-server: "config reload not supported for ..."), leaving everything as
 * it was. A random port (-1) in the new file keeps the port in use.
 */
import {
  DEFAULT_LAME_DUCK_DURATION,
  DEFAULT_LAME_DUCK_GRACE_PERIOD,
  DEFAULT_MAX_CLOSED_CLIENTS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_SUBSCRIPTIONS,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PING_MAX_OUT,
  DEFAULT_WRITE_DEADLINE,
  MAX_CONTROL_LINE_SIZE,
  MAX_PAYLOAD_SIZE,
  MAX_PENDING_SIZE,
} from "../constants.ts";
import { isDeepStrictEqual } from "node:util";
import type { ServerOptions } from "../server/options.ts";
import { formatGoDuration } from "./duration.ts";

/** Everything the command line runs with: server options (no logger) and its own settings. */
export interface RunSettings {
  readonly options: Omit<ServerOptions, "logger">;
  readonly debug: boolean;
  readonly trace: boolean;
  readonly logFile: string | undefined;
  readonly portsFileDir: string | undefined;
}

/**
 * The server options a running server can take on (nats-server reloads exactly these): the
 * argument of the `Server.reload()` the command line needs.
 */
export type ReloadableOptions = Pick<
  ServerOptions,
  "maxPayload" | "maxControlLine" | "maxConnections" | "pingInterval" | "pingMax" | "writeDeadline"
>;

/** One changed setting, named and formatted as nats-server logs it (`max_payload`, `2m0s`). */
export interface ReloadChange {
  readonly key: string;
  /** Who applies it: the server (`Server.reload`) or the command line (logging, ports file). */
  readonly appliesTo: "server" | "command-line";
  readonly from: string;
  readonly to: string;
}

export interface ReloadPlan {
  /** Every change, in the order they are logged (`Reloaded: max_payload = 2048`). */
  readonly changes: readonly ReloadChange[];
  /** The changed server options, each with its new value (a removed key gets its default back). */
  readonly server: ReloadableOptions;
  /** Changes a running server cannot take; if any, nothing may be applied. */
  readonly refused: readonly ReloadChange[];
}

type ServerField = keyof Omit<ServerOptions, "logger">;

interface FieldSpec {
  readonly key: string;
  readonly reloadable: boolean;
  readonly fallback: unknown;
  readonly format?: (value: unknown) => string;
}

const duration = (value: unknown): string => formatGoDuration(value as number);

/**
 * The server options, in nats-server's field order, with their defaults. An option missing
 * here (one added since) is compared too, and taken as not reloadable, as nats-server's default.
 */
const SERVER_FIELDS: Readonly<Partial<Record<ServerField, FieldSpec>>> = {
  serverName: { key: "server_name", reloadable: false, fallback: undefined },
  host: { key: "host", reloadable: false, fallback: undefined },
  port: { key: "port", reloadable: false, fallback: undefined },
  maxConnections: { key: "max_connections", reloadable: true, fallback: DEFAULT_MAX_CONNECTIONS },
  maxSubscriptions: { key: "max_subscriptions", reloadable: false, fallback: DEFAULT_MAX_SUBSCRIPTIONS },
  pingInterval: { key: "ping_interval", reloadable: true, fallback: DEFAULT_PING_INTERVAL, format: duration },
  pingMax: { key: "ping_max", reloadable: true, fallback: DEFAULT_PING_MAX_OUT },
  maxControlLine: { key: "max_control_line", reloadable: true, fallback: MAX_CONTROL_LINE_SIZE },
  maxPayload: { key: "max_payload", reloadable: true, fallback: MAX_PAYLOAD_SIZE },
  maxPending: { key: "max_pending", reloadable: false, fallback: MAX_PENDING_SIZE },
  writeDeadline: { key: "write_deadline", reloadable: true, fallback: DEFAULT_WRITE_DEADLINE, format: duration },
  http: { key: "http", reloadable: false, fallback: undefined, format: (value) => JSON.stringify(value) },
  websocket: { key: "websocket", reloadable: false, fallback: undefined, format: (value) => JSON.stringify(value) },
  maxClosedClients: { key: "max_closed_clients", reloadable: false, fallback: DEFAULT_MAX_CLOSED_CLIENTS },
  lameDuckDuration: { key: "lame_duck_duration", reloadable: false, fallback: DEFAULT_LAME_DUCK_DURATION, format: duration },
  lameDuckGracePeriod: { key: "lame_duck_grace_period", reloadable: false, fallback: DEFAULT_LAME_DUCK_GRACE_PERIOD, format: duration },
};

function show(value: unknown, format?: (value: unknown) => string): string {
  if (value === undefined) return "<unset>";
  if (format !== undefined) return format(value);
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/** Compares the settings in force with those a reload asks for. */
export function planReload(current: RunSettings, next: RunSettings): ReloadPlan {
  const changes: ReloadChange[] = [];
  const refused: ReloadChange[] = [];
  const server: Record<string, unknown> = {};
  const fields = new Set([...Object.keys(SERVER_FIELDS), ...Object.keys(current.options), ...Object.keys(next.options)]);
  fields.delete("logger");
  for (const field of fields as Set<ServerField>) {
    const spec = SERVER_FIELDS[field] ?? { key: field, reloadable: false, fallback: undefined };
    const before = current.options[field] ?? spec.fallback;
    const after = next.options[field] ?? spec.fallback;
    if (isDeepStrictEqual(before, after)) continue;
    // reload.go: a random port asked again keeps the port in use.
    if (field === "port" && after === 0) continue;
    const change: ReloadChange = { key: spec.key, appliesTo: "server", from: show(before, spec.format), to: show(after, spec.format) };
    if (!spec.reloadable) {
      refused.push(change);
      continue;
    }
    server[field] = after;
    changes.push(change);
  }
  const cliFields = [
    ["trace", current.trace, next.trace],
    ["debug", current.debug, next.debug],
    ["log_file", current.logFile, next.logFile],
    ["ports_file_dir", current.portsFileDir, next.portsFileDir],
  ] as const;
  for (const [key, before, after] of cliFields) {
    if (before !== after) changes.push({ key, appliesTo: "command-line", from: show(before), to: show(after) });
  }
  return { changes, server: server as ReloadableOptions, refused };
}
