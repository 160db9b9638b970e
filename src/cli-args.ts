/**
 * nats-server's command-line flags, and how they combine with a configuration file. Kept apart
 * from the entry point so it can be tested without starting anything.
 *
 * Flags read as Go's `flag` package reads them (server/opts.go `ConfigureOptions`): one or two
 * dashes, `-p 4222` or `-p=4222`, a value may start with a dash (`-p -1`), booleans take no
 * value but accept `-D=false`; parsing stops at `--` or at the first word that is not a flag.
 * As in nats-server, flags override the configuration file, which overrides the defaults.
 */
import { DEFAULT_HOST, DEFAULT_PORT } from "./base/constants.ts";
import type { MappedConfig } from "./config/to-options.ts";
import type { RunSettings } from "./config/reload.ts";
import { InvalidOptionError } from "./base/errors.ts";
import type { AuthOptions } from "./auth/authenticator.ts";
import type { ServerOptions } from "./options/options.ts";
import type { TlsOptions } from "./transport/tls.ts";

export const USAGE = `Usage: nats-embedded [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: ${DEFAULT_HOST})
    -p, --port <port>                Use port for clients (default: ${DEFAULT_PORT}, -1 for random)
    -n, --name, --server_name <name> Server name (default: server id)
        --max_payload <bytes>        Maximum message payload (default: 1MB)
    -m, --http_port <port>           Monitoring port for /varz, /connz... (-1 for random)
    -ms, --https_port <port>         Monitoring port over https, with the tls certificate
    -c, --config <file>              Configuration file (flags override it)
        --ports_file_dir <dir>       Write nats-server_<pid>.ports there once listening

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes (nats://[user:pass@]host:port)
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise <bool>        Do not advertise known cluster information to clients
        --cluster_advertise <str>    Cluster URL to advertise to other servers

JetStream Options:
    -js, --jetstream                 Enable JetStream
    -sd, --store_dir <dir>           Directory for file streams (default: <tmpdir>/nats/jetstream)

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Logging Options:
    -l, --log <file>                 Log to this file instead of stderr
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -DV                              Debug and trace

Signals:
    SIGHUP                           Reload the configuration file
    SIGUSR2                          Lame duck mode: close clients gradually, then stop
    SIGINT, SIGTERM                  Stop

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
`;

/** What a flag sets. */
const Target = {
  Host: "host",
  Port: "port",
  Name: "name",
  MaxPayload: "maxPayload",
  HttpPort: "httpPort",
  HttpsPort: "httpsPort",
  Config: "config",
  Log: "log",
  PortsFileDir: "portsFileDir",
  User: "user",
  Pass: "pass",
  Auth: "auth",
  Tls: "tls",
  TlsCert: "tlsCert",
  TlsKey: "tlsKey",
  TlsCaCert: "tlsCaCert",
  TlsVerify: "tlsVerify",
  Debug: "debug",
  Trace: "trace",
  DebugTrace: "debugTrace",
  Help: "help",
  Version: "version",
  JetStream: "jetstream",
  StoreDir: "storeDir",
  Cluster: "cluster",
  ClusterName: "clusterName",
  Routes: "routes",
  NoAdvertise: "noAdvertise",
  ClusterAdvertise: "clusterAdvertise",
} as const;
type TargetValue = (typeof Target)[keyof typeof Target];

interface FlagSpec {
  readonly target: TargetValue;
  readonly boolean: boolean;
}

const text = (target: TargetValue): FlagSpec => ({ target, boolean: false });
const flag = (target: TargetValue): FlagSpec => ({ target, boolean: true });

