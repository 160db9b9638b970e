/**
 * The parsed configuration mapped onto `createServer` options, one key at a time, with
 * nats-server's types and meanings (server/opts.go `processConfigFileLine`). Keys that only the
 * command line uses (logging, the ports file) come back apart, in `cli`.
 *
 * Like nats-server, every problem is collected and reported at once: a value of the wrong type
 * or out of range, or a key nats-server does not know, is a {@link ConfigError} naming the key,
 * file, line and column; a key we do not support yet is a warning.
 */
import { DEFAULT_PORT, MAX_PENDING_SIZE, MAX_PAYLOAD_SIZE } from "../base/constants.ts";
import { GLOBAL_ACCOUNT } from "../core/account.ts";
import { DEFAULT_SYSTEM_ACCOUNT } from "../core/accounts.ts";
import type { ServerOptions } from "../options/options.ts";
import type { WebSocketOptions } from "../transport/websocket-options.ts";
import { boolean, collect, durationString, integer, integerIn, nested, nonEmptyString, problem, withinTimer, wrongType } from "./checks.ts";
import { accountsBlock } from "./accounts.ts";
import { mappingsBlock } from "./mappings.ts";
import { operatorJwts, resolverDirectory, resolverPreload } from "./operator.ts";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { formatGoDuration, parseGoDuration } from "./duration.ts";
import { KeyStatus, NATS_SERVER_KEYS } from "./keys.ts";
import { authorizationBlock, tlsBlock } from "./security.ts";
import type { TlsOptions } from "../transport/tls.ts";
import { leafnodesBlock, type LeafAccountRef } from "./leafnodes.ts";
import { clusterBlock } from "./cluster.ts";
import { jetStreamBlock } from "./jetstream.ts";
import { describeValue, formatPosition, type ConfigEntry, type ConfigMap } from "./value.ts";

/** Settings of the command line that a configuration file may set. */
export interface CliConfig {
  /** `debug`: log at `[DBG]`. */
  debug?: boolean;
  /** `trace` (or `trace_verbose`): log the protocol at `[TRC]`. */
  trace?: boolean;
  /** `logfile` / `log_file`: log to this file instead of stderr. */
  logFile?: string;
  /** `ports_file_dir`: write `nats-server_<pid>.ports` there once listening. */
  portsFileDir?: string;
}

/** What a configuration asks for. */
export interface MappedConfig {
  /** The `createServer` options the file sets (only those it sets). */
  readonly options: ServerOptions;
  readonly cli: CliConfig;
  /** `file:line:column: ...` for every key that was ignored. */
  readonly warnings: readonly string[];
}

/** nats-server's limit for `max_payload` and `max_control_line` (they are int32 there). */
const MAX_INT32 = 2 ** 31 - 1;

/** The smallest `max_control_line` our server accepts (server/options.ts). */
const MIN_CONTROL_LINE = 32;

interface Draft {
  readonly options: ServerOptions;
  readonly cli: CliConfig;
  readonly warnings: string[];
  /** Where each option was set, for the checks across options. */
  readonly setAt: Map<keyof ServerOptions, ConfigEntry>;
  /** `authorization`: present (even if it failed), and the names of its `users` list. */
  authorization?: { readonly userNames: ReadonlySet<string> | undefined; readonly passwordless: readonly string[] } | "failed";
  /** Operator mode, put together once every key is read. */
  operator?: { jwts?: string[]; preload?: Record<string, string>; resolver?: ConfigEntry; dir?: string; entry: ConfigEntry };
  /** `accounts`: present (even if it failed), and the names of every account's users. */
  accounts?: { readonly userNames: ReadonlySet<string>; readonly passwordless: readonly string[] } | "failed";
  /** Accounts the `leafnodes` block names, checked against `accounts` once every key is read. */
  leafAccounts?: LeafAccountRef[];
  /** `no_auth_user`, checked against `authorization` once every key is read. */
  noAuthUser?: { readonly name: string; readonly entry: ConfigEntry };
  /** Top-level `store_dir`: JetStream's directory, if a `jetstream` key turns it on. */
  storeDir?: string;
}

type Mapper = (entry: ConfigEntry, draft: Draft) => void;

