/**
 * The broker: options, lifecycle, listeners, the client table, and typed events. Every kind
 * of connection enters through {@link Server.handle}, and all of them share one `Sublist`.
 */
import { availableParallelism } from "node:os";
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { Server as NetServer, Socket } from "node:net";
import { duplexPair, type Duplex } from "node:stream";
import { EventEmitter } from "node:events";
import type { TypedEmitter } from "tiny-typed-emitter";
import { PROTO_VERSION, SERVER_VERSION } from "../base/constants.ts";
import { InvalidArgumentError, ServerClosedError, InvalidOptionError } from "../base/errors.ts";
import { encodeInfo } from "../protocol/encoder.ts";
import { WireError } from "../protocol/wire-errors.ts";
import { Sublist } from "../subjects/sublist.ts";
import { Account, GLOBAL_ACCOUNT } from "../core/account.ts";
import { Accounts } from "../core/accounts.ts";
import { SystemServices, type SystemHost } from "./system-account.ts";
import { CloseReason, type CloseReasonText } from "../core/close-reason.ts";
import { Client, type ClientHost, type ConnectionInfo, type TrafficStats } from "../core/client.ts";
// Eager, unlike the other optional parts: createServer({ configFile }) reads it synchronously.
import { loadConfigFile } from "../config/load.ts";
import { silentLogger } from "../base/logger.ts";
import { resolveOptions, type ReloadableOptions, type ResolvedOptions, type ServerOptions } from "../options/options.ts";
import type { Subscription } from "../core/subscription.ts";
import { DirectApi } from "../direct/direct-api.ts";
import type {
  DirectMsg,
  DirectSubscription,
  Payload,
  PublishOptions,
  RequestOptions,
  SubscribeOptions,
  Tap,
  TapOptions,
  UserScopedApi,
  AccountScopedApi,
} from "../direct/public-types.ts";
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import {
  accountz,
  accstatz,
  connz,
  healthz,
  jsz,
  leafz,
  routez,
  subsz,
  varz,
  type Jsz,
  type JszOptions,
  type Leafz,
  type LeafzOptions,
  type Routez,
  type RoutezOptions,
  type Connz,
  type ConnzOptions,
  type HealthStatus,
  type Subsz,
  type SubszOptions,
  type Varz,
} from "../monitor/index.ts";
import { kIntrospect, type ClosedClientRecord, type ServerIntrospection } from "../monitor/introspection.ts";
import { Authenticator, type AuthenticatedUser, type AuthOptions } from "../auth/authenticator.ts";
import { OperatorAuthenticator, TrustedOperators } from "../auth/operator.ts";
import type { CalloutBus } from "../auth/auth-callout.ts";
import { newNkey, NKEY_PREFIX, type NkeySigner } from "../auth/nkey-jwt.ts";
import { newNonce } from "../auth/credentials.ts";
import { peerIdentity, sniffTls, startTls, type ResolvedTls } from "../transport/tls.ts";
import { encodeError } from "../protocol/encoder.ts";
import type { Listener, ServerPorts } from "../base/listener.ts";
import { JetStreamAccounts } from "./jetstream-accounts.ts";
import { serveClaims } from "./claims.ts";
import type { AccountView, AccountzOptions, AccstatzOptions } from "../monitor/accountz.ts";
import { SubjectMappings } from "../core/subject-mappings.ts";
import type { TraceServer } from "../core/message-trace.ts";
import type { AccountJetStreamLimits } from "../jetstream/jetstream-options.ts";
import { JS_API_LEVEL } from "../jetstream/shared/api-level.ts";
import type { LeafLinkInfo } from "../leafnode/leaf-nodes.ts";
import { ObservedSublist } from "../leafnode/observed-sublist.ts";
import { LeafNodesLoader } from "./leaf-loader.ts";
import { leafAccountNames, type ResolvedLeafNodes } from "../leafnode/options.ts";
import type { LeafLink } from "../leafnode/leaf-link.ts";
import { SinkKind } from "../core/subscription.ts";
import type { InterestFeed, RouteLinkInfo, Routes } from "../route/routes.ts";

/** What the events say about a connection. */
export interface ClientEventInfo {
  /** Connection id, as INFO `client_id` and `/connz` `cid`. */
  cid: number;
  transport: string;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** CONNECT `name`, once known. */
  name: string;
}

/** Events a {@link Server} emits. */
export interface ServerEvents {
  /** The client port is open. */
  listening: (address: { host: string; port: number }) => void;
  "client:connect": (client: ClientEventInfo) => void;
  "client:close": (client: ClientEventInfo, reason: CloseReasonText) => void;
  /**
   * A client, or a leaf node link (`transport: "leafnode"`), was cut for falling behind
   * (pending bytes or write deadline). No `-ERR` is sent, as nats-server.
   */
  "slow-consumer": (client: ClientEventInfo, reason: CloseReasonText) => void;
  /** A listener failed, or something unexpected happened that did not stop the server. */
  error: (err: Error) => void;
  /** An in-process subscription's callback threw; delivery went on. */
  "subscription:error": (err: unknown, subscription: { subject: string; queue: string | undefined; sid: number }) => void;
  /** A leaf node link completed its handshake (either side). */
  "leafnode:connect": (link: LeafLinkInfo) => void;
  /** A leaf node link ended. */
  "leafnode:close": (link: LeafLinkInfo, reason: string) => void;
  /** The other end of a leaf node link sent `-ERR` (a loop, an authorization failure...). */
  "leafnode:error": (link: LeafLinkInfo, text: string) => void;
  /** A route to another server of the cluster was registered (either side dialed). */
  "route:connect": (route: RouteLinkInfo) => void;
  /** A registered route ended. */
  "route:close": (route: RouteLinkInfo, reason: string) => void;
}

/** Options for {@link Server.handle}. */
export type HandleOptions = ConnectionInfo;

/** nats-server ids are 56 base32 characters starting with N (a server nkey); ours look alike. */
function newServerId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes = randomBytes(55);
  let id = "N";
  for (const b of bytes) id += alphabet[b & 31];
  return id;
}

