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
import { InvalidOptionError } from "../base/errors.ts";
import { silentLogger, type Logger } from "../base/logger.ts";
import type { AuthOptions, UserConfig } from "../auth/authenticator.ts";
import type { OperatorOptions } from "../auth/operator.ts";
import { DEFAULT_SYSTEM_ACCOUNT, type AccountDefinition } from "../core/accounts.ts";
import { SubjectMappings, type SubjectMappingOptions } from "../core/subject-mappings.ts";
import { resolveTls, type ResolvedTls, type TlsOptions } from "../transport/tls.ts";
import { checkWebSocketOptions, resolveWebSocketTls, type ResolvedWebSocketOptions, type WebSocketOptions } from "../transport/websocket-options.ts";
import {
  resolveAccountJetStream,
  resolveJetStreamOptions,
  type AccountJetStreamLimits,
  type AccountJetStreamOptions,
  type JetStreamOptions,
  type ResolvedJetStreamOptions,
} from "../jetstream/jetstream-options.ts";
import { resolveLeafNodes, type LeafNodeOptions, type ResolvedLeafNodes } from "../leafnode/options.ts";
import { resolveCluster, type ClusterOptions, type ResolvedCluster } from "../route/options.ts";

/** Options of {@link createServer}. Every limit defaults to nats-server's value. */
export interface ServerOptions {
  /**
   * A nats-server configuration file to read first; options given here override it (as the
   * command line overrides a file for nats-server). Keys not supported yet are logged as warnings.
   */
  configFile?: string;
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
  /** Log every protocol op in and out at the logger's trace level (nats-server `trace`, `-V`). */
  trace?: boolean;
  /**
   * Monitoring HTTP port (nats-server `http`, CLI `-m`): `/varz`, `/connz`, `/subsz`,
   * `/healthz`, `/metrics` and a dashboard. A port number, or `{ port, host }` (host defaults
   * to `host`). `tail: true` adds the dashboard's live tail of messages, off by default since
   * it shows message contents to whoever reaches the port. Off by default.
   */
  http?: number | { port: number; host?: string; tail?: boolean };
  /**
   * The monitoring port over TLS instead (nats-server `https_port`, `https`, CLI `--https_port`):
   * the same endpoints, served with the certificate and key of `tls`, which it needs. Client
   * certificates are not asked for, as nats-server. Not together with `http`.
   */
  https?: number | { port: number; host?: string; tail?: boolean };
  /** WebSocket listener for browser clients (nats-server `websocket`). Off by default. */
  websocket?: WebSocketOptions;
  /**
   * Authentication and permissions (nats-server's `authorization { }` block): a token, a
   * user/password, `users` with passwords, bcrypt hashes or nkeys and per-user permissions,
   * `noAuthUser`, or your own `authenticate` function. Off by default.
   */
  authorization?: AuthOptions;
  /**
   * Accounts (nats-server's `accounts { }`): isolated subject spaces, each with its own users,
   * sharing only the streams and services one exports and another imports. A user listed in
   * `authorization` (and every client, when there are no accounts) is in the global account
   * `$G`. See docs/accounts.md.
   */
  accounts?: Record<string, AccountOptions>;
  /**
   * The system account (nats-server's `system_account`): where the server publishes its events
   * (`$SYS.ACCOUNT.<account>.CONNECT`, `$SYS.SERVER.<id>.STATSZ`) and answers
   * `$SYS.REQ.SERVER.PING.VARZ` and the other monitoring requests, for its users only. Default
   * `$SYS` (created, with no users, when not in `accounts`); `false` for none.
   */
  systemAccount?: string | false;
  /**
   * Operator mode (nats-server's `operator`, `resolver: MEMORY`, `resolver_preload`): clients
   * authenticate with user JWTs (`.creds`) signed by the accounts these operators signed.
   * Excludes `authorization` users and `accounts`. See docs/accounts.md.
   */
  operator?: OperatorOptions;
  /**
   * TLS for client connections (nats-server's `tls { }`): INFO says `tls_required` and the
   * client upgrades on the same port; `verify` for mutual TLS, `verifyAndMap` to take the user
   * from the client certificate. Off by default.
   */
  tls?: TlsOptions;
  /**
   * With `tls`, accept clients that do not upgrade as well (nats-server `allow_non_tls`): INFO
   * says `tls_available` instead of `tls_required`, and each client's first byte decides (a TLS
   * handshake, or plain protocol). Default false. Ignored with `tls.handshakeFirst`.
   */
  allowNonTls?: boolean;
  /** Recently closed connections kept for `/connz?state=closed`. Default 10000. */
  maxClosedClients?: number;
  /** Lame duck mode: time over which remaining clients are closed, ms. Default 120000. */
  lameDuckDuration?: number;
  /** Lame duck mode: wait before closing the first client, ms. Default 10000. */
  lameDuckGracePeriod?: number;
  /**
   * Leaf nodes (nats-server's `leafnodes { }`): `remotes` to join as a leaf node, and/or a
   * `port` where leaf nodes join this server as their hub. Started by `listen()`. Off by default.
   */
  leafnodes?: LeafNodeOptions;
  /**
   * Routes to other servers of a cluster (nats-server's `cluster { }`): a route `port` (0 picks
   * a free one, see `server.clusterPort`) and the `routes` to dial. Started by `listen()`. Off
   * by default. See docs/clustering.md.
   */
  cluster?: ClusterOptions;
  /**
   * Subject mappings of the global account `$G` (nats-server's top-level `mappings`): a message
   * published on a source subject goes to its destination, or to one of several by weight.
   * Accounts have their own (`accounts.NAME.mappings`). See docs/accounts.md.
   */
  mappings?: SubjectMappingOptions;
  /**
   * JetStream (nats-server `-js`, `jetstream { }`): `true` for the defaults, or a store
   * directory, limits, a domain and the fsync policy. Off by default. See docs/jetstream.md.
   */
  jetstream?: boolean | JetStreamOptions;
}