/** nats-server's flag names (each spelling a separate Go flag, hence no short/long pairing). */
const FLAGS: ReadonlyMap<string, FlagSpec> = new Map([
  ["a", text(Target.Host)],
  ["addr", text(Target.Host)],
  ["net", text(Target.Host)],
  ["p", text(Target.Port)],
  ["port", text(Target.Port)],
  ["n", text(Target.Name)],
  ["name", text(Target.Name)],
  ["server_name", text(Target.Name)],
  ["max_payload", text(Target.MaxPayload)],
  ["m", text(Target.HttpPort)],
  ["http_port", text(Target.HttpPort)],
  ["ms", text(Target.HttpsPort)],
  ["https_port", text(Target.HttpsPort)],
  ["c", text(Target.Config)],
  ["config", text(Target.Config)],
  ["l", text(Target.Log)],
  ["log", text(Target.Log)],
  ["ports_file_dir", text(Target.PortsFileDir)],
  ["user", text(Target.User)],
  ["pass", text(Target.Pass)],
  ["auth", text(Target.Auth)],
  ["tls", flag(Target.Tls)],
  ["tlscert", text(Target.TlsCert)],
  ["tlskey", text(Target.TlsKey)],
  ["tlscacert", text(Target.TlsCaCert)],
  ["tlsverify", flag(Target.TlsVerify)],
  ["D", flag(Target.Debug)],
  ["debug", flag(Target.Debug)],
  ["V", flag(Target.Trace)],
  ["trace", flag(Target.Trace)],
  ["VV", flag(Target.Trace)],
  ["DV", flag(Target.DebugTrace)],
  ["DVV", flag(Target.DebugTrace)],
  ["h", flag(Target.Help)],
  ["help", flag(Target.Help)],
  ["v", flag(Target.Version)],
  ["version", flag(Target.Version)],
  ["js", flag(Target.JetStream)],
  ["jetstream", flag(Target.JetStream)],
  ["sd", text(Target.StoreDir)],
  ["store_dir", text(Target.StoreDir)],
  ["cluster", text(Target.Cluster)],
  ["cluster_listen", text(Target.Cluster)],
  ["cluster_name", text(Target.ClusterName)],
  ["routes", text(Target.Routes)],
  ["no_advertise", flag(Target.NoAdvertise)],
  ["cluster_advertise", text(Target.ClusterAdvertise)],
]);

/** What the flags set, and only that: a flag not given leaves the file's value in place. */
export interface CliFlags {
  readonly options: Omit<ServerOptions, "logger">;
  readonly debug?: boolean;
  readonly trace?: boolean;
  readonly configFile?: string;
  readonly logFile?: string;
  readonly portsFileDir?: string;
  /** `-m 0`: no monitoring port, whatever the file says. */
  readonly noHttp?: boolean;
  /** `-ms 0`: no https monitoring port, whatever the file says. */
  readonly noHttps?: boolean;
  /** `--user`, `--pass`, `--auth`: each replaces the file's (see {@link resolveSettings}). */
  readonly auth?: { readonly user?: string; readonly password?: string; readonly token?: string };
  /** The `--tls*` flags given (`enabled` is `--tls`'s value, if given). */
  readonly tls?: TlsFlags;
  /** `-js`: JetStream on (or off with `-js=false`), whatever the file says. */
  readonly jetstream?: boolean;
  /** `-sd`: the store directory, over the file's `store_dir`. */
  readonly storeDir?: string;
  /** `--cluster`, `--cluster_name`, `--routes`, `--no_advertise`, `--cluster_advertise`: each over the file's `cluster` field. */
  readonly cluster?: Partial<NonNullable<ServerOptions["cluster"]>>;
}

/** nats-server's TLS flags, as given. */
export interface TlsFlags {
  readonly enabled?: boolean;
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
  readonly verify?: boolean;
}

/** What the command line asks for. */
export type CliRequest = { readonly help: true } | { readonly version: true } | { readonly flags: CliFlags };

/** Go's `strconv.ParseBool`, which `-D=false` goes through. */
function parseGoBool(name: string, value: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw new Error(`invalid boolean value "${value}" for -${name}: parse error`);
}

function parseInteger(flagName: string, value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new InvalidOptionError(flagName, `needs an integer, got "${value}"`);
  return Number(value);
}