// tiny-typed-emitter's TypedEmitter is Node's EventEmitter with types: extending EventEmitter
// itself under those types spares an import the CommonJS loader that package needs at runtime.
export class Server extends (EventEmitter as unknown as new () => TypedEmitter<ServerEvents>) {
  /** Unique id of this server, as INFO `server_id`. */
  readonly id: string;
  /**
   * The server's own nkey, made only for the auth callout: it signs the requests, and its public
   * key is the server id a response's `aud` names (nats-server's id is its nkey too, and client
   * libraries check that `aud` is a server public key).
   */
  #signingKey: NkeySigner | undefined;
  /** The options as given, to re-resolve on reload; and as in force. */
  #input: ServerOptions;
  #options: ResolvedOptions;
  /** The global account `$G`: every connection's, until accounts exist. */
  readonly #account: Account;
  /** `$G` and the configured accounts, linked by their exports and imports. */
  readonly #accounts: Accounts;
  /** The system account's endpoints and events; undefined with `systemAccount: false`. */
  readonly #system: SystemServices | undefined;
  readonly #sublist: Sublist<Subscription>;
  /** Leaf node remotes, port and links; undefined when none are configured. */
  readonly #leafNodes: LeafNodesLoader | undefined;
  /** Routes to the other servers of the cluster; built by listen() when `cluster` is configured. */
  #routes: Routes | undefined;
  readonly #clients = new Map<number, Client>();
  readonly #stats: TrafficStats = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0, slowConsumers: 0 };
  readonly #host: ClientHost;
  readonly #direct: DirectApi;
  /** The in-process APIs of other accounts, made by `account()` or `as()` on first use. */
  readonly #accountDirect = new Map<string, DirectApi>();
  /** The JetStream service, when enabled: a client of the bus like nats-server's. */
  readonly #jetstream: JetStreamAccounts | undefined;
  #auth: Authenticator | OperatorAuthenticator;
  /** Operator mode: the trusted operators and the accounts they signed. */
  readonly #trusted: TrustedOperators | undefined;
  /** Set once `connect()` made this server reachable by the in-process client transport. */
  #unregister: (() => void) | undefined;
  #nextCid = 1;
  #tcp: NetServer | undefined;
  #port: number | undefined;
  #websocket: Listener | undefined;
  #monitor: Listener | undefined;
  /** When the server was created (ms since epoch), as `/varz` `start`. */
  readonly #startTime = Date.now();
  #totalConnections = 0;
  readonly #closedClients: ClosedClientRecord[] = [];
  #closed = false;
  /** TCP sockets of a TLS port not yet clients (TLS handshake, or allow_non_tls sniffing): cut by close(). */
  readonly #pendingTls = new Set<Socket>();
  #closing: Promise<void> | undefined;
  #lameDuck: Promise<void> | undefined;
  #listenersClosed: Promise<void> | undefined;
  /** Aborted by close(), to cut short anything still waiting (lame duck timers). */
  readonly #stopping = new AbortController();
  #dirty: Client[] = [];
  #flushQueued = false;
  /** INFO JSON up to (not including) the per-client fields. */
  #infoPrefix = "";
  /** The same for WebSocket clients. */
  #wsInfoPrefix = "";