/** One account: its users, and what it exports and imports. */
export interface AccountOptions extends AccountDefinition {
  /** Users that connect into this account (as `authorization.users`). */
  users?: Omit<UserConfig, "account">[];
  /**
   * JetStream for this account (nats-server's account `jetstream`): `true` for no limits of its
   * own, or its limits. Only when the server has `jetstream`; once any account is configured,
   * only the accounts that say so have it. See docs/accounts.md.
   */
  jetstream?: boolean | AccountJetStreamOptions;
}

/** What `server.reload()` can change while running (as nats-server's config reload). */
export type ReloadableOptions = Pick<
  ServerOptions,
  "maxPayload" | "maxControlLine" | "maxConnections" | "pingInterval" | "pingMax" | "writeDeadline" | "authorization"
>;

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
  readonly trace: boolean;
  /** The monitoring port; `secure` when it serves https with `tls`'s certificate. */
  readonly http: { readonly port: number; readonly host: string; readonly tail: boolean; readonly secure: boolean } | undefined;
  readonly websocket: ResolvedWebSocketOptions | undefined;
  /** With every account's users, each marked with its account. */
  readonly authorization: AuthOptions | undefined;
  readonly accounts: Readonly<Record<string, AccountDefinition>>;
  readonly systemAccount: string | false;
  /** `$G`'s subject mappings, checked; undefined for none. */
  readonly mappings: SubjectMappingOptions | undefined;
  /** The accounts with JetStream of their own (from `accounts`), with their limits. */
  readonly jetstreamAccounts: ReadonlyMap<string, AccountJetStreamLimits>;
  readonly operator: OperatorOptions | undefined;
  readonly tls: ResolvedTls | undefined;
  readonly allowNonTls: boolean;
  readonly maxClosedClients: number;
  readonly lameDuckDuration: number;
  readonly lameDuckGracePeriod: number;
  readonly leafnodes: ResolvedLeafNodes | undefined;
  readonly cluster: ResolvedCluster | undefined;
  readonly jetstream: ResolvedJetStreamOptions | undefined;
}