/** Maps a parsed configuration onto options. Throws {@link ConfigError} listing every problem. */
export function optionsFromConfig(parsed: ConfigMap, context: { readonly file?: string } = {}): MappedConfig {
  const draft: Draft = { options: {}, cli: {}, warnings: [], setAt: new Map() };
  const problems: ConfigProblem[] = [];
  if (parsed.entries.size === 0) draft.warnings.push(`${context.file ?? parsed.pos.file}: config has no values or is empty`);
  for (const entry of parsed.entries.values()) {
    const name = entry.key.toLowerCase();
    const info = NATS_SERVER_KEYS.get(name);
    try {
      if (info === undefined) {
        // A key that only serves as a $variable is not an option.
        if (!entry.usedAsVariable) throw problem(entry, `unknown field ${JSON.stringify(entry.key)}`);
        continue;
      }
      const why = info.why === undefined ? "" : ` (${info.why})`;
      switch (info.status) {
        case KeyStatus.Supported:
          MAPPERS[name]!(entry, draft);
          break;
        case KeyStatus.NotYet:
          draft.warnings.push(`${formatPosition(entry.keyPos)}: ${JSON.stringify(entry.key)} is not supported yet${why}; ignored`);
          break;
        case KeyStatus.Never:
          draft.warnings.push(`${formatPosition(entry.keyPos)}: ${JSON.stringify(entry.key)} is not supported by nats-embedded${why}; ignored`);
          break;
        case KeyStatus.Refused:
          throw problem(entry, `${JSON.stringify(entry.key)} is not supported yet, and ${info.why}: remove it to run without it`);
      }
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  collect(problems, () => applyNoAuthUser(draft));
  collect(problems, () => applyOperator(draft));
  for (const ref of draft.leafAccounts ?? []) collect(problems, () => checkLeafAccount(draft, ref));
  // opts.go: a top-level store_dir is JetStream's directory, unless the block gives its own.
  const js = draft.options.jetstream;
  if (draft.storeDir !== undefined && typeof js === "object" && js.storeDir === undefined) draft.options.jetstream = { ...js, storeDir: draft.storeDir };
  // Users without a password are for certificates; without verify_and_map, say what that means.
  if (draft.options.tls?.verifyAndMap !== true) {
    if (typeof draft.authorization === "object") draft.warnings.push(...draft.authorization.passwordless);
    if (typeof draft.accounts === "object") draft.warnings.push(...draft.accounts.passwordless);
  }
  // server.go validateOptions: a message that may not be queued can never be delivered.
  const payload = draft.options.maxPayload ?? MAX_PAYLOAD_SIZE;
  const pending = draft.options.maxPending ?? MAX_PENDING_SIZE;
  if (payload > pending) {
    const entry = draft.setAt.get("maxPayload") ?? draft.setAt.get("maxPending")!;
    problems.push(problem(entry, `max_payload (${payload}) cannot be higher than max_pending (${pending})`).problems[0]!);
  }
  collect(problems, () => checkMonitoring(draft));
  if (problems.length > 0) throw ConfigError.of(problems);
  return { options: draft.options, cli: draft.cli, warnings: draft.warnings };
}

/** server.go StartMonitoring: one of `http` and `https`, and `https` only with a certificate. */
function checkMonitoring(draft: Draft): void {
  const { http, https, tls } = draft.options;
  if (https === undefined) return;
  // As written in the file: a random port (0 here) is nats-server's -1.
  const port = (value: number | { port: number }): number => (typeof value === "number" ? value : value.port) || -1;
  const entry = draft.setAt.get("https")!;
  if (http !== undefined) throw problem(entry, `can't specify both HTTP (${port(http)}) and HTTPs (${port(https)}) ports`);
  if (tls === undefined) throw problem(entry, "TLS cert and key required for HTTPS");
}

/**
 * `no_auth_user` (auth.go validateNoAuthUser): a user of the `authorization` block's `users`,
 * whom clients that send no credentials connect as. Not checked when `authorization` failed.
 */
function applyNoAuthUser(draft: Draft): void {
  const noAuth = draft.noAuthUser;
  if (noAuth === undefined || draft.authorization === "failed" || draft.accounts === "failed") return;
  const { name, entry } = noAuth;
  const inAuthorization = draft.authorization?.userNames;
  const inAccounts = draft.accounts?.userNames;
  if (inAuthorization === undefined && inAccounts === undefined) throw problem(entry, `no_auth_user: ${JSON.stringify(name)} present, but users are not defined`);
  if (inAuthorization?.has(name) !== true && inAccounts?.has(name) !== true) {
    const where = inAccounts === undefined ? "authorization block" : "authorization block or account configuration";
    throw problem(entry, `no_auth_user: ${JSON.stringify(name)} not present as user in ${where}`);
  }
  draft.options.authorization = { ...draft.options.authorization, noAuthUser: name };
}

/**
 * leafnode.go validateLeafNode: an account a remote or a leaf user names must exist (`$G`, the
 * system account, or one of `accounts`). In operator mode the server checks it, against JWTs.
 */
function checkLeafAccount(draft: Draft, ref: LeafAccountRef): void {
  if (draft.operator !== undefined || draft.accounts === "failed") return;
  const { name, entry, role } = ref;
  const system = draft.options.systemAccount;
  const known = name === GLOBAL_ACCOUNT || (system !== false && name === (system ?? DEFAULT_SYSTEM_ACCOUNT)) || Object.hasOwn(draft.options.accounts ?? {}, name);
  if (!known) throw problem(entry, `cannot find local account ${JSON.stringify(name)} specified in leafnode ${role}`);
}

/** `operator` with `resolver: MEMORY` and its `resolver_preload`: all three, or none. */
function applyOperator(draft: Draft): void {
  const op = draft.operator;
  if (op === undefined) return;
  if (op.jwts === undefined) throw problem(op.entry, "a resolver needs an operator (operator: <JWT or file>)");
  if (op.resolver === undefined) throw problem(op.entry, "operator mode needs a resolver (resolver: MEMORY, with resolver_preload)");
  draft.options.operator = { operators: op.jwts, accounts: op.preload ?? {}, ...(op.dir === undefined ? {} : { resolver: { dir: op.dir } }) };
}

// --- one mapper per key -----------------------------------------------------------------------

function set<K extends keyof ServerOptions>(draft: Draft, entry: ConfigEntry, option: K, value: ServerOptions[K]): void {
  draft.options[option] = value;
  draft.setAt.set(option, entry);
}

const MAPPERS: Readonly<Record<string, Mapper>> = {
  listen(entry, draft) {
    const { host, port } = listenAddress(entry);
    if (host !== "") set(draft, entry, "host", host);
    set(draft, entry, "port", clientPort(entry, port));
  },
  port(entry, draft) {
    set(draft, entry, "port", clientPort(entry, integer(entry)));
  },
  host(entry, draft) {
    set(draft, entry, "host", nonEmptyString(entry));
  },
  net(entry, draft) {
    set(draft, entry, "host", nonEmptyString(entry));
  },
  server_name(entry, draft) {
    const name = nonEmptyString(entry);
    if (name.includes(" ")) throw problem(entry, "server name cannot contain spaces");
    set(draft, entry, "serverName", name);
  },
  max_payload(entry, draft) {
    set(draft, entry, "maxPayload", integerIn(entry, 1, MAX_INT32));
  },
  max_control_line(entry, draft) {
    set(draft, entry, "maxControlLine", integerIn(entry, MIN_CONTROL_LINE, MAX_INT32));
  },
  max_pending(entry, draft) {
    set(draft, entry, "maxPending", integerIn(entry, 1, Number.MAX_SAFE_INTEGER));
  },
  max_connections(entry, draft) {
    const value = integer(entry);
    // nats-server: 0 (or less) lets no client in at all; our server needs room for one.
    if (value <= 0) throw problem(entry, `${JSON.stringify(entry.key)} of ${value} lets no client connect; nats-embedded needs at least 1`);
    set(draft, entry, "maxConnections", value);
  },
  max_conn(entry, draft) {
    MAPPERS["max_connections"]!(entry, draft);
  },
  max_subscriptions(entry, draft) {
    // 0 is unlimited, and so is a negative value in nats-server.
    set(draft, entry, "maxSubscriptions", Math.max(0, integer(entry)));
  },
  max_subs(entry, draft) {
    MAPPERS["max_subscriptions"]!(entry, draft);
  },
  ping_interval(entry, draft) {
    set(draft, entry, "pingInterval", duration(entry, draft));
  },
  ping_max(entry, draft) {
    set(draft, entry, "pingMax", integerIn(entry, 0, Number.MAX_SAFE_INTEGER));
  },
  write_deadline(entry, draft) {
    set(draft, entry, "writeDeadline", duration(entry, draft));
  },
  debug(entry, draft) {
    draft.cli.debug = boolean(entry);
  },
  trace(entry, draft) {
    draft.cli.trace = boolean(entry);
  },
  trace_verbose(entry, draft) {
    // nats-server: verbose tracing implies tracing; we have no system account to trace more of.
    draft.cli.trace = boolean(entry);
  },
  logfile(entry, draft) {
    draft.cli.logFile = nonEmptyString(entry);
  },
  log_file(entry, draft) {
    draft.cli.logFile = nonEmptyString(entry);
  },
  ports_file_dir(entry, draft) {
    draft.cli.portsFileDir = nonEmptyString(entry);
  },
  http(entry, draft) {
    const { host, port } = listenAddress(entry);
    monitoring(draft, entry, listenerPort(entry, port), host);
  },
  http_port(entry, draft) {
    monitoring(draft, entry, listenerPort(entry, integer(entry)), "");
  },
  monitor_port(entry, draft) {
    MAPPERS["http_port"]!(entry, draft);
  },
  https(entry, draft) {
    const { host, port } = listenAddress(entry);
    monitoring(draft, entry, listenerPort(entry, port), host, "https");
  },
  https_port(entry, draft) {
    monitoring(draft, entry, listenerPort(entry, integer(entry)), "", "https");
  },
  allow_non_tls(entry, draft) {
    set(draft, entry, "allowNonTls", boolean(entry));
  },
  websocket(entry, draft) {
    const websocket = websocketBlock(entry, draft);
    if (websocket === undefined) delete draft.options.websocket;
    else set(draft, entry, "websocket", websocket);
  },
  ws(entry, draft) {
    MAPPERS["websocket"]!(entry, draft);
  },
  max_closed_clients(entry, draft) {
    set(draft, entry, "maxClosedClients", integerIn(entry, 0, Number.MAX_SAFE_INTEGER));
  },
  lame_duck_duration(entry, draft) {
    // opts.go: a duration string, at least 30 seconds.
    const ms = durationString(entry);
    if (ms < 30_000) throw problem(entry, `invalid lame_duck_duration of ${formatGoDuration(ms)}, minimum is 30 seconds`);
    set(draft, entry, "lameDuckDuration", ms);
  },
  authorization(entry, draft) {
    draft.authorization = "failed";
    const { options, userNames, passwordless } = authorizationBlock(entry, draft.warnings);
    draft.authorization = { userNames, passwordless };
    // no_auth_user is merged in once every key is read.
    set(draft, entry, "authorization", options);
  },
  accounts(entry, draft) {
    draft.accounts = "failed";
    const passwordless: string[] = [];
    const { accounts, userNames } = accountsBlock(entry, draft.warnings, passwordless);
    draft.accounts = { userNames, passwordless };
    set(draft, entry, "accounts", accounts);
  },
  mappings(entry, draft) {
    set(draft, entry, "mappings", mappingsBlock(entry, draft.warnings));
  },
  maps(entry, draft) {
    MAPPERS["mappings"]!(entry, draft);
  },
  operator(entry, draft) {
    const jwts = operatorJwts(entry);
    draft.operator = { ...draft.operator, entry: draft.operator?.entry ?? entry, jwts };
  },
  operators(entry, draft) {
    MAPPERS["operator"]!(entry, draft);
  },
  root(entry, draft) {
    MAPPERS["operator"]!(entry, draft);
  },
  roots(entry, draft) {
    MAPPERS["operator"]!(entry, draft);
  },
  root_operator(entry, draft) {
    MAPPERS["operator"]!(entry, draft);
  },
  root_operators(entry, draft) {
    MAPPERS["operator"]!(entry, draft);
  },
  resolver(entry, draft) {
    const dir = resolverDirectory(entry, draft.warnings);
    draft.operator = { ...draft.operator, entry: draft.operator?.entry ?? entry, resolver: entry, ...(dir === undefined ? {} : { dir }) };
  },
  account_resolver(entry, draft) {
    MAPPERS["resolver"]!(entry, draft);
  },
  accounts_resolver(entry, draft) {
    MAPPERS["resolver"]!(entry, draft);
  },
  resolver_preload(entry, draft) {
    const preload = resolverPreload(entry);
    draft.operator = { ...draft.operator, entry: draft.operator?.entry ?? entry, preload };
  },
  system_account(entry, draft) {
    set(draft, entry, "systemAccount", nonEmptyString(entry));
  },
  system(entry, draft) {
    MAPPERS["system_account"]!(entry, draft);
  },
  no_system_account(entry, draft) {
    // opts.go: only `true` turns it off; the name in system_account is then ignored.
    if (boolean(entry)) set(draft, entry, "systemAccount", false);
  },
  no_system(entry, draft) {
    MAPPERS["no_system_account"]!(entry, draft);
  },
  no_sys_acc(entry, draft) {
    MAPPERS["no_system_account"]!(entry, draft);
  },
  no_auth_user(entry, draft) {
    draft.noAuthUser = { name: nonEmptyString(entry), entry };
  },
  tls(entry, draft) {
    set(draft, entry, "tls", tlsBlock(entry, draft.warnings));
  },
  jetstream(entry, draft) {
    const jetstream = jetStreamBlock(entry, draft.warnings);
    if (jetstream === undefined) delete draft.options.jetstream;
    else set(draft, entry, "jetstream", jetstream);
  },
  store_dir(entry, draft) {
    draft.storeDir = nonEmptyString(entry);
  },
  storedir(entry, draft) {
    MAPPERS["store_dir"]!(entry, draft);
  },
  leafnodes(entry, draft) {
    draft.leafAccounts = [];
    const leafnodes = leafnodesBlock(entry, draft.warnings, draft.leafAccounts);
    if (leafnodes === undefined) delete draft.options.leafnodes;
    else set(draft, entry, "leafnodes", leafnodes);
  },
  leaf(entry, draft) {
    MAPPERS["leafnodes"]!(entry, draft);
  },
  cluster(entry, draft) {
    set(draft, entry, "cluster", clusterBlock(entry, draft.warnings));
  },
  lame_duck_grace_period(entry, draft) {
    const ms = durationString(entry);
    if (ms < 0) throw problem(entry, "invalid lame_duck_grace_period, needs to be positive");
    set(draft, entry, "lameDuckGracePeriod", ms);
  },
};

/**
 * `http`, `http_port` (and `https`, `https_port`): the monitoring port (undefined: off), on
 * `host` or the client host.
 */
function monitoring(draft: Draft, entry: ConfigEntry, port: number | undefined, host: string, key: "http" | "https" = "http"): void {
  if (port === undefined) {
    delete draft.options[key];
    return;
  }
  set(draft, entry, key, host === "" ? port : { port, host });
}

/** Keys of the `websocket` block (opts.go `parseWebsocket`) we ignore with a warning. */
const WEBSOCKET_NOT_YET = new Set([
  "advertise",
  "handshake_timeout",
  "jwt_cookie",
  "user_cookie",
  "pass_cookie",
  "token_cookie",
  "headers",
  "ping_interval",
  "no_auth_user",
]);

const WEBSOCKET_ORIGINS = new Set(["allowed_origins", "allowed_origin", "allow_origins", "allow_origin", "origins", "origin"]);

/**
 * The `websocket { }` block, as opts.go `parseWebsocket` and websocket.go's checks: no port (or
 * 0) means no WebSocket listener; without TLS, which we do not have yet, `no_tls: true` is
 * required. Undefined when the listener is off.
 */
function websocketBlock(entry: ConfigEntry, draft: Draft): WebSocketOptions | undefined {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block");
  const problems: ConfigProblem[] = [];
  let port: number | undefined;
  const ws: Omit<WebSocketOptions, "port"> = {};
  for (const sub of entry.value.entries.values()) {
    const name = sub.key.toLowerCase();
    try {
      if (name === "listen") {
        const address = listenAddress(sub);
        if (address.host !== "") ws.host = address.host;
        port = listenerPort(sub, address.port);
      } else if (name === "port") {
        port = listenerPort(sub, integer(sub));
      } else if (name === "host" || name === "net") {
        ws.host = nonEmptyString(sub);
      } else if (name === "no_tls") {
        ws.noTls = boolean(sub);
      } else if (name === "same_origin") {
        ws.sameOrigin = boolean(sub);
      } else if (name === "compress" || name === "compression") {
        ws.compression = boolean(sub);
      } else if (WEBSOCKET_ORIGINS.has(name)) {
        ws.allowedOrigins = origins(sub);
      } else if (name === "tls") {
        ws.tls = websocketTls(nested(sub, `${entry.key}.${sub.key}`), draft.warnings);
      } else if (name === "authorization" || name === "authentication") {
        throw problem(sub, `${JSON.stringify(sub.key)} in "websocket" is not supported yet, and starting without it would let any client in: remove it to run without it`);
      } else if (WEBSOCKET_NOT_YET.has(name)) {
        draft.warnings.push(`${formatPosition(sub.keyPos)}: ${JSON.stringify(sub.key)} in "websocket" is not supported yet; ignored`);
      } else if (!sub.usedAsVariable) {
        throw problem(sub, `unknown field ${JSON.stringify(sub.key)}`);
      }
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  if (port === undefined) return undefined;
  // websocket.go validateWebsocketOptions.
  if (ws.tls === undefined && ws.noTls !== true) throw problem(entry, "websocket requires TLS configuration");
  return { port, ...ws };
}

/**
 * `websocket { tls { } }` (opts.go parseWebsocket: parseTLS, then GenTLSConfig): the keys of
 * the top-level block. `verify_and_map` is refused: WebSocket users are not mapped from their
 * certificates yet. `handshake_first` means nothing for a WebSocket and is ignored, as there.
 */
function websocketTls(entry: ConfigEntry, warnings: string[]): TlsOptions {
  const tls = tlsBlock(entry, warnings);
  if (tls.verifyAndMap === true) {
    throw problem(entry, '"verify_and_map" in "websocket.tls" is not supported yet, and ignoring it would let WebSocket clients in without the user their certificate names: remove it, or use verify, to run without it');
  }
  delete tls.handshakeFirst;
  return tls;
}

/** `allowed_origins`: a string or an array of strings, each a URL. */
function origins(entry: ConfigEntry): string[] {
  const value = entry.value;
  const items = value.kind === "array" ? value.items : [value];
  return items.map((item) => {
    if (item.kind !== "string") throw problem(entry, `error parsing allowed origins: expected strings, got ${describeValue(item)}`);
    if (!URL.canParse(item.value)) throw problem(entry, `unable to parse allowed origin ${JSON.stringify(item.value)}`);
    return item.value;
  });
}

// --- value checks -----------------------------------------------------------------------------

function checkPortRange(entry: ConfigEntry, port: number): void {
  if (port < -1 || port > 65535) throw problem(entry, `${JSON.stringify(entry.key)} must be a port between -1 and 65535, got ${port}`);
}

/** nats-server's client port: -1 asks for a random port, 0 means the default port. */
function clientPort(entry: ConfigEntry, port: number): number {
  checkPortRange(entry, port);
  return port === -1 ? 0 : port === 0 ? DEFAULT_PORT : port;
}

/** Another listener's port (monitoring, WebSocket): -1 asks for a random port, 0 means none. */
function listenerPort(entry: ConfigEntry, port: number): number | undefined {
  checkPortRange(entry, port);
  return port === -1 ? 0 : port === 0 ? undefined : port;
}

/**
 * `listen` (and `http`): a port, or `host:port` as Go's `net.SplitHostPort` reads it
 * (`[::1]:4222`, `:4222`). The port as written; an empty host when none is given.
 */
function listenAddress(entry: ConfigEntry): { host: string; port: number } {
  const value = entry.value;
  if (value.kind === "integer") return { host: "", port: value.value };
  if (value.kind !== "string") throw wrongType(entry, 'a port or "host:port"');
  const text = value.value;
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  if (bracketed !== null) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
  } else {
    const colon = text.lastIndexOf(":");
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (colon < 0 || host.includes(":") || host.includes("[") || host.includes("]")) {
      throw problem(entry, `could not parse address string ${JSON.stringify(text)}`);
    }
  }
  if (!/^[+-]?\d+$/.test(portText)) throw problem(entry, `could not parse port ${JSON.stringify(portText)}`);
  return { host, port: Number(portText) };
}

/**
 * `ping_interval`, `write_deadline`: a Go duration string, or (the old way, with a warning, as
 * nats-server) an integer number of seconds. Milliseconds out, within what a Node timer can do.
 */
function duration(entry: ConfigEntry, draft: Draft): number {
  const value = entry.value;
  let ms: number;
  if (value.kind === "string") {
    try {
      ms = parseGoDuration(value.value);
    } catch (err) {
      throw problem(entry, `error parsing ${entry.key}: ${(err as Error).message}`);
    }
  } else if (value.kind === "integer") {
    let note = `${entry.key} should be converted to a duration`;
    if (/[a-z]/i.test(value.raw)) {
      // `ping_interval: 2m` is the integer 2,000,000 (m = 10^6), then read as seconds.
      note += `; ${value.raw} reads as ${value.value} seconds (a size suffix): write "${value.raw}" in quotes for a duration`;
    }
    draft.warnings.push(`${formatPosition(entry.keyPos)}: invalid use of field ${JSON.stringify(entry.key)}: ${note}`);
    ms = value.value * 1000;
  } else {
    throw wrongType(entry, 'a duration such as "2m" or "10s"');
  }
  ms = Math.round(ms);
  if (ms < 1) throw problem(entry, `${JSON.stringify(entry.key)} must be at least 1ms, got ${formatGoDuration(ms)}`);
  return withinTimer(entry, ms);
}