/** Turns command-line arguments into flags, or a request for help or the version. */
export function parseCommandLine(argv: readonly string[]): CliRequest {
  const options: Omit<ServerOptions, "logger"> = {};
  const flags: { -readonly [K in keyof CliFlags]: CliFlags[K] } = { options };
  let help = false;
  let version = false;
  let httpOff = false;
  let httpsOff = false;
  let auth: { user?: string; password?: string; token?: string } | undefined;
  let tls: { -readonly [K in keyof TlsFlags]: TlsFlags[K] } | undefined;
  let cluster: Partial<NonNullable<ServerOptions["cluster"]>> | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    const match = /^--?([^-=][^=]*)(?:=([\s\S]*))?$/.exec(arg);
    if (match === null) {
      // nats-server's ProcessCommandLineArgs: the words `version` and `help`, nothing else.
      if (arg === "version") version = true;
      else if (arg === "help") help = true;
      else throw new Error(`unrecognized command: "${arg}"`);
      continue;
    }
    const name = match[1]!;
    const spec = FLAGS.get(name);
    if (spec === undefined) throw new Error(`flag provided but not defined: -${name}`);
    let value = match[2];
    if (spec.boolean) {
      const on = value === undefined ? true : parseGoBool(name, value);
      switch (spec.target) {
        case Target.Debug:
          flags.debug = on;
          break;
        case Target.Trace:
          flags.trace = on;
          break;
        case Target.DebugTrace:
          flags.debug = on;
          flags.trace = on;
          break;
        case Target.Help:
          help = on;
          break;
        case Target.Version:
          version = on;
          break;
        case Target.Tls:
          (tls ??= {}).enabled = on;
          break;
        case Target.TlsVerify:
          (tls ??= {}).verify = on;
          break;
        case Target.JetStream:
          flags.jetstream = on;
          break;
        case Target.NoAdvertise:
          (cluster ??= {}).noAdvertise = on;
          break;
      }
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new Error(`flag needs an argument: -${name}`);
      value = argv[++i]!;
    }
    switch (spec.target) {
      case Target.Host:
        options.host = value;
        break;
      case Target.Port: {
        // nats-server: -1 asks for a random port, 0 means the default one.
        const port = parseInteger("port", value);
        options.port = port === -1 ? 0 : port === 0 ? DEFAULT_PORT : port;
        break;
      }
      case Target.Name:
        options.serverName = value;
        break;
      case Target.MaxPayload:
        options.maxPayload = parseInteger("max_payload", value);
        break;
      case Target.HttpPort: {
        // As the client port: -1 asks for a random port; 0, nats-server's default, means none.
        const port = parseInteger("http_port", value);
        if (port === 0) httpOff = true;
        else options.http = port === -1 ? 0 : port;
        break;
      }
      case Target.HttpsPort: {
        const port = parseInteger("https_port", value);
        if (port === 0) httpsOff = true;
        else options.https = port === -1 ? 0 : port;
        break;
      }
      case Target.Config:
        flags.configFile = value;
        break;
      case Target.Log:
        flags.logFile = value;
        break;
      case Target.PortsFileDir:
        flags.portsFileDir = value;
        break;
      case Target.User:
        (auth ??= {}).user = value;
        break;
      case Target.Pass:
        (auth ??= {}).password = value;
        break;
      case Target.Auth:
        (auth ??= {}).token = value;
        break;
      case Target.TlsCert:
        (tls ??= {}).cert = value;
        break;
      case Target.TlsKey:
        (tls ??= {}).key = value;
        break;
      case Target.TlsCaCert:
        (tls ??= {}).ca = value;
        break;
      case Target.StoreDir:
        flags.storeDir = value;
        break;
      case Target.Cluster:
        Object.assign((cluster ??= {}), clusterListen(value));
        break;
      case Target.ClusterName:
        (cluster ??= {}).name = value;
        break;
      case Target.ClusterAdvertise:
        (cluster ??= {}).advertise = value;
        break;
      case Target.Routes:
        (cluster ??= {}).routes = value
          .split(",")
          .map((r) => r.trim())
          .filter((r) => r !== "");
        break;
    }
  }
  if (help) return { help: true };
  if (version) return { version: true };
  if (httpOff && options.http === undefined) flags.noHttp = true;
  if (httpsOff && options.https === undefined) flags.noHttps = true;
  if (auth !== undefined) flags.auth = auth;
  if (tls !== undefined) flags.tls = tls;
  if (cluster !== undefined) flags.cluster = cluster;
  return { flags };
}

/**
 * Defaults, then the configuration file, then the flags: what the broker runs with. Throws
 * `Error` for flags that cannot apply (`--tls` without a certificate, say).
 */
export function resolveSettings(flags: CliFlags, config?: Pick<MappedConfig, "options" | "cli">): RunSettings {
  const options: Omit<ServerOptions, "logger"> = { host: DEFAULT_HOST, port: DEFAULT_PORT, ...config?.options, ...flags.options };
  const authorization = authFromFlags(flags.auth, config?.options.authorization);
  if (authorization === undefined) delete options.authorization;
  else options.authorization = authorization;
  const tls = tlsFromFlags(flags.tls, config?.options.tls);
  if (tls === undefined) delete options.tls;
  else options.tls = tls;
  // `-m` sets the monitoring port only; a host the file gave it stays (nats-server's HTTPHost).
  const fileHttp = config?.options.http;
  if (typeof flags.options.http === "number" && typeof fileHttp === "object" && fileHttp.host !== undefined) {
    options.http = { port: flags.options.http, host: fileHttp.host };
  }
  const fileHttps = config?.options.https;
  if (typeof flags.options.https === "number" && typeof fileHttps === "object" && fileHttps.host !== undefined) {
    options.https = { port: flags.options.https, host: fileHttps.host };
  }
  if (flags.noHttp === true) delete options.http;
  if (flags.noHttps === true) delete options.https;
  if (flags.cluster !== undefined) {
    const merged = { ...config?.options.cluster, ...flags.cluster };
    if (merged.port === undefined) throw new Error("--routes, --cluster_name, --no_advertise and --cluster_advertise need --cluster (the route listen URL) or a cluster block");
    options.cluster = { ...merged, port: merged.port };
  }
  const jetstream = jetStreamFromFlags(flags, config?.options.jetstream);
  if (jetstream === undefined) delete options.jetstream;
  else options.jetstream = jetstream;
  return {
    options,
    debug: flags.debug ?? config?.cli.debug ?? false,
    trace: flags.trace ?? config?.cli.trace ?? false,
    logFile: flags.logFile ?? config?.cli.logFile,
    portsFileDir: flags.portsFileDir ?? config?.cli.portsFileDir,
  };
}