  constructor(options: ServerOptions = {}) {
    super();
    this.#input = withConfigFile(options);
    this.#options = resolveOptions(this.#input);
    const operator = this.#options.operator;
    this.#trusted = operator === undefined ? undefined : new TrustedOperators(operator);
    if (this.#trusted !== undefined && this.#options.authorization?.callout !== undefined) {
      // Operator mode reads its callouts from account JWTs only; ignoring this one would hide that.
      throw new InvalidOptionError("authorization.callout", "in operator mode, an account JWT's authorization claim configures the callout");
    }
    const callout = this.#options.authorization?.callout !== undefined || (this.#trusted?.callouts().size ?? 0) > 0;
    this.#signingKey = callout ? newNkey(NKEY_PREFIX.server) : undefined;
    this.id = this.#signingKey?.publicKey ?? newServerId();
    // Only leaf nodes and routes need to hear of interest changes: without them the sublist is the plain one.
    const leafConfig = this.#options.leafnodes;
    const clustered = this.#options.cluster !== undefined;
    const observed = leafConfig === undefined && !clustered ? undefined : new ObservedSublist();
    this.#sublist = observed ?? new Sublist<Subscription>();
    this.#account = new Account(GLOBAL_ACCOUNT, this.#sublist);
    if (this.#options.mappings !== undefined) this.#account.mappings = new SubjectMappings(this.#options.mappings);
    // Routes and leaf links carry every account's interest, so each account's sublist reports its changes.
    const newSublist = observed !== undefined ? () => new ObservedSublist() : undefined;
    const warnBadImport = (err: InvalidOptionError): void => this.#options.logger.warn(`Account import left out: ${err.message}`);
    this.#accounts =
      this.#trusted === undefined
        ? new Accounts(this.#account, this.#options.accounts, this.#options.systemAccount, undefined, newSublist)
        : new Accounts(this.#account, this.#trusted.accountDefinitions(), this.#input.systemAccount ?? this.#trusted.systemAccount ?? this.#options.systemAccount, warnBadImport, newSublist);
    if (leafConfig !== undefined) this.#checkLeafAccounts(leafConfig);
    // After the accounts: an auth callout checks that its account exists.
    this.#auth = this.#trusted === undefined ? new Authenticator(this.#options.authorization, this.#options.tls?.verifyAndMap, this.#calloutBus) : new OperatorAuthenticator(this.#trusted, this.#calloutBus);
    this.#buildInfoPrefix();
    const server = this;
    this.#host = {
      get auth() {
        return server.#auth;
      },
      get options() {
        return server.#options;
      },
      account: this.#account,
      accountNamed: (name) => server.#accounts.get(name),
      stats: this.#stats,
      scheduleFlush: (client) => server.#scheduleFlush(client),
      clientClosed: (client, reason) => server.#onClientClosed(client, reason),
      slowConsumer: (client, reason) => {
        server.#stats.slowConsumers++;
        server.#options.logger.warn(`${describe(client)} - Slow Consumer Detected: ${reason}`);
        server.#emitSafely("slow-consumer", eventInfo(client), reason);
      },
      clientConnected: (client) => server.#system?.clientConnected(client),
      userInfo: (client) => server.#system?.userInfo(client),
      asyncInfo: (client) => server.#asyncInfo(client),
      traceServer: () => server.#traceServer(),
    };
    this.#direct = this.#newDirectApi(this.#account);
    const jetstream = this.#options.jetstream;
    this.#system = this.#accounts.system === undefined ? undefined : new SystemServices(this.#accounts.system, this.#systemHost());
    if (this.#trusted !== undefined) this.#serveClaims(this.#trusted);
    this.#jetstream =
      jetstream === undefined
        ? undefined
        : new JetStreamAccounts({
            accounts: this.#accounts.list(),
            system: this.#accounts.system,
            enabled: this.#jetstreamEnabledAccounts(),
            directOf: (account) => this.#directOf(account.name),
            options: jetstream,
            logger: this.#options.logger,
            serverName: this.#options.serverName ?? this.id,
          });
    this.#leafNodes =
      observed === undefined || leafConfig === undefined
        ? undefined
        : new LeafNodesLoader(
            {
              get options() {
                return server.#options;
              },
              accounts: () => this.#accounts.list().map((account) => ({ account, feed: account.sublist as unknown as InterestFeed })),
              account: (name) => this.#accounts.get(name),
              get clientAuth() {
                return server.#auth;
              },
              stats: this.#stats,
              serverId: this.id,
              serverName: this.#options.serverName ?? this.id,
              // The routes may start after the first leaf CONNECT: the configured name until then.
              clusterName: () => server.#routes?.clusterName ?? server.#options.cluster?.name,
              nextCid: () => server.#nextCid++,
              linkUp: (link) => server.#emitSafely("leafnode:connect", link),
              linkDown: (link, reason) => server.#emitSafely("leafnode:close", link, reason),
              linkError: (link, text) => server.#emitSafely("leafnode:error", link, text),
              slowConsumer: (info, reason) => {
                server.#stats.slowConsumers++;
                server.#emitSafely("slow-consumer", info, reason);
              },
            },
            leafConfig,
          );
  }

  /**
   * leafnode.go validateLeafNode: every account a remote or a leaf user names exists; in
   * operator mode a remote names an account by its public key, and the leaf port has no users.
   */
  #checkLeafAccounts(config: ResolvedLeafNodes): void {
    if (this.#trusted !== undefined && (config.authorization?.users?.length ?? 0) > 0) {
      throw new InvalidOptionError("leafnodes.authorization.users", "operator mode does not allow specifying users in leafnode config");
    }
    for (const { name, where } of leafAccountNames(config)) {
      if (this.#trusted !== undefined) {
        if (!/^A[A-Z2-7]{55}$/.test(name)) throw new InvalidOptionError(where, "operator mode requires account nkeys in remotes");
      } else if (this.#accounts.get(name) === undefined) {
        throw new InvalidOptionError(where, `cannot find local account ${JSON.stringify(name)} specified in leafnode ${where.includes("remotes") ? "remote" : "authorization"}`);
      }
    }
  }

  /** Registered routes to the other servers of the cluster. */
  get routes(): RouteLinkInfo[] {
    return this.#routes?.links() ?? [];
  }

  /** The route port once listening (the real one when `cluster.port: 0` was asked). */
  get clusterPort(): number | undefined {
    return this.#routes?.port;
  }

  /** Leaf node links that completed their handshake, both those we dialed and those that dialed us. */
  get leafNodes(): LeafLinkInfo[] {
    return this.#leafNodes?.links() ?? [];
  }

  /** The leaf node port once listening (the real one when `leafnodes.port: 0` was asked). */
  get leafNodePort(): number | undefined {
    return this.#leafNodes?.port;
  }

  /** The options in force, defaults filled in. */
  get options(): ResolvedOptions {
    return this.#options;
  }

  /** The client port once listening (the real one when `port: 0` was asked). */
  get port(): number | undefined {
    return this.#port;
  }

  /** `nats://host:port` once listening, for clients to connect to. */
  get url(): string | undefined {
    if (this.#port === undefined) return undefined;
    const host = this.#options.host.includes(":") ? `[${this.#options.host}]` : this.#options.host;
    return `nats://${host}:${this.#port}`;
  }

  /** Open client connections. */
  get numClients(): number {
    return this.#clients.size;
  }

  /** Subscriptions across every connection. */
  get numSubscriptions(): number {
    return this.#sublist.count;
  }

  /** Message and byte counters since start, as `/varz`. */
  get stats(): Readonly<TrafficStats> {
    this.#foldStats();
    return this.#stats;
  }

  /**
   * Opens the configured ports; with no `port` option there is no client port and the bus
   * stays in-process. Resolves once connections are accepted and stored streams are back.
   */
  async listen(): Promise<void> {
    if (this.#closed) throw new ServerClosedError();
    const { host, port, websocket, http, logger } = this.#options;
    if (http !== undefined && this.#monitor === undefined) {
      // Loaded here, not at import: the HTTP server, dashboard and prom-client cost ~50 ms and
      // ~12 MB, paid only by those who ask for a monitoring port.
      const { startMonitorServer } = await import("../monitor/monitor-server.ts");
      if (this.#closed) throw new ServerClosedError();
      // server.go startMonitoring: https uses the client port's certificate, asks for no client's.
      const tls = http.secure ? this.#options.tls?.material() : undefined;
      this.#monitor = await startMonitorServer(() => this[kIntrospect](), http, tls);
      logger.info(`Starting ${http.secure ? "https" : "http"} monitor on ${http.host}:${this.#monitor.port}`);
    }
    // As nats-server: client ports open only once JetStream has recovered its streams, so that
    // no publish from a client can reach a stream subject before the stream is there again.
    await this.#jetstream?.ready;
    if (this.#closed) throw new ServerClosedError();
    if (port !== undefined && this.#tcp === undefined) {
      // node:net loads only for a client port: an in-process bus never needs it.
      const { listenTcp } = await import("../transport/tcp.ts");
      if (this.#closed) throw new ServerClosedError();
      const tls = this.#options.tls;
      this.#tcp = await listenTcp(host, port, (socket) => {
        if (tls !== undefined) this.#acceptTls(socket, tls);
        else this.handle(socket, { transport: "tcp", remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
      });
      this.#tcp.on("error", (err) => this.#reportError(err));
      const address = this.#tcp.address();
      this.#port = typeof address === "object" && address !== null ? address.port : port;
      this.#buildInfoPrefix();
      logger.info(`Listening for client connections on ${host}:${this.#port}`);
      this.#emitSafely("listening", { host, port: this.#port });
    }
    if (websocket !== undefined && this.#websocket === undefined) {
      // `ws` and node:http load only for a WebSocket port (the options were checked at createServer()).
      const { listenWebSocket } = await import("../transport/websocket.ts");
      if (this.#closed) throw new ServerClosedError();
      this.#websocket = await listenWebSocket(websocket, (stream, info) => this.handle(stream, { transport: "websocket", ...info }), {
        maxPayload: this.#options.maxPayload,
        logger,
      });
      this.#buildInfoPrefix();
      logger.info(`Listening for websocket clients on ${websocket.tls !== undefined ? "wss" : "ws"}://${websocket.host}:${this.#websocket.port}`);
      if (websocket.tls === undefined) logger.warn("Websocket not configured with TLS. DO NOT USE IN PRODUCTION!");
    }
    await this.#leafNodes?.start();
    await this.#startRoutes();
  }

  /** Loaded on first use, as the leaf node manager is: only clustered servers pay for it. */
  async #startRoutes(): Promise<void> {
    const cluster = this.#options.cluster;
    if (cluster === undefined || this.#routes !== undefined) return;
    const { Routes } = await import("../route/routes.ts");
    if (this.#closed || this.#routes !== undefined) return;
    const server = this;
    const accounts = this.#accounts.list().map((account) => ({ account, feed: account.sublist as unknown as InterestFeed }));
    this.#routes = new Routes(
      {
        get options() {
          return server.#options;
        },
        stats: this.#stats,
        serverId: this.id,
        serverName: this.#options.serverName ?? this.id,
        accounts,
        systemAccount: this.#accounts.system,
        clientUrl: () => (server.#port === undefined ? undefined : `${server.#options.host}:${server.#port}`),
        // client.go processMsgResults: from a route, only to leaf nodes that connect to us, and
        // never back to the leaf node cluster an LMSG came from (cluster-wide no echo).
        leafTakesRouted: (sink, origin) =>
          sink.kind !== SinkKind.leaf || ((sink as LeafLink).role === "accept" && (origin === "" || (sink as LeafLink).remoteCluster !== origin)),
        nextCid: () => server.#nextCid++,
        clusterUrlsChanged: () => server.#clusterUrlsChanged(),
        routeUp: (route) => server.#emitSafely("route:connect", route),
        routeDown: (route, reason) => server.#emitSafely("route:close", route, reason),
        slowConsumer: (info, reason) => {
          server.#stats.slowConsumers++;
          server.#emitSafely("slow-consumer", info, reason);
        },
      },
      cluster,
    );
    await this.#routes.start();
  }

  /** The cluster's client URLs changed: INFO says so, and protocol-1 clients hear it at once. */
  #clusterUrlsChanged(): void {
    this.#buildInfoPrefix();
    for (const client of this.#clients.values()) {
      if (client.connectOptions.protocol >= PROTO_VERSION) client.send(this.#asyncInfo(client));
    }
  }

  /** nats-server's `/varz`, in-process. */
  varz(): Varz {
    return varz(this[kIntrospect]());
  }

  /** nats-server's `/connz`, in-process; throws `MonitorRequestError` for options nats-server refuses. */
  connz(options?: ConnzOptions): Connz {
    return connz(this[kIntrospect](), options);
  }

  /** nats-server's `/subsz`, in-process. */
  subsz(options?: SubszOptions): Subsz {
    return subsz(this[kIntrospect](), options);
  }

  /** nats-server's `/jsz`, in-process (`{ disabled: true, ... }` when JetStream is off). */
  jsz(options?: JszOptions): Jsz {
    return jsz(this[kIntrospect](), options);
  }

  /** nats-server's `/accountz`, in-process: the accounts, or one's detail (`{ account }`). */
  accountz(options?: AccountzOptions): Record<string, unknown> {
    return accountz(this[kIntrospect](), options);
  }

  /** nats-server's `/accstatz`, in-process: each account's connections and traffic. */
  accstatz(options?: AccstatzOptions): Record<string, unknown> {
    return accstatz(this[kIntrospect](), options);
  }

  /** nats-server's `/routez`, in-process. */
  routez(options?: RoutezOptions): Routez {
    return routez(this[kIntrospect](), options);
  }

  /** nats-server's `/leafz`, in-process. */
  leafz(options?: LeafzOptions): Leafz {
    return leafz(this[kIntrospect](), options);
  }

  /** nats-server's `/healthz`, in-process. */
  healthz(): HealthStatus {
    return healthz(this[kIntrospect]());
  }

  /** Every open port, by kind (`nats`, `websocket`, `monitoring`), once listening. */
  get ports(): ServerPorts {
    const ports: { -readonly [K in keyof ServerIntrospection["ports"]]: ServerIntrospection["ports"][K] } = {};
    if (this.#port !== undefined) ports.nats = { host: this.#options.host, port: this.#port };
    if (this.#websocket !== undefined) ports.websocket = { host: this.#websocket.host, port: this.#websocket.port };
    if (this.#monitor !== undefined) ports.monitoring = { host: this.#monitor.host, port: this.#monitor.port };
    const clusterPort = this.#routes?.port;
    if (clusterPort !== undefined) ports.cluster = { host: this.#options.cluster?.host ?? this.#options.host, port: clusterPort };
    return ports;
  }

  /** @internal Read-only state for the monitoring endpoints. */
  [kIntrospect](): ServerIntrospection {
    // The in-process API counts apart, to keep its hot path off shared objects.
    this.#foldStats();
    const server = this;
    return {
      id: this.id,
      name: this.#options.serverName ?? this.id,
      version: SERVER_VERSION,
      startTime: this.#startTime,
      options: this.#options,
      stats: this.#stats,
      sublist: this.#sublist,
      clients: () => server.#clients.values(),
      closedClients: () => server.#closedClients,
      ports: this.ports,
      totalConnections: this.#totalConnections,
      jetstream: this.#options.jetstream === undefined || this.#jetstream === undefined ? undefined : { options: this.#options.jetstream, accounts: this.#jetstream.services() },
      leafNodes: this.#leafNodes?.view,
      routes: this.#routes,
      accounts: () => server.#accountViews(),
      systemAccount: this.#accounts.system?.name,
      ...(this.#options.http?.tail === true && { tap: (subject: string, options?: TapOptions) => server.tap(subject, options) }),
    };
  }

  /**
   * Serves the NATS client protocol over any duplex byte stream: a socket, one end of an
   * in-memory pipe, a child's stdio. Same parser, limits and routing as every other client.
   */
  handle(stream: Duplex, options: HandleOptions = { transport: "custom" }): void {
    if (this.#closed) {
      stream.destroy();
      return;
    }
    this.#admit(stream, options, this.#nextCid++, undefined);
  }

  /**
   * Creates the client for an accepted stream. `greeted` is set when INFO already went out
   * (in plain text, before a TLS upgrade) with that nonce.
   */
  #admit(stream: Duplex, info: ConnectionInfo, cid: number, greeted: { nonce: string | undefined } | undefined): void {
    const client = new Client(this.#host, cid, stream, info);
    this.#clients.set(cid, client);
    this.#totalConnections++;
    if (greeted === undefined) {
      const nonce = this.#auth.needsNonce ? newNonce() : undefined;
      client.greet(this.#infoFor(cid, info, nonce), nonce);
    } else {
      client.greet(undefined, greeted.nonce);
    }
    // server.go: INFO goes out first, then the max-connections check.
    if (this.#clients.size > this.#options.maxConnections) {
      client.closeWithError(WireError.MaxConnectionsExceeded, CloseReason.MaxConnectionsExceeded);
      return;
    }
    this.#options.logger.debug(`${describe(client)} - Client connection created`);
    this.#emitSafely("client:connect", eventInfo(client));
  }

  /**
   * A TCP client on a TLS server: INFO in plain text, then the upgrade (or TLS first). With
   * `allowNonTls`, the client's first byte decides whether it upgrades or stays plain.
   */
  #acceptTls(socket: Socket, tls: ResolvedTls): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const base = { transport: "tcp", remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    const cid = this.#nextCid++;
    let nonce: string | undefined;
    if (!tls.handshakeFirst) {
      nonce = this.#auth.needsNonce ? newNonce() : undefined;
      socket.write(this.#infoFor(cid, base, nonce));
    }
    const greeted = tls.handshakeFirst ? undefined : { nonce };
    this.#pendingTls.add(socket);
    const upgrade = (): void =>
      startTls(
        socket,
        tls,
        (secure) => {
          this.#pendingTls.delete(socket);
          // A handshake that ends after close() began: its socket was never a client to close.
          if (this.#closed) {
            secure.destroy();
            return;
          }
          const info = { ...base, tls: peerIdentity(secure, tls.verify) };
          this.#admit(secure, info, cid, greeted);
        },
        (reason) => {
          this.#pendingTls.delete(socket);
          // server.go tlsTimeout: a client that never started TLS is told why it is cut.
          if (reason === "timeout" && !socket.destroyed) socket.end(encodeError(WireError.TlsRequired));
          setTimeout(() => socket.destroy(), 100).unref();
          this.#options.logger.debug(`${base.remoteAddress}:${base.remotePort} - cid:${cid} - TLS handshake ${reason === "timeout" ? "timeout" : "error"}`);
        },
      );
    // server.go: "TLS Handshake First" overrides allow_non_tls.
    if (!this.#options.allowNonTls || tls.handshakeFirst) {
      upgrade();
      return;
    }
    sniffTls(
      socket,
      tls.timeout,
      (isTls) => {
        if (this.#closed) socket.destroy();
        else if (isTls) upgrade();
        else {
          this.#pendingTls.delete(socket);
          this.#admit(socket, base, cid, greeted);
        }
      },
      () => {
        this.#pendingTls.delete(socket);
        socket.destroy();
      },
    );
  }

  /**
   * Publishes in-process, with no protocol bytes: network subscribers get it as MSG/HMSG,
   * in-process ones as a message object. Returns whether anyone received it.
   */
  publish(subject: string, data?: Payload, options?: PublishOptions): boolean {
    return this.#direct.publish(subject, data, options);
  }

  /** Subscribes in-process: a callback, or an async iterator of messages (nats.js-shaped). */
  subscribe(subject: string, options?: SubscribeOptions): DirectSubscription {
    return this.#direct.subscribe(subject, options);
  }

  /** Request/reply in-process; rejects at once with `NoRespondersError` when nobody listens. */
  request(subject: string, data?: Payload, options?: RequestOptions): Promise<DirectMsg> {
    return this.#direct.request(subject, data, options);
  }

  /**
   * The in-process API acting as a user: a name from `authorization.users`, or a user with
   * permissions given directly. Without it the in-process API is fully trusted.
   */
  as(user: string | AuthenticatedUser): UserScopedApi {
    const resolved = typeof user === "string" ? this.#auth.lookup(user) : user;
    if (resolved === undefined) throw new InvalidArgumentError("user", `"${String(user)}" is not a configured user`);
    return this.#directOf(resolved.account).as(resolved);
  }

  /**
   * The in-process API inside one account (`accounts`), fully trusted: what it publishes and
   * subscribes to stays in that account's subject space, and crosses only by its imports.
   */
  account(name: string): AccountScopedApi {
    if (this.#closed) throw new ServerClosedError();
    const direct = this.#directOf(name);
    return {
      account: name,
      publish: (subject, data, options) => direct.publish(subject, data, options),
      subscribe: (subject, options) => direct.subscribe(subject, options),
      request: (subject, data, options) => direct.request(subject, data, options),
      tap: (subject, options) => direct.tap(subject, options),
    };
  }

  /** Records what crosses the bus on `subject`, from any client, for tests to assert on. */
  tap(subject: string, options?: TapOptions): Tap {
    return this.#direct.tap(subject, options);
  }

  /**
   * A client connection with no socket: the returned end of an in-memory pipe speaks the NATS
   * protocol to this server (same parser, limits and routing as TCP). Hand it to any client
   * that takes a duplex stream.
   */
  inProcessConn(): Duplex {
    if (this.#closed) throw new ServerClosedError();
    const [clientEnd, serverEnd] = duplexPair();
    // Node 20's duplexPair does not tell one end that the other was destroyed; a socket
    // would, and both sides rely on it to notice a hang-up. Hooking _destroy rather than the
    // 'close' event: clients (nats.js among them) remove every listener before destroying.
    linkDestroy(clientEnd, serverEnd);
    linkDestroy(serverEnd, clientEnd);
    this.handle(serverEnd, { transport: "memory" });
    return clientEnd;
  }

  /**
   * The official client (`@nats-io/transport-node`), connected over an in-memory pipe: the whole
   * nats.js API, JetStream and KV included, with no socket. `servers` is ignored; reconnect is
   * off by default (a pipe does not drop).
   */
  connect(options: ConnectionOptions = {}): Promise<NatsConnection> {
    if (this.#closed) return Promise.reject(new ServerClosedError());
    // Loaded on first use, as the client packages it loads are.
    return import("../transport/in-process-client.ts").then(({ connectInProcess, registerInProcessServer }) => {
      if (this.#closed) throw new ServerClosedError();
      this.#unregister ??= registerInProcessServer(this.id, this);
      return connectInProcess(this.id, options);
    });
  }

  /**
   * Changes limits and authentication at runtime, all or nothing (an invalid value throws and
   * changes nothing), as nats-server's configuration reload: new limits apply to connected
   * clients from their next op, keepalives re-arm, clients over a lowered `maxConnections` are
   * closed newest first, and a new `authorization` re-checks every client (see `setAuth`).
   */
  reload(changes: ReloadableOptions): void {
    if (this.#closed) throw new ServerClosedError();
    const input: ServerOptions = { ...this.#input, ...changes };
    const next = resolveOptions(input);
    const auth = "authorization" in changes && this.#trusted === undefined ? new Authenticator(next.authorization, next.tls?.verifyAndMap, this.#calloutBus) : this.#auth;
    this.#input = input;
    this.#options = next;
    this.#auth = auth;
    this.#buildInfoPrefix();
    for (const direct of [this.#direct, ...this.#accountDirect.values()]) direct.setMaxPayload(next.maxPayload);
    for (const client of this.#clients.values()) client.applyLimits();
    const excess = this.#clients.size - next.maxConnections;
    if (excess > 0) {
      const newest = [...this.#clients.values()].slice(-excess);
      for (const client of newest) client.closeWithError(WireError.MaxConnectionsExceeded, CloseReason.MaxConnectionsExceeded);
    }
    if ("authorization" in changes) for (const client of [...this.#clients.values()]) client.reauthenticate();
  }

  /**
   * Replaces authentication and permissions at runtime, without a restart. Every connected
   * client is checked again: one that no longer passes is closed with
   * `Authorization Violation`; one whose permissions changed loses the subscriptions they no
   * longer allow (with nats-server's permissions violation for each).
   */
  setAuth(auth: AuthOptions | undefined): void {
    if (this.#closed) throw new ServerClosedError();
    if (this.#trusted !== undefined) throw new InvalidArgumentError("auth", "in operator mode, users come from JWTs");
    this.#input = { ...this.#input, authorization: auth };
    this.#options = resolveOptions(this.#input);
    // The resolved options: with the users of every account, each in its account.
    this.#auth = new Authenticator(this.#options.authorization, this.#options.tls?.verifyAndMap, this.#calloutBus);
    this.#buildInfoPrefix();
    for (const client of [...this.#clients.values()]) client.reauthenticate();
  }

  /**
   * Lame duck mode, as nats-server's (SIGUSR2): stop accepting connections, tell protocol-1
   * clients with an INFO carrying `"ldm": true` (the official client reports an `ldm` status
   * and prepares to reconnect elsewhere), wait `lameDuckGracePeriod`, then close the remaining
   * clients spread over `lameDuckDuration` so they don't all reconnect at once, and shut down.
   */
  async lameDuck(): Promise<void> {
    if (this.#closed) return this.close();
    if (this.#lameDuck !== undefined) return this.#lameDuck;
    this.#lameDuck = (async () => {
      const { lameDuckDuration, lameDuckGracePeriod, logger } = this.#options;
      logger.info("Entering lame duck mode, stop accepting new clients");
      void this.#closeClientListeners();
      this.#routes?.lameDuck();
      for (const client of this.#clients.values()) {
        if (client.connectOptions.protocol >= PROTO_VERSION) {
          client.send(encodeInfo(`${this.#clientInfoJson(client.cid, client.info, client.maxPayload)},"ldm":true${this.#apiLevel()}}`));
        }
      }
      const signal = this.#stopping.signal;
      await sleep(lameDuckGracePeriod, signal);
      const clients = [...this.#clients.values()];
      const step = clients.length > 0 ? lameDuckDuration / clients.length : 0;
      for (let i = 0; i < clients.length; i++) {
        if (this.#closed) break;
        clients[i]!.close(CloseReason.ServerShutdown);
        if (step > 0 && i < clients.length - 1) await sleep(step, signal);
      }
      await this.close();
    })();
    return this.#lameDuck;
  }

  /** Whether lame duck mode has begun. */
  get inLameDuckMode(): boolean {
    return this.#lameDuck !== undefined;
  }

  /** Closes every connection, timer and listener. Safe to call more than once. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#stopping.abort();
    this.#closing = (async () => {
      const listenersClosed = this.#closeClientListeners();
      // The client port's close waits for every accepted socket, and these are no clients yet.
      for (const socket of this.#pendingTls) socket.destroy();
      this.#pendingTls.clear();
      const monitor = this.#monitor;
      this.#monitor = undefined;
      this.#unregister?.();
      // JetStream first: consumers stop and stores flush while the bus still works.
      await this.#jetstream?.close();
      this.#direct.close();
      for (const direct of this.#accountDirect.values()) direct.close();
      this.#system?.close();
      for (const client of [...this.#clients.values()]) client.close(CloseReason.ServerShutdown);
      await Promise.all([listenersClosed, monitor?.close(), this.#leafNodes?.close(), this.#routes?.close()]);
      this.#options.logger.info("Server Exiting..");
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Stops accepting clients (TCP and WebSocket); the monitoring port stays up. Resolves once
   * the listeners are fully closed, which for TCP means once every accepted socket has ended:
   * call it first, close the clients, then await it.
   */
  #closeClientListeners(): Promise<void> {
    if (this.#listenersClosed !== undefined) return this.#listenersClosed;
    const tcp = this.#tcp;
    const websocket = this.#websocket;
    this.#tcp = undefined;
    this.#websocket = undefined;
    this.#listenersClosed = Promise.all([
      tcp === undefined ? undefined : new Promise<void>((resolve) => tcp.close(() => resolve())),
      websocket?.close(),
    ]).then(() => undefined);
    return this.#listenersClosed;
  }

  /**
   * Events fire from inside message delivery and connection handling: a listener that throws
   * must not break delivery, cut an innocent client, or escape into the host. Its error is
   * reported on 'error' (or logged when nobody listens there).
   */
  #emitSafely<E extends Exclude<keyof ServerEvents, "error">>(event: E, ...args: Parameters<ServerEvents[E]>): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.#reportError(new Error(`a "${event}" listener threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
    }
  }

  /**
   * An 'error' event with no listener would throw into the host (EventEmitter's rule); a
   * broker must not take its host down for an accept error, so without a listener it is logged.
   */
  #reportError(err: Error): void {
    try {
      if (this.listenerCount("error") > 0) {
        this.emit("error", err);
        return;
      }
    } catch {
      // An 'error' listener that throws has nowhere left to report to: log it below.
    }
    this.#options.logger.error(err.message);
  }

  #scheduleFlush(client: Client): void {
    this.#dirty.push(client);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      // Runs once the current read (or timer) callback returns: everything a batch of input
      // produced for each client goes out in one write, like nats-server's flushClients.
      process.nextTick(this.#flushAll);
    }
  }

  readonly #flushAll = (): void => {
    this.#flushQueued = false;
    const dirty = this.#dirty;
    this.#dirty = [];
    for (let i = 0; i < dirty.length; i++) dirty[i]!.flush();
  };

  #onClientClosed(client: Client, reason: CloseReasonText): void {
    if (this.#clients.get(client.cid) !== client) return;
    this.#clients.delete(client.cid);
    this.#recordClosed(client, reason);
    if (client.connected) this.#system?.clientDisconnected(client, reason);
    this.#options.logger.debug(`${describe(client)} - Client connection closed: ${reason}`);
    this.#emitSafely("client:close", eventInfo(client), reason);
  }

  /** The in-process API of one account ($G's is the server's own publish/subscribe/request). */
  /** Who this server is in a trace event (core/message-trace.ts); read per traced message, so a reload's new name shows. */
  #traceServer(): TraceServer {
    const o = this.#options;
    return { id: this.id, name: o.serverName ?? this.id, host: o.host, version: SERVER_VERSION, jetstream: o.jetstream !== undefined, cluster: o.cluster?.name };
  }

  #newDirectApi(account: Account): DirectApi {
    const server = this;
    return new DirectApi({
      account,
      stats: this.#stats,
      maxPayload: this.#options.maxPayload,
      maxPending: this.#options.maxPending,
      callbackError: (err, sub) => {
        // Called inside a publish: nothing here may throw, not even an error whose toString
        // throws or a host logger that does (the publish would unwind past its bookkeeping).
        try {
          server.#options.logger.error(`in-process subscription "${sub.subject}" callback threw: ${String(err)}`);
        } catch {
          // The event below still reports it.
        }
        server.#emitSafely("subscription:error", err, { subject: sub.subject, queue: sub.queue, sid: sub.sid });
      },
      slowConsumer: (sub) => {
        server.#stats.slowConsumers++;
        const info = { cid: 0, transport: "direct", remoteAddress: undefined, remotePort: undefined, name: sub.subject };
        server.#emitSafely("slow-consumer", info, CloseReason.SlowConsumerPendingBytes);
      },
      // A method, not a getter: an accessor in this object slows every in-process publish.
      traceServer: () => server.#traceServer(),
    });
  }

  /**
   * jetstream.go `enableJetStreamAccounts`: `$G` alone has JetStream unless accounts other than
   * the system account are configured (or operator mode is on); then those that enable it.
   */
  #jetstreamEnabledAccounts(): ReadonlyMap<string, AccountJetStreamLimits> | "global" {
    const system = this.#accounts.system?.name;
    const others = this.#accounts.list().some((account) => account !== this.#account && account.name !== system);
    if (this.#trusted === undefined && !others) return "global";
    return this.#trusted === undefined ? this.#options.jetstreamAccounts : this.#trusted.jetstreamAccounts();
  }

  /** What `/accountz` shows of each account. */
  #accountViews(): AccountView[] {
    const definitions = this.#trusted?.accountDefinitions() ?? this.#options.accounts;
    const withJetStream = new Set(this.#jetstream?.services().map((s) => s.account));
    const global = this.#options.mappings === undefined ? undefined : { mappings: this.#options.mappings };
    return this.#accounts.list().map((account) => ({
      account,
      definition: account === this.#account ? global : definitions[account.name],
      jetstream: withJetStream.has(account.name),
    }));
  }

  /** Operator mode: the resolver's claim updates and lookups, in the system account. */
  #serveClaims(trusted: TrustedOperators): void {
    const logger = this.#options.logger;
    for (const skipped of trusted.skipped) logger.warn(`DirResolver - account JWT left out: ${skipped}`);
    if (this.#system === undefined) return;
    serveClaims(this.#system, {
      trusted,
      dir: this.#options.operator?.resolver?.dir,
      apply: (key, definition) => {
        const known = this.#accounts.get(key) !== undefined;
        const account = this.#accounts.upsert(key, definition);
        if (!known) this.#routes?.addAccount(account, account.sublist as unknown as InterestFeed);
        if (!known) this.#leafNodes?.addAccount(account, account.sublist as unknown as InterestFeed);
        void this.#jetstream?.accountChanged(account, trusted.jetstreamAccounts().get(key)).catch((err: unknown) => logger.error(`JetStream for account ${key}: ${String(err)}`));
        for (const client of [...this.#clients.values()]) if (client.account === key) client.reauthenticate();
      },
      log: (level, text) => (level === "error" ? logger.error(text) : logger.debug(text)),
    });
  }

  /** How the auth callout reaches its service: a request in the callout account, as any publisher's. */
  readonly #calloutBus: CalloutBus = (() => {
    const server = this;
    return {
      get signer() {
        // Made here when a reload or setAuth brings the callout in after start.
        server.#signingKey ??= newNkey(NKEY_PREFIX.server);
        return server.#signingKey;
      },
      get server() {
        return { id: server.id, name: server.#options.serverName ?? server.id, host: server.#options.host, version: SERVER_VERSION };
      },
      hasAccount: (name: string) => name === GLOBAL_ACCOUNT || server.#accounts.get(name) !== undefined,
      request: async (account: string, subject: string, payload: Uint8Array, headers: Record<string, string> | undefined, timeout: number) =>
        (await server.#directOf(account).request(subject, payload, { timeout, ...(headers === undefined ? {} : { headers }) })).data,
    };
  })();

  /** The in-process API of a configured account, made on first use. */
  #directOf(name: string | undefined): DirectApi {
    if (name === undefined || name === GLOBAL_ACCOUNT) return this.#direct;
    let direct = this.#accountDirect.get(name);
    if (direct === undefined) {
      const account = this.#accounts.get(name);
      if (account === undefined) throw new InvalidArgumentError("account", `"${name}" is not a configured account`);
      direct = this.#newDirectApi(account);
      this.#accountDirect.set(name, direct);
    }
    return direct;
  }

  #foldStats(): void {
    this.#direct.foldStats();
    for (const direct of this.#accountDirect.values()) direct.foldStats();
  }

  /** What the system account's services read. */
  #systemHost(): SystemHost {
    const server = this;
    const options = (): ResolvedOptions => server.#options;
    return {
      id: this.id,
      get name() {
        return options().serverName ?? server.id;
      },
      get host() {
        return options().host;
      },
      version: SERVER_VERSION,
      get jetstream() {
        return options().jetstream !== undefined;
      },
      get domain() {
        return options().jetstream?.domain;
      },
      varz: () => server.varz(),
      connz: (o) => server.connz(o),
      subsz: (o) => server.subsz(o),
      jsz: (o) => server.jsz(o),
      leafz: (o) => server.leafz(o),
      healthz: () => server.healthz(),
      statsz: () => server.#statsz(),
      error: (err) => server.#reportError(err instanceof Error ? err : new Error(String(err))),
    };
  }

  /** nats-server's ServerStats, as STATSZ carries it. */
  #statsz(): Record<string, unknown> {
    const stats = this.#stats;
    return {
      start: new Date(this.#startTime).toISOString(),
      mem: process.memoryUsage.rss(),
      cores: availableParallelism(),
      cpu: 0,
      connections: this.#clients.size,
      total_connections: this.#totalConnections,
      active_accounts: new Set([...this.#clients.values()].map((c) => c.account)).size,
      subscriptions: this.#accounts.list().reduce((n, account) => n + account.sublist.count, 0),
      sent: { msgs: stats.outMsgs, bytes: stats.outBytes },
      received: { msgs: stats.inMsgs, bytes: stats.inBytes },
      slow_consumers: stats.slowConsumers,
    };
  }

  /** Keeps what `/connz?state=closed` shows of a closed connection, bounded. */
  #recordClosed(client: Client, reason: CloseReasonText): void {
    const max = this.#options.maxClosedClients;
    if (max === 0) return;
    const { name, lang, version } = client.connectOptions;
    this.#closedClients.push({
      cid: client.cid,
      transport: client.info.transport,
      remoteAddress: client.info.remoteAddress,
      remotePort: client.info.remotePort,
      start: client.start,
      stop: Date.now(),
      lastActivity: client.lastActivity,
      reason,
      user: client.user,
      account: client.account,
      name,
      lang,
      version,
      rtt: client.rtt,
      inMsgs: client.inMsgs,
      outMsgs: client.outMsgs,
      inBytes: client.inBytes,
      outBytes: client.outBytes,
      subscriptions: client.closedSubscriptions,
    });
    if (this.#closedClients.length > max) this.#closedClients.splice(0, this.#closedClients.length - max);
  }

  #buildInfoPrefix(): void {
    const { host, serverName, maxPayload, allowNonTls } = this.#options;
    const auth = this.#auth;
    const tls = this.#options.tls;
    // Key order as nats-server 2.9/2.10 writes INFO; clients don't care, diffs do. With a
    // no_auth_user, INFO says no auth is required (server.go createClient).
    const fields = (tlsRequired: boolean, tlsAvailable: boolean, listener: { host: string; port: number }): Record<string, unknown> => ({
      server_id: this.id,
      server_name: serverName ?? this.id,
      version: SERVER_VERSION,
      proto: PROTO_VERSION,
      go: `node${process.versions.node}`,
      host: listener.host,
      port: listener.port,
      headers: true,
      ...(auth.required && auth.noAuthUser === undefined && { auth_required: true }),
      ...(tlsRequired && { tls_required: true }),
      ...(tls?.verify === true && { tls_verify: true }),
      ...(tlsAvailable && { tls_available: true }),
      max_payload: maxPayload,
      ...(this.#options.jetstream !== undefined && { jetstream: true }),
      ...this.#connectUrls(),
    });
    // server.go NewServer: with allow_non_tls, TLS is available rather than required, unless
    // every client must start with TLS (handshake_first, which createClient enforces).
    const required = tls !== undefined && (!allowNonTls || tls.handshakeFirst);
    const available = tls !== undefined && allowNonTls;
    this.#infoPrefix = JSON.stringify(fields(required, available, { host, port: this.#port ?? this.#options.port ?? 0 })).slice(0, -1);
    // nats-server 2.10.16+ (client.go generateClientInfoJSON): WebSocket clients are told the
    // WebSocket listener's host and port, and `tls_required` and `tls_available` both say
    // whether that listener serves TLS (wss); `tls_verify` stays the client port's.
    const ws = this.#websocket ?? { host, port: this.#port ?? this.#options.port ?? 0 };
    const wss = this.#options.websocket?.tls !== undefined;
    this.#wsInfoPrefix = JSON.stringify(fields(wss, wss, ws)).slice(0, -1);
  }

  /** INFO `connect_urls` in a cluster: our client URL first, then the other members' (route.go). */
  #connectUrls(): { connect_urls?: string[] } {
    const cluster = this.#options.cluster;
    if (cluster === undefined || cluster.noAdvertise || this.#port === undefined) return {};
    const own = `${this.#options.host}:${this.#port}`;
    const urls = [own, ...(this.#routes?.peerClientUrls() ?? []).filter((u) => u !== own)];
    return { connect_urls: [...new Set(urls)] };
  }

  #infoFor(cid: number, info: ConnectionInfo, nonce: string | undefined): Buffer {
    const json = this.#clientInfoJson(cid, info);
    const withNonce = nonce === undefined ? json : `${json},"nonce":"${nonce}"`;
    // nats-server's Info struct puts `domain` after the client's fields and the nonce, and
    // `api_lvl` after those.
    const domain = this.#options.jetstream?.domain;
    const withDomain = domain === undefined ? withNonce : `${withNonce},"domain":${JSON.stringify(domain)}`;
    return encodeInfo(`${withDomain}${this.#apiLevel()}}`);
  }

  /**
   * INFO's `api_lvl` (nats-server 2.11+, which sends it always): here only with JetStream on,
   * so that without it INFO stays byte for byte the one of the 2.10 this broker reports.
   */
  #apiLevel(): string {
    return this.#options.jetstream === undefined ? "" : `,"api_lvl":${JS_API_LEVEL}`;
  }

  /** An INFO sent after the greeting: the client's own, its payload limit included (client.go generateClientInfoJSON). */
  #asyncInfo(client: Client): Buffer {
    return encodeInfo(`${this.#clientInfoJson(client.cid, client.info, client.maxPayload)}${this.#apiLevel()}}`);
  }

  /** The INFO JSON for one client, without its closing brace (so fields can follow). */
  #clientInfoJson(cid: number, info: ConnectionInfo, maxPayload = this.#options.maxPayload): string {
    let prefix = info.transport === "websocket" ? this.#wsInfoPrefix : this.#infoPrefix;
    if (maxPayload !== this.#options.maxPayload) prefix = prefix.replace(`"max_payload":${this.#options.maxPayload}`, `"max_payload":${maxPayload}`);
    let json = `${prefix},"client_id":${cid}`;
    if (info.remoteAddress !== undefined) json += `,"client_ip":${JSON.stringify(info.remoteAddress)}`;
    return json;
  }
}

/**
 * Options read from `configFile` (if any) under the ones given: a bad file throws a
 * ConfigError naming file, line and column; unsupported keys become warnings on the logger.
 */
function withConfigFile(options: ServerOptions): ServerOptions {
  const { configFile, ...given } = options;
  if (configFile === undefined) return options;
  const loaded = loadConfigFile(configFile);
  const merged: ServerOptions = { ...loaded.options, ...given };
  for (const warning of loaded.warnings) (merged.logger ?? silentLogger).warn(warning);
  return merged;
}

/** Waits `ms`, or less if `signal` aborts (close() must not wait for lame duck timers). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

/** Destroying `a` destroys `b` too. */
function linkDestroy(a: Duplex, b: Duplex): void {
  const original = a._destroy.bind(a);
  a._destroy = (err, callback) => {
    b.destroy();
    original(err, callback);
  };
}

function eventInfo(client: Client): ClientEventInfo {
  return {
    cid: client.cid,
    transport: client.info.transport,
    remoteAddress: client.info.remoteAddress,
    remotePort: client.info.remotePort,
    name: client.connectOptions.name,
  };
}

/** nats-server's log prefix for a client: `127.0.0.1:53412 - cid:5`. */
function describe(client: Client): string {
  const { remoteAddress, remotePort, transport } = client.info;
  const where = remoteAddress !== undefined ? `${remoteAddress}:${remotePort ?? 0}` : transport;
  return `${where} - cid:${client.cid}`;
}

/** Creates a broker. Nothing listens until {@link Server.listen}; in-process use needs no port. */
export function createServer(options: ServerOptions = {}): Server {
  return new Server(options);
}
