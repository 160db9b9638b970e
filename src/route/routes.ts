/**
 * The cluster side of one server (nats-server route.go): the route port, the configured routes
 * it keeps dialed, the routes it learns of (gossip), and the interest it tells them about.
 *
 * Interest: each account's sublist reports every change; what local clients, in-process
 * subscribers and leaf links want is counted per account as nats-server's `a.rm`
 * (route.go updateRouteSubscriptionMap): a subject's first and last subscription go out as
 * `RS+`/`RS-`, a queue group's every change as `RS+` with its weight, and its end as `RS-`.
 * What routes want is never told to other routes (the one-hop rule).
 */
import type { Duplex } from "node:stream";
import { createServer as createNetServer, connect as netConnect, type Server as NetServer, type Socket } from "node:net";
import { newNonce } from "../auth/credentials.ts";
import { SERVER_VERSION } from "../base/constants.ts";
import type { Account } from "../core/account.ts";
import type { TrafficStats } from "../core/client.ts";
import type { CloseReasonText } from "../core/close-reason.ts";
import type { ConnectionSettings } from "../core/connection-settings.ts";
import type { InterestFeed } from "../core/interest-feed.ts";
import type { CompiledPermissions } from "../core/permissions.ts";
import { SinkKind, type Subscription } from "../core/subscription.ts";
import { dialTls, startTls } from "../transport/tls.ts";
import { compileRoutePermissions, DEFAULT_ROUTE_CONNECT, DEFAULT_ROUTE_DIAL, DEFAULT_ROUTE_RECONNECT, type ResolvedCluster } from "./options.ts";
import type { ConnectRefusal, RouteHost, RouteInfo } from "./route-host.ts";
import { JetStreamBridge, JS_API_ALL } from "./jetstream-bridge.ts";
import { deliverFromRoute, type RoutedLeafFilter } from "./route-inbound.ts";
import { ROUTE_PROTO, RouteLink } from "./route-link.ts";

export type { InterestFeed } from "../core/interest-feed.ts";

/** What the route manager needs from the server. */
export interface RoutesHost {
  readonly options: ConnectionSettings & { readonly host: string };
  readonly stats: TrafficStats;
  readonly serverId: string;
  readonly serverName: string;
  /** Every account with the feed of its sublist's changes. */
  readonly accounts: readonly { readonly account: Account; readonly feed: InterestFeed }[];
  /** The system account (nats-server's `$SYS`), where JetStream members take API requests. */
  readonly systemAccount: Account | undefined;
  /** This server's client URL (`host:port`), once it listens; undefined without a client port. */
  clientUrl(): string | undefined;
  leafTakesRouted: RoutedLeafFilter;
  nextCid(): number;
  /** The client URLs of the cluster changed (a member came or went). */
  clusterUrlsChanged(): void;
  routeUp(info: RouteLinkInfo): void;
  routeDown(info: RouteLinkInfo, reason: string): void;
  slowConsumer(info: { cid: number; transport: string; remoteAddress: string | undefined; remotePort: number | undefined; name: string }, reason: CloseReasonText): void;
}

/** What the events and `server.routes` say about a route. */
export interface RouteLinkInfo {
  cid: number;
  /** `solicit`: we dialed it; `accept`: it dialed us. */
  role: "solicit" | "accept";
  /** The peer's server id and name. */
  serverId: string;
  serverName: string;
  /** The peer's route URL. */
  url: string | undefined;
  remoteInterest: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
}

/** One server to keep dialed: a configured route (for ever) or one learned by gossip (connectRetries). */
interface Dialer {
  url: URL;
  explicit: boolean;
  attempts: number;
  link: RouteLink | undefined;
  socket: Socket | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The server there is this one (route.go: a route to self is not retried). */
  self: boolean;
  /** The server id last found at this URL. */
  peerId: string | undefined;
  /**
   * That server is connected through another route (both sides dialed): not redialed while
   * that route lasts (client.go closeConnection for a duplicate route), then at once.
   */
  parked: boolean;
}

