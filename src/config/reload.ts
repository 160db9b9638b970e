/**
 * What a configuration reload (SIGHUP) changes, decided as nats-server's `diffOptions`
 * (server/reload.go): limits, authorization (users, permissions, token, no_auth_user, timeout),
 * logging and the ports file change on a running server; the address, port, name,
 * `max_subscriptions`, `max_pending`, the monitoring and WebSocket listeners, the lame duck
 * settings and (for now) `tls` do not, and asking for that fails the whole reload (nats-server:
 * "config reload not supported for ..."), leaving everything as it was. A random port (-1) in
 * the new file keeps the port in use.
 *
 * Secrets never reach the log: an authorization change is named (`authorization users`), not shown.
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
} from "../base/constants.ts";
import { isDeepStrictEqual } from "node:util";
import type { AuthOptions } from "../auth/authenticator.ts";
import type { ReloadableOptions, ServerOptions } from "../options/options.ts";
import type { TlsOptions } from "../transport/tls.ts";
import type { WebSocketOptions } from "../transport/websocket-options.ts";
import { formatGoDuration } from "./duration.ts";

export type { ReloadableOptions };

/** Everything the command line runs with: server options (no logger) and its own settings. */
export interface RunSettings {
  readonly options: Omit<ServerOptions, "logger">;
  readonly debug: boolean;
  readonly trace: boolean;
  readonly logFile: string | undefined;
  readonly portsFileDir: string | undefined;
}

/**
 * One changed setting, named and formatted as nats-server logs it (`max_payload`, `2m0s`).
 * Changes of secrets (`authorization token`, `authorization users`) have no `from` and `to`.
 */
export interface ReloadChange {
  readonly key: string;
  /** Who applies it: the server (`Server.reload`) or the command line (logging, ports file). */
  readonly appliesTo: "server" | "command-line";
  readonly from?: string;
  readonly to?: string;
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
  authorization: { key: "authorization", reloadable: true, fallback: undefined },
  // Not yet reloadable here (nats-server reloads account users and imports). Named, never
  // shown: the block holds passwords.
  accounts: { key: "accounts", reloadable: false, fallback: undefined, format: (value) => Object.keys(value as object).join(", ") },
  pingInterval: { key: "ping_interval", reloadable: true, fallback: DEFAULT_PING_INTERVAL, format: duration },
  pingMax: { key: "ping_max", reloadable: true, fallback: DEFAULT_PING_MAX_OUT },
  maxControlLine: { key: "max_control_line", reloadable: true, fallback: MAX_CONTROL_LINE_SIZE },
  maxPayload: { key: "max_payload", reloadable: true, fallback: MAX_PAYLOAD_SIZE },
  maxPending: { key: "max_pending", reloadable: false, fallback: MAX_PENDING_SIZE },
  // nats-server reloads its certificates (and TLS settings); we cannot yet.
  tls: { key: "tls", reloadable: false, fallback: undefined, format: (value) => describeTls(value as TlsOptions) },
  allowNonTls: { key: "allow_non_tls", reloadable: false, fallback: false },
  writeDeadline: { key: "write_deadline", reloadable: true, fallback: DEFAULT_WRITE_DEADLINE, format: duration },
  http: { key: "http", reloadable: false, fallback: undefined, format: (value) => JSON.stringify(value) },
  https: { key: "https_port", reloadable: false, fallback: undefined, format: (value) => JSON.stringify(value) },
  websocket: { key: "websocket", reloadable: false, fallback: undefined, format: (value) => describeWebSocket(value as WebSocketOptions) },
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
    if (field === "authorization") changes.push(...authorizationChanges(before as AuthOptions | undefined, after as AuthOptions | undefined));
    else changes.push(change);
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

/** The default of `authorization.timeout` (nats-server AUTH_TIMEOUT). */
const DEFAULT_AUTH_TIMEOUT = 2000;

/**
 * What changed in `authorization`, as nats-server's reload logs it (`authorization users`,
 * `authorization token`, `authorization timeout = 1s`): named, secrets not shown.
 */
function authorizationChanges(before: AuthOptions | undefined, after: AuthOptions | undefined): ReloadChange[] {
  const b = before ?? {};
  const a = after ?? {};
  const changes: ReloadChange[] = [];
  const named = (key: string): void => {
    changes.push({ key, appliesTo: "server" });
  };
  const users = (o: AuthOptions, nkeys: boolean) => (o.users ?? []).filter((u) => (u.nkey !== undefined) === nkeys);
  if (b.user !== a.user) named("authorization username");
  if (b.password !== a.password) named("authorization password");
  if (b.token !== a.token) named("authorization token");
  if (b.timeout !== a.timeout) {
    changes.push({ key: "authorization timeout", appliesTo: "server", from: formatGoDuration(b.timeout ?? DEFAULT_AUTH_TIMEOUT), to: formatGoDuration(a.timeout ?? DEFAULT_AUTH_TIMEOUT) });
  }
  if (!isDeepStrictEqual(users(b, false), users(a, false))) named("authorization users");
  if (!isDeepStrictEqual(users(b, true), users(a, true))) named("authorization nkey users");
  if (b.noAuthUser !== a.noAuthUser) changes.push({ key: "no_auth_user", appliesTo: "server", from: show(b.noAuthUser), to: show(a.noAuthUser) });
  if (b.authenticate !== a.authenticate) named("authorization authenticate");
  if (changes.length === 0) named("authorization");
  return changes;
}

/** A `websocket` option for a log line: its `tls` as {@link describeTls} shows it. */
function describeWebSocket(ws: WebSocketOptions): string {
  const { tls, ...rest } = ws;
  return tls === undefined ? JSON.stringify(rest) : `${JSON.stringify(rest).slice(0, -1)},"tls":${describeTls(tls)}}`;
}

/** A `tls` option for a log line: files and switches, never certificate or key material. */
function describeTls(tls: TlsOptions): string {
  const { cert, key, ca, ...rest } = tls;
  const shown: Record<string, unknown> = { ...rest };
  if (cert !== undefined) shown["cert"] = "<pem>";
  if (key !== undefined) shown["key"] = "<pem>";
  if (ca !== undefined) shown["ca"] = "<pem>";
  return JSON.stringify(shown);
}