function checkInteger(name: string, value: number | undefined, min: number, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Node fires a timer longer than 2^31-1 ms at once, so longer durations are refused. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkTimer(name: string, value: number | undefined, min: number, fallback: number): number {
  return checkInteger(name, value, min, fallback, MAX_TIMER_MS);
}

/** Validates options up front, so a bad value fails at `createServer`, not at the first client. */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  if (options.port !== undefined) checkPort("port", options.port);
  if (options.host !== undefined && (typeof options.host !== "string" || options.host === "")) {
    throw new InvalidOptionError("host", "must be a non-empty string");
  }
  const host = options.host ?? "127.0.0.1";
  const maxPayload = checkInteger("maxPayload", options.maxPayload, 1, MAX_PAYLOAD_SIZE);
  const maxPending = checkInteger("maxPending", options.maxPending, 1, MAX_PENDING_SIZE);
  // nats-server refuses this too: one message could never be delivered.
  if (maxPayload > maxPending) throw new InvalidOptionError("maxPayload", `(${maxPayload}) cannot be higher than maxPending (${maxPending})`);
  const tls = resolveTls(options.tls);
  return {
    port: options.port,
    host,
    serverName: options.serverName,
    maxPayload,
    maxControlLine: checkInteger("maxControlLine", options.maxControlLine, 32, MAX_CONTROL_LINE_SIZE),
    maxConnections: checkInteger("maxConnections", options.maxConnections, 1, DEFAULT_MAX_CONNECTIONS),
    maxSubscriptions: checkInteger("maxSubscriptions", options.maxSubscriptions, 0, DEFAULT_MAX_SUBSCRIPTIONS),
    maxPending,
    pingInterval: checkTimer("pingInterval", options.pingInterval, 1, DEFAULT_PING_INTERVAL),
    pingMax: checkInteger("pingMax", options.pingMax, 0, DEFAULT_PING_MAX_OUT),
    writeDeadline: checkTimer("writeDeadline", options.writeDeadline, 1, DEFAULT_WRITE_DEADLINE),
    logger: options.logger ?? silentLogger,
    trace: options.trace === true,
    http: resolveMonitoring(options, host, tls),
    websocket: resolveWebSocket(options.websocket, host),
    authorization: withAccountUsers(options.authorization, options.accounts),
    accounts: accountDefinitions(options.accounts),
    systemAccount: options.systemAccount ?? DEFAULT_SYSTEM_ACCOUNT,
    jetstreamAccounts: jetstreamAccounts(options.accounts),
    mappings: checkMappings(options.mappings),
    operator: checkOperatorMode(options),
    tls,
    allowNonTls: options.allowNonTls === true,
    maxClosedClients: checkInteger("maxClosedClients", options.maxClosedClients, 0, DEFAULT_MAX_CLOSED_CLIENTS),
    lameDuckDuration: checkTimer("lameDuckDuration", options.lameDuckDuration, 0, DEFAULT_LAME_DUCK_DURATION),
    lameDuckGracePeriod: checkTimer("lameDuckGracePeriod", options.lameDuckGracePeriod, 0, DEFAULT_LAME_DUCK_GRACE_PERIOD),
    leafnodes: resolveLeafNodes(options.leafnodes),
    jetstream: resolveJetStreamOptions(options.jetstream),
    cluster: resolveClusterWithout(options),
  };
}

/** jwt.go validateTrustedOperators: operator mode takes its users and accounts from JWTs only. */
function checkOperatorMode(options: ServerOptions): OperatorOptions | undefined {
  const operator = options.operator;
  if (operator === undefined) return undefined;
  const auth = options.authorization;
  if (auth !== undefined && (auth.users !== undefined || auth.user !== undefined || auth.token !== undefined || auth.authenticate !== undefined)) {
    throw new InvalidOptionError("operator", "operator mode does not allow authorization users, a token or an authenticate hook");
  }
  if (options.accounts !== undefined && Object.keys(options.accounts).length > 0) {
    throw new InvalidOptionError("operator", "operator mode takes its accounts from JWTs, not from accounts");
  }
  const dir = operator.resolver?.dir;
  if (operator.resolver !== undefined && (typeof dir !== "string" || dir === "")) throw new InvalidOptionError("operator.resolver.dir", "must be a directory path");
  return operator;
}

/**
 * The cluster, refused beside local JetStream: each member would answer `$JS.API` for its own
 * store, and a stream "replicated" that way loses data. JetStream in a cluster is nats-server's,
 * with its own consensus (docs/clustering.md, docs/scaling.md).
 */