const HANDSHAKE_TIMEOUT = 5000;

export class Routes {
  readonly #host: RoutesHost;
  readonly #config: ResolvedCluster;
  #clusterName: string;
  #dynamicName: boolean;
  readonly #links = new Set<RouteLink>();
  /** Registered routes by the peer's server id: one per peer. */
  readonly #byId = new Map<string, RouteLink>();
  readonly #dialers: Dialer[] = [];
  /** Local interest per account: `subject` or `subject queue` → count (route.go `a.rm`). */
  readonly #rm = new Map<string, Map<string, number>>();
  readonly #byName = new Map<string, Account>();
  readonly #unobserve: (() => void)[] = [];
  readonly #linkHost: RouteHost;
  /** `cluster.permissions`, compiled once for every route. */
  readonly #permissions: CompiledPermissions | undefined;
  /** `$G`'s JetStream API, served by JetStream members of the cluster. */
  /** Per account (the system account aside): its clients' `$JS.API` requests to the cluster's JetStream members. */
  readonly #bridges = new Map<string, JetStreamBridge>();
  /** Routes with `$JS.API.>` interest in the system account: JetStream members. */
  #jetStreamRoutes = 0;
  #listener: NetServer | undefined;
  /** Accepted sockets still in their TLS handshake: close() ends them too. */
  readonly #handshaking = new Set<Socket>();
  #port: number | undefined;
  #closed = false;