/**
 * `--user`, `--pass` and `--auth` over the file's `authorization`. Each flag replaces the same
 * field of the file (opts.go MergeOptions); a token and a user are alternatives, so a flag
 * giving one drops the file's other. With the file's `users`, the flags are refused: nats-server
 * would accept both, a mix its configuration file refuses. So are a user without a password and
 * a password without a user (with which nats-server requires no authentication at all).
 */
function authFromFlags(given: CliFlags["auth"], file: AuthOptions | undefined): AuthOptions | undefined {
  if (given === undefined) return file;
  if (given.token !== undefined && (given.user !== undefined || given.password !== undefined)) {
    throw new Error("--auth cannot be combined with --user/--pass: a client authenticates with one or the other");
  }
  if (file?.users !== undefined && file.users.length > 0) {
    throw new Error("--user, --pass and --auth cannot be combined with the users of the configuration file's authorization block");
  }
  const out: AuthOptions = { ...file };
  if (given.token !== undefined) {
    if (given.token === "") throw new Error("--auth needs a token");
    out.token = given.token;
    delete out.user;
    delete out.password;
  } else {
    if (given.user !== undefined) out.user = given.user;
    if (given.password !== undefined) out.password = given.password;
    delete out.token;
    if (out.user === undefined || out.user === "") throw new Error("--pass needs --user (without a user, nats-server would require no authentication at all)");
    if (out.password === undefined) throw new Error("--user needs --pass");
  }
  return out;
}

/**
 * The `--tls*` flags over the file's `tls`, as nats-server's ConfigureOptions: `--tls=false`
 * turns TLS off, whatever else is given; any other TLS flag (`--tlsverify` included) turns it
 * on with the certificate, key and CA of the flags alone, which must give a certificate and a
 * key. The file's `timeout`, `handshake_first` and `verify_and_map` stay.
 */
function tlsFromFlags(given: TlsFlags | undefined, file: TlsOptions | undefined): TlsOptions | undefined {
  if (given === undefined) return file;
  if (given.enabled === false) return undefined;
  if (given.cert === undefined || given.cert === "") throw new Error("TLS Server certificate must be present and valid (--tlscert)");
  if (given.key === undefined || given.key === "") throw new Error("TLS Server private key must be present and valid (--tlskey)");
  const out: TlsOptions = { certFile: given.cert, keyFile: given.key, verify: given.verify === true };
  if (given.ca !== undefined && given.ca !== "") out.caFile = given.ca;
  if (file?.timeout !== undefined) out.timeout = file.timeout;
  if (file?.handshakeFirst !== undefined) out.handshakeFirst = file.handshakeFirst;
  if (file?.verifyAndMap !== undefined) out.verifyAndMap = file.verifyAndMap;
  return out;
}

/**
 * `-js` turns JetStream on (or off) over the file's `jetstream`; `-sd` replaces its store
 * directory but, as in nats-server, does not turn JetStream on by itself.
 */
function jetStreamFromFlags(flags: CliFlags, fromFile: ServerOptions["jetstream"]): ServerOptions["jetstream"] {
  const enabled = flags.jetstream ?? (fromFile !== undefined && fromFile !== false);
  if (!enabled) return undefined;
  const base = typeof fromFile === "object" ? fromFile : {};
  return flags.storeDir === undefined ? { ...base } : { ...base, storeDir: flags.storeDir };
}

/** `--cluster nats://[user:pass@]host:port` (opts.go overrideCluster): the route listener, and its credentials. */
function clusterListen(value: string): Partial<NonNullable<ServerOptions["cluster"]>> {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:([^:@/]*)(?::([^@/]*))?@)?(\[[^\]]*\]|[^:/]*):(-?\d+)\/?$/i.exec(value);
  if (m === null) throw new InvalidOptionError("cluster", `needs a URL such as nats://127.0.0.1:6222, got "${value}"`);
  const port = Number(m[4]);
  const host = m[3]!.replace(/^\[|\]$/g, "");
  const out: Partial<NonNullable<ServerOptions["cluster"]>> = { port: port === -1 ? 0 : port };
  if (host !== "") out.host = host;
  if (m[1] !== undefined && m[1] !== "") out.authorization = { user: decodeURIComponent(m[1]), password: decodeURIComponent(m[2] ?? "") };
  return out;
}