function resolveClusterWithout(options: ServerOptions): ResolvedCluster | undefined {
  const cluster = resolveCluster(options.cluster);
  if (cluster !== undefined && options.jetstream !== undefined && options.jetstream !== false) {
    throw new InvalidOptionError(
      "cluster",
      "cannot be combined with jetstream: JetStream in a cluster is nats-server's (run it on nats-server members), or reach a JetStream domain through a leaf node",
    );
  }
  return cluster;
}

/** The users of every account join `authorization.users`, each marked with its account. */
function withAccountUsers(auth: AuthOptions | undefined, accounts: ServerOptions["accounts"]): AuthOptions | undefined {
  const users: UserConfig[] = [];
  for (const [account, definition] of Object.entries(accounts ?? {})) {
    for (const user of definition.users ?? []) users.push({ ...user, account });
  }
  if (users.length === 0) return auth;
  return { ...auth, users: [...(auth?.users ?? []), ...users] };
}

function accountDefinitions(accounts: ServerOptions["accounts"]): Record<string, AccountDefinition> {
  const out: Record<string, AccountDefinition> = {};
  for (const [name, { exports, imports, limits, mappings, msgTrace }] of Object.entries(accounts ?? {})) {
    out[name] = {
      ...(exports === undefined ? {} : { exports }),
      ...(imports === undefined ? {} : { imports }),
      ...(limits === undefined ? {} : { limits }),
      ...(mappings === undefined ? {} : { mappings }),
      ...(msgTrace === undefined ? {} : { msgTrace }),
    };
  }
  return out;
}

/** Refused here, at createServer, with nats-server's words; built again by the server. */
function checkMappings(mappings: SubjectMappingOptions | undefined): SubjectMappingOptions | undefined {
  if (mappings === undefined || Object.keys(mappings).length === 0) return undefined;
  new SubjectMappings(mappings);
  return mappings;
}

function jetstreamAccounts(accounts: ServerOptions["accounts"]): Map<string, AccountJetStreamLimits> {
  const out = new Map<string, AccountJetStreamLimits>();
  for (const [name, { jetstream }] of Object.entries(accounts ?? {})) {
    const limits = resolveAccountJetStream(name, jetstream);
    if (limits !== undefined) out.set(name, limits);
  }
  return out;
}

function checkPort(name: string, port: number): number {
  checkInteger(name, port, 0, 0);
  if (port > 65535) throw new InvalidOptionError(name, `must be <= 65535, got ${port}`);
  return port;
}

function resolveHttp(http: ServerOptions["http"], name: string, host: string, secure: boolean): ResolvedOptions["http"] {
  if (http === undefined) return undefined;
  if (typeof http === "number") return { port: checkPort(name, http), host, tail: false, secure };
  return { port: checkPort(`${name}.port`, http.port), host: http.host ?? host, tail: http.tail === true, secure };
}

/** `http` or `https`, refused together and https without a certificate, as server.go StartMonitoring. */
function resolveMonitoring(options: ServerOptions, host: string, tls: ResolvedTls | undefined): ResolvedOptions["http"] {
  const http = resolveHttp(options.http, "http", host, false);
  const https = resolveHttp(options.https, "https", host, true);
  if (http !== undefined && https !== undefined) {
    throw new InvalidOptionError("https", `can't specify both HTTP (${http.port}) and HTTPs (${https.port}) ports`);
  }
  if (https !== undefined && tls === undefined) throw new InvalidOptionError("https", "TLS cert and key required for HTTPS (the tls option)");
  return http ?? https;
}

function resolveWebSocket(ws: WebSocketOptions | undefined, host: string): ResolvedWebSocketOptions | undefined {
  if (ws === undefined) return undefined;
  const resolved: ResolvedWebSocketOptions = {
    port: checkPort("websocket.port", ws.port),
    host: ws.host ?? host,
    noTls: ws.noTls ?? false,
    tls: resolveWebSocketTls(ws.tls),
    compression: ws.compression ?? false,
    sameOrigin: ws.sameOrigin ?? false,
    allowedOrigins: [...(ws.allowedOrigins ?? [])],
  };
  // Refused at createServer(), not after the client port is already open.
  checkWebSocketOptions(resolved);
  return resolved;
}