  /** Follows an account's interest, to tell the routes of its changes. */
  #observe(account: Account, feed: InterestFeed): void {
    const rm = new Map<string, number>();
    this.#rm.set(account.name, rm);
    for (const sub of feed.all()) this.#count(rm, sub, 1);
    this.#unobserve.push(feed.observe((sub, delta) => this.#interestChanged(account.name, rm, sub, delta)));
  }

  /**
   * An account that came after the start (an operator's claim update): from now on its interest
   * crosses the routes and routed messages reach it. It has no subscriptions yet to announce.
   */
  addAccount(account: Account, feed: InterestFeed): void {
    if (this.#byName.has(account.name)) return;
    this.#byName.set(account.name, account);
    this.#addBridge(account);
    this.#observe(account, feed);
  }

  #addBridge(account: Account): void {
    const system = this.#host.systemAccount;
    if (system === undefined || account === system || this.#bridges.has(account.name)) return;
    const identity = { serverName: this.#host.serverName, clusterName: () => this.#clusterName };
    this.#bridges.set(account.name, new JetStreamBridge(account, system, identity, this.#jetStreamRoutes));
  }

  constructor(host: RoutesHost, config: ResolvedCluster) {
    this.#host = host;
    this.#config = config;
    this.#clusterName = config.name;
    this.#dynamicName = config.dynamicName;
    this.#permissions = compileRoutePermissions(config.permissions);
    for (const { account } of host.accounts) this.#byName.set(account.name, account);
    for (const { account } of host.accounts) this.#addBridge(account);
    for (const { account, feed } of host.accounts) this.#observe(account, feed);
    const manager = this;
    this.#linkHost = {
      get options() {
        return host.options;
      },
      get logger() {
        return host.options.logger;
      },
      stats: host.stats,
      permissions: this.#permissions,
      handshakeTimeout: config.authorization?.timeout ?? HANDSHAKE_TIMEOUT,
      routeInfoJson: () => manager.#routeInfoJson(),
      connectJson: (url) => manager.#connectJson(url),
      checkConnect: (cluster, dynamic, user, pass) => manager.#checkConnect(cluster, dynamic, user, pass),
      infoReceived: (link, info) => manager.#infoReceived(link, info),
      registered: (link) => manager.#registered(link),
      implicitRoute: (info) => manager.#implicitRoute(info),
      peerUrlsChanged: () => host.clusterUrlsChanged(),
      account: (name) => manager.#byName.get(name),
      get traceServer() {
        return { id: host.serverId, name: host.serverName, host: host.options.host, version: SERVER_VERSION, jetstream: false, cluster: manager.#clusterName };
      },
      routeInbound: (_source, publisher, subject, reply, queues, headerSize, data, start, end, origin) =>
        deliverFromRoute(publisher, host.leafTakesRouted, subject, reply, queues, headerSize, data, start, end, origin),
      slowConsumer: (link, reason) => {
        const { ip, port } = link.remoteEndpoint;
        host.options.logger.warn(`route rid:${link.cid} - Slow Consumer Detected: ${reason}`);
        host.slowConsumer({ cid: link.cid, transport: "route", remoteAddress: ip || undefined, remotePort: port || undefined, name: link.peerName || link.peerId }, reason);
      },
      closed: (link, reason) => manager.#linkClosed(link, reason),
    };
    for (const url of config.routes) this.#dialers.push({ url, explicit: true, attempts: 0, link: undefined, socket: undefined, timer: undefined, self: false, peerId: undefined, parked: false });
  }

  /** The route port once listening. */
  get port(): number | undefined {
    return this.#port;
  }

  get clusterName(): string {
    return this.#clusterName;
  }

  /** Registered routes. */
  links(): RouteLinkInfo[] {
    return [...this.#byId.values()].map((l) => this.#info(l));
  }

  /** Registered routes, for `/routez`. */
  establishedLinks(): RouteLink[] {
    return [...this.#byId.values()];
  }

  /** Whether `link` is one of the configured routes (`/routez` `is_configured`). */
  isConfigured(link: RouteLink): boolean {
    return this.#dialers.some((d) => d.explicit && d.link === link);
  }

  /** The client URLs of the other members, as they advertised them. */
  peerClientUrls(): string[] {
    if (this.#config.noAdvertise) return [];
    return [...this.#byId.values()].flatMap((l) => l.peerClientUrls);
  }

  /** Lame duck mode (server.go lameDuckMode, sendLDMToRoutes): the peers stop advertising our client URL. */
  lameDuck(): void {
    const info = JSON.parse(this.#routeInfoJson()) as Record<string, unknown>;
    delete info["nonce"];
    const json = JSON.stringify({ ...info, ldm: true });
    for (const link of this.#byId.values()) link.sendInfo(json);
  }

  /** Opens the route port and starts dialing the configured routes. */
  async start(): Promise<void> {
    if (this.#listener === undefined) {
      const host = this.#config.host ?? this.#host.options.host;
      const server = createNetServer((socket) => this.#accept(socket));
      this.#listener = server;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.#config.port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      server.on("error", (err) => this.#host.options.logger.error(`route listener: ${err.message}`));
      const address = server.address();
      this.#port = typeof address === "object" && address !== null ? address.port : this.#config.port;
      this.#host.options.logger.info(`Cluster name is ${this.#clusterName}`);
      this.#host.options.logger.info(`Listening for route connections on ${host}:${this.#port}`);
    }
    for (const dialer of this.#dialers) this.#dial(dialer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const unobserve of this.#unobserve.splice(0)) unobserve();
    for (const bridge of this.#bridges.values()) bridge.close();
    for (const dialer of this.#dialers) {
      if (dialer.timer !== undefined) clearTimeout(dialer.timer);
      dialer.socket?.destroy();
    }
    for (const socket of this.#handshaking) socket.destroy();
    this.#handshaking.clear();
    for (const link of [...this.#links]) link.close("Server Shutdown");
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener !== undefined) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  // ---- connections ---------------------------------------------------------------------------

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const tls = this.#config.tls;
    if (tls === undefined) {
      this.#links.add(new RouteLink(this.#linkHost, socket, "accept", this.#host.nextCid()));
      return;
    }
    // route.go createRoute: with TLS, the handshake comes first, before INFO, and the peer
    // must present a certificate our CA signed.
    this.#handshaking.add(socket);
    socket.on("error", () => undefined);
    startTls(
      socket,
      tls.accept,
      (secure) => {
        this.#handshaking.delete(socket);
        if (this.#closed) {
          secure.destroy();
          return;
        }
        this.#links.add(new RouteLink(this.#linkHost, secure, "accept", this.#host.nextCid()));
      },
      (why) => {
        this.#handshaking.delete(socket);
        this.#host.options.logger.error(`${socket.remoteAddress ?? "route"}:${socket.remotePort ?? 0} - TLS route handshake error: ${why}`);
        socket.destroy();
      },
    );
  }

  /** route.go connectToRoute: dial, and on failure retry every second (explicit: for ever). */
  #dial(dialer: Dialer): void {
    dialer.timer = undefined;
    if (this.#closed || dialer.self || dialer.link !== undefined || dialer.socket !== undefined) return;
    if (dialer.peerId !== undefined && this.#byId.has(dialer.peerId)) {
      dialer.parked = true;
      return;
    }
    dialer.attempts++;
    const socket = netConnect({ host: dialer.url.hostname.replace(/^\[|\]$/g, ""), port: Number(dialer.url.port) });
    dialer.socket = socket;
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(new Error("dial timeout")), DEFAULT_ROUTE_DIAL);
    timer.unref();
    socket.once("error", () => {
      clearTimeout(timer);
      if (dialer.socket !== socket) return;
      dialer.socket = undefined;
      this.#retry(dialer, DEFAULT_ROUTE_CONNECT);
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      dialer.socket = undefined;
      if (this.#closed) {
        socket.destroy();
        return;
      }
      // Errors from here on are the link's to handle (it closes and tells us).
      socket.on("error", () => undefined);
      if (this.#config.tls === undefined) this.#solicited(dialer, socket);
      else this.#dialTls(dialer, socket);
    });
  }

  #solicited(dialer: Dialer, stream: Duplex): void {
    const link = new RouteLink(this.#linkHost, stream, "solicit", this.#host.nextCid(), dialer.url);
    dialer.link = link;
    this.#links.add(link);
  }

  /** route.go createRoute, soliciting side: TLS as the client, the peer checked against the host dialed. */
  #dialTls(dialer: Dialer, socket: Socket): void {
    const tls = this.#config.tls!;
    dialer.socket = socket;
    const host = dialer.url.hostname.replace(/^\[|\]$/g, "");
    const secure = dialTls(socket, host, tls.dial);
    const failed = (why: string): void => {
      clearTimeout(timer);
      if (dialer.socket !== socket) return;
      dialer.socket = undefined;
      this.#host.options.logger.error(`${host}:${dialer.url.port} - TLS route handshake error: ${why}`);
      secure.destroy();
      socket.destroy();
      this.#retry(dialer, DEFAULT_ROUTE_CONNECT);
    };
    const timer = setTimeout(() => failed("timeout"), tls.timeout);
    timer.unref();
    secure.once("error", (err) => failed(err.message));
    secure.once("secureConnect", () => {
      clearTimeout(timer);
      if (dialer.socket !== socket) return;
      dialer.socket = undefined;
      if (this.#closed) {
        secure.destroy();
        return;
      }
      secure.on("error", () => undefined);
      this.#solicited(dialer, secure);
    });
  }

  #retry(dialer: Dialer, delay: number): void {
    if (this.#closed || dialer.self) return;
    const retries = this.#config.connectRetries;
    if (!dialer.explicit && dialer.attempts > retries) {
      this.#dialers.splice(this.#dialers.indexOf(dialer), 1);
      return;
    }
    dialer.timer = setTimeout(() => this.#dial(dialer), delay);
    dialer.timer.unref();
  }

  // ---- handshake ----------------------------------------------------------------------------

  #routeInfoJson(): string {
    const o = this.#host.options;
    const clientUrl = this.#host.clientUrl();
    return JSON.stringify({
      server_id: this.#host.serverId,
      server_name: this.#host.serverName,
      version: SERVER_VERSION,
      proto: ROUTE_PROTO,
      go: `node${process.versions.node}`,
      ...this.#advertised(),
      headers: true,
      ...(this.#config.authorization !== undefined && { auth_required: true }),
      ...(this.#config.tls !== undefined && { tls_required: true, tls_verify: true }),
      max_payload: o.maxPayload,
      nonce: newNonce(),
      cluster: this.#clusterName,
      ...(this.#dynamicName && { cluster_dynamic: true }),
      ...(!this.#config.noAdvertise && clientUrl !== undefined && { connect_urls: [clientUrl] }),
      // route.go: we take LS+/LS-/LMSG (leaf node origin cluster), so a peer tells us which leaf
      // node cluster interest and messages come from; we send none of them ourselves.
      lnoc: true,
    });
  }

  /**
   * Where the other members reach us (route.go setRouteInfoHostPortAndIP): with `advertise`,
   * INFO `host`, `port` and `ip` all name the advertised address, and the members that hear of
   * us by gossip dial `ip`; without it, the listen address and no `ip` (each peer then builds
   * one from the address it sees us at).
   */
  #advertised(): { host: string; port: number; ip?: string } {
    const port = this.#port ?? this.#config.port;
    const adv = this.#config.advertise;
    if (adv === undefined) return { host: this.#config.host ?? this.#host.options.host, port };
    const advPort = adv.port ?? port;
    return { host: adv.host, port: advPort, ip: `nats-route://${joinHostPort(adv.host, advPort)}/` };
  }

  /** route.go sendRouteConnect: `name` is our server id; credentials from the URL, else the cluster's. */
  #connectJson(url: URL): string {
    const auth = this.#config.authorization;
    const user = url.username !== "" ? decodeURIComponent(url.username) : auth?.user;
    const pass = url.username !== "" ? decodeURIComponent(url.password) : auth?.password;
    return JSON.stringify({
      echo: true,
      verbose: false,
      pedantic: false,
      ...(user !== undefined && { user }),
      ...(pass !== undefined && { pass }),
      tls_required: this.#config.tls !== undefined,
      headers: true,
      name: this.#host.serverId,
      cluster: this.#clusterName,
      dynamic: this.#dynamicName,
      lnoc: true,
    });
  }

  /** route.go processRouteConnect and the route authorization check. */
  #checkConnect(cluster: string, dynamic: boolean, user: string, pass: string): ConnectRefusal | undefined {
    const auth = this.#config.authorization;
    if (auth !== undefined && (user !== auth.user || pass !== auth.password)) {
      return { reason: "Authentication Failure", error: "Authorization Violation" };
    }
    if (cluster !== this.#clusterName) {
      if (this.#dynamicName && (!dynamic || this.#clusterName < cluster)) {
        this.#adoptName(cluster, dynamic);
      } else {
        return { reason: "Cluster Name Conflict", error: `Rejecting connection, cluster name "${cluster}" does not match "${this.#clusterName}"` };
      }
    }
    return undefined;
  }

  #adoptName(name: string, dynamic: boolean): void {
    this.#host.options.logger.info(`Cluster name updated to ${name}`);
    this.#clusterName = name;
    this.#dynamicName = dynamic;
  }

  /** route.go processRouteInfo / addRoute: self, cluster name, duplicates; undefined registers. */
  #infoReceived(link: RouteLink, info: RouteInfo): string | undefined {
    if (info.server_id === this.#host.serverId) {
      for (const d of this.#dialers) if (d.link === link) d.self = true;
      return "Duplicate Route";
    }
    const cluster = typeof info.cluster === "string" ? info.cluster : "";
    if (cluster !== "" && cluster !== this.#clusterName) {
      if (this.#dynamicName && (info.cluster_dynamic !== true || this.#clusterName < cluster)) this.#adoptName(cluster, info.cluster_dynamic === true);
      else return "Cluster Name Conflict";
    }
    const existing = this.#byId.get(info.server_id);
    if (existing !== undefined && existing !== link) {
      // Both servers dialed each other: both must keep the same connection, so the one dialed
      // by the server with the smaller id stays, whichever side decides.
      const solicitor = (l: RouteLink): string => (l.role === "solicit" ? this.#host.serverId : l.peerId);
      if (solicitor(link) >= solicitor(existing)) return "Duplicate Route";
      this.#host.routeDown(this.#info(existing), "Duplicate Route");
      this.#byId.set(info.server_id, link);
      existing.close("Duplicate Route");
    }
    this.#byId.set(info.server_id, link);
    return undefined;
  }

  #registered(link: RouteLink): void {
    // route.go sendSubsToRoute: the whole interest of every account.
    let text = "";
    for (const [account, rm] of this.#rm) {
      for (const [key, n] of rm) if (this.#imports(key)) text += subLine(account, key, n);
    }
    if (text !== "") link.sendInterest(Buffer.from(text, "utf8"));
    // route.go forwardNewRouteInfoToKnownServers: the others dial the newcomer.
    const info = link.peerInfo;
    if (info !== undefined && this.#byId.size > 1) {
      const { nonce: _nonce, ...rest } = info;
      const ip = typeof rest.ip === "string" && rest.ip !== "" ? rest.ip : this.#gossipIp(link, info);
      const json = JSON.stringify({ ...rest, ...(ip !== undefined && { ip }) });
      for (const other of this.#byId.values()) if (other !== link) other.sendInfo(json);
    }
    for (const d of this.#dialers) if (d.link === link) d.attempts = 0;
    this.#host.options.logger.info(`route rid:${link.cid} - Route connection ${link.role === "solicit" ? "created" : "accepted"} for ${link.peerName}`);
    this.#host.routeUp(this.#info(link));
    if (!this.#config.noAdvertise && link.peerClientUrls.length > 0) this.#host.clusterUrlsChanged();
  }

  /**
   * The `ip` we gossip for a peer that advertises none (route.go processRouteInfo): the address
   * its connection comes from with the route port its INFO gives, so that a peer listening on
   * 0.0.0.0 is still reachable; a stream with no address (a test pipe) falls back to the URL.
   * Never the dialed URL's credentials.
   */
  #gossipIp(link: RouteLink, info: RouteInfo): string | undefined {
    const { ip } = link.remoteEndpoint;
    if (ip !== "" && typeof info.port === "number") return `nats-route://${joinHostPort(ip.replace(/^::ffff:/, ""), info.port)}/`;
    return link.url === undefined ? undefined : `nats-route://${link.url.host}/`;
  }

  /** route.go processImplicitRoute: dial a server we heard of, unless we know it already. */
  #implicitRoute(info: RouteInfo): void {
    if (this.#closed || info.server_id === this.#host.serverId || this.#byId.has(info.server_id)) return;
    if (typeof info.ip !== "string") return;
    // A pinned account's route: a pool-less server does not dial those (route.go processImplicitRoute).
    if (typeof info.route_account === "string" && info.route_account !== "") return;
    let url: URL;
    try {
      url = new URL(info.ip);
    } catch {
      return;
    }
    const sameHost = (u: URL): boolean => u.hostname === url.hostname && u.port === url.port;
    if (this.#dialers.some((d) => sameHost(d.url))) return;
    const auth = this.#config.authorization;
    if (info.auth_required === true && auth !== undefined) {
      url.username = encodeURIComponent(auth.user);
      url.password = encodeURIComponent(auth.password);
    }
    const dialer: Dialer = { url, explicit: false, attempts: 0, link: undefined, socket: undefined, timer: undefined, self: false, peerId: undefined, parked: false };
    this.#dialers.push(dialer);
    this.#dial(dialer);
  }

  #linkClosed(link: RouteLink, reason: string): void {
    this.#links.delete(link);
    const wasRegistered = this.#byId.get(link.peerId) === link;
    if (wasRegistered) {
      this.#byId.delete(link.peerId);
      this.#host.routeDown(this.#info(link), reason);
      if (link.peerClientUrls.length > 0) this.#host.clusterUrlsChanged();
      // The dialers that stood back for this route take over.
      for (const d of this.#dialers) {
        if (d.parked && d.peerId === link.peerId) {
          d.parked = false;
          this.#retry(d, DEFAULT_ROUTE_RECONNECT);
        }
      }
    }
    const dialer = this.#dialers.find((d) => d.link === link);
    if (dialer === undefined) return;
    dialer.link = undefined;
    if (link.peerId !== "") dialer.peerId = link.peerId;
    if (this.#closed) return;
    if (!dialer.explicit && (wasRegistered || reason === "Duplicate Route")) {
      // route.go: a route learned by gossip is not redialed once it went away (the peer that
      // dialed it redials, or gossip brings it back).
      this.#dialers.splice(this.#dialers.indexOf(dialer), 1);
      return;
    }
    this.#retry(dialer, wasRegistered ? DEFAULT_ROUTE_RECONNECT : DEFAULT_ROUTE_CONNECT);
  }

  #info(link: RouteLink): RouteLinkInfo {
    return {
      cid: link.cid,
      role: link.role,
      serverId: link.peerId,
      serverName: link.peerName,
      url: link.url === undefined ? undefined : `nats-route://${link.url.host}`,
      remoteInterest: link.remoteInterest,
      inMsgs: link.inMsgs,
      outMsgs: link.outMsgs,
      inBytes: link.inBytes,
      outBytes: link.outBytes,
    };
  }

  // ---- interest -----------------------------------------------------------------------------

  /** route.go canImport: whether we tell the routes we want `subjectOrKey` (`subject[ queue]`). */
  #imports(subjectOrKey: string): boolean {
    const perms = this.#permissions;
    if (perms === undefined) return true;
    const space = subjectOrKey.indexOf(" ");
    return perms.canPublish(space < 0 ? subjectOrKey : subjectOrKey.slice(0, space));
  }

  /** Counts a subscription in `rm`; returns the new count, or -1 when it does not count. */
  #count(rm: Map<string, number>, sub: Subscription, delta: 1 | -1): number {
    const kind = sub.sink.kind;
    // Routes' interest stays with them (one hop); a tap is never interest.
    if (kind === SinkKind.route || kind === SinkKind.tap) return -1;
    const key = sub.queue === undefined ? sub.subject : `${sub.subject} ${sub.queue}`;
    const n = (rm.get(key) ?? 0) + delta;
    if (n > 0) rm.set(key, n);
    else rm.delete(key);
    return Math.max(n, 0);
  }

  #interestChanged(account: string, rm: Map<string, number>, sub: Subscription, delta: 1 | -1): void {
    if (sub.sink.kind === SinkKind.route && account === this.#host.systemAccount?.name && sub.subject === JS_API_ALL && sub.queue === undefined) {
      this.#jetStreamRoutes = Math.max(0, this.#jetStreamRoutes + delta);
      for (const bridge of this.#bridges.values()) bridge.routeInterest(sub.subject, sub.queue, delta);
    }
    const n = this.#count(rm, sub, delta);
    if (n < 0 || this.#byId.size === 0) return;
    if (!this.#imports(sub.subject)) return;
    const key = sub.queue === undefined ? sub.subject : `${sub.subject} ${sub.queue}`;
    // Plain interest: only the first and the last matter; a queue group's weight always does.
    if (sub.queue === undefined && !((delta > 0 && n === 1) || (delta < 0 && n === 0))) return;
    const frame = Buffer.from(n > 0 ? subLine(account, key, n) : `RS- ${account} ${key}\r\n`, "utf8");
    for (const link of this.#byId.values()) link.sendInterest(frame);
  }
}

/** `host:port`, with an IPv6 host in brackets (Go's net.JoinHostPort). */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `RS+ <account> <subject>` or `RS+ <account> <subject> <queue> <weight>` (route.go addRouteSubOrUnsubProtoToBuf). */
function subLine(account: string, key: string, n: number): string {
  return key.includes(" ") ? `RS+ ${account} ${key} ${n}\r\n` : `RS+ ${account} ${key}\r\n`;
}
