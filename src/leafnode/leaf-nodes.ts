/**
 * Leaf nodes for one server: the remotes it dials (each redialed with backoff across its URLs
 * and the ones the hub advertises), the leaf port it accepts on, and the links that result.
 *
 * Interest: every change in the server's sublist reaches {@link LeafNodes.interestChanged},
 * which updates each link's interest map with nats-server's rules (leafnode.go updateSmap): a
 * link never hears of its own interest; a hub (solicited link) hears of local interest and of
 * interest from leaf nodes that connect to us, never of other hubs'; a leaf node that connects
 * to us hears of everything; loop detection subjects always travel.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { Authenticator, type AuthenticatedUser, type ConnectCredentials } from "../auth/authenticator.ts";
import type { SubjectPermission } from "../core/permissions.ts";
import { newNonce } from "../auth/credentials.ts";
import { SERVER_VERSION } from "../base/constants.ts";
import { MSG_TRACE_PROTO } from "../core/message-trace.ts";
import type { TrafficStats } from "../core/client.ts";
import type { CloseReasonText } from "../core/close-reason.ts";
import type { ConnectionSettings } from "../core/connection-settings.ts";
import { SinkKind, type MessageSink, type Subscription } from "../core/subscription.ts";
import { startTls } from "../transport/tls.ts";
import { LDS_PREFIX } from "./leaf-encoder.ts";
import { LeafLink, type LeafCloseInfo } from "./leaf-link.ts";
import type { LinkHost } from "./link-host.ts";
import type { ObservedSublist } from "./observed-sublist.ts";
import type { ResolvedLeafNodes, ResolvedLeafRemote } from "./options.ts";
import { RemoteDialer } from "./remote-dialer.ts";
import { routeFromLink } from "./route-inbound.ts";

/** What the manager needs from the server. */
export interface LeafNodesHost {
  readonly options: ConnectionSettings & { readonly host: string };
  readonly sublist: ObservedSublist;
  readonly stats: TrafficStats;
  readonly serverId: string;
  readonly serverName: string;
  /**
   * The cluster this server is a member of (undefined: none), named in our CONNECT and hub INFO
   * so that the other side keeps a leaf node cluster's messages from echoing back into it
   * (leafnode.go sendLeafConnect, remoteCluster).
   */
  clusterName(): string | undefined;
  nextCid(): number;
  /** Events: a link is up, a link went down, a peer reported an error. */
  linkUp(info: LeafLinkInfo): void;
  linkDown(info: LeafLinkInfo, reason: string): void;
  linkError(info: LeafLinkInfo, text: string): void;
  /**
   * A link was cut for not keeping up, as a slow client is: the host counts it (`/varz`
   * `slow_consumers`) and emits `slow-consumer`.
   */
  slowConsumer(info: SlowLinkInfo, reason: CloseReasonText): void;
}

/** A slow link as the `slow-consumer` event describes a connection. */
export interface SlowLinkInfo {
  cid: number;
  /** Always `leafnode`. */
  transport: string;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** The peer's server name. */
  name: string;
}

/** What the events and `server.leafNodes` say about a link. */
export interface LeafLinkInfo {
  cid: number;
  /** `solicit`: we dialed a hub; `accept`: a leaf node dialed us. */
  role: "solicit" | "accept";
  /** The peer's server id and name. */
  serverId: string;
  serverName: string;
  /** The URL dialed (solicit side). */
  url: string | undefined;
  /** Subjects (and queue groups) each side has announced. */
  remoteInterest: number;
  localInterest: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
}

/** Milliseconds a link has to complete its handshake (nats-server's auth timeout for leafs is 2s; the hub's INFO wait is 1s). */
const HANDSHAKE_TIMEOUT = 5000;

/** A 22-character random token, as nats-server's nuid. */
function nuid(): string {
  return randomBytes(16).toString("base64url").replace(/[-_]/g, "x").slice(0, 22);
}

export class LeafNodes {
  readonly #host: LeafNodesHost;
  readonly #config: ResolvedLeafNodes;
  readonly #links = new Set<LeafLink>();
  /** Accepted sockets still in their TLS handshake: not links yet, cut by close(). */
  readonly #handshaking = new Set<Socket>();
  readonly #urls = new Map<LeafLink, string>();
  readonly #dialers: RemoteDialer[] = [];
  readonly #linkHost: LinkHost;
  readonly #auth: Authenticator;
  readonly lds = `${LDS_PREFIX}${nuid()}`;
  #listener: NetServer | undefined;
  #port: number | undefined;
  #closed = false;

  constructor(host: LeafNodesHost, config: ResolvedLeafNodes) {
    this.#host = host;
    this.#config = config;
    this.#auth = new Authenticator(config.authorization);
    const manager = this;
    this.#linkHost = {
      get options() {
        return host.options;
      },
      get logger() {
        return host.options.logger;
      },
      sublist: host.sublist,
      stats: host.stats,
      serverId: host.serverId,
      serverName: host.serverName,
      clusterName: () => host.clusterName(),
      lds: this.lds,
      handshakeTimeout: HANDSHAKE_TIMEOUT,
      isLink: (sink: MessageSink): sink is LeafLink => sink.kind === SinkKind.leaf,
      authenticate: (creds, nonce) => manager.#authenticate(creds, nonce),
      connectInfo: (cid, permissions) => {
        // leafnode.go sendPermsAndAccountInfo: the spoke's `import` is what it may receive, `export` what it may send.
        const perms = permissions === undefined ? "" : `,"import":${JSON.stringify(asList(permissions.subscribe))},"export":${JSON.stringify(asList(permissions.publish))}`;
        return `${manager.#hubInfo(cid, undefined).slice(0, -1)},"connect_info":true,"remote_account":"$G"${perms}}`;
      },
      established: (link) => manager.#established(link),
      routeInbound: (source, subject, reply, queues, headerSize, data, start, end) =>
        routeFromLink(source, subject, reply, queues, headerSize, data, start, end),
      remoteError: (link, text) => host.linkError(manager.#info(link), text),
      slowConsumer: (link, reason) => {
        const { ip, port } = link.remoteEndpoint;
        host.options.logger.warn(`leafnode cid:${link.cid} - Slow Consumer Detected: ${reason}`);
        host.slowConsumer({ cid: link.cid, transport: "leafnode", remoteAddress: ip || undefined, remotePort: port || undefined, name: link.peerName || link.peerId }, reason);
      },
      closed: (link, info) => manager.#linkClosed(link, info),
    };
    host.sublist.listener = (sub, delta) => this.interestChanged(sub, delta);
    for (const remote of config.remotes) this.#dialers.push(new RemoteDialer(this, remote));
  }

  /** The leaf port once listening. */
  get port(): number | undefined {
    return this.#port;
  }

  /** The resolved `leafnodes` option, for `/varz` `leaf`. */
  get config(): ResolvedLeafNodes {
    return this.#config;
  }

  /** Links past their handshake, for `/leafz`. */
  establishedLinks(): LeafLink[] {
    return [...this.#links].filter((l) => l.established);
  }

  /** Open links. */
  links(): LeafLinkInfo[] {
    return [...this.#links].filter((l) => l.established).map((l) => this.#info(l));
  }

  /** Opens the leaf port and starts dialing the remotes. */
  async start(): Promise<void> {
    const listen = this.#config.listen;
    if (listen !== undefined && this.#listener === undefined) {
      const host = listen.host ?? this.#host.options.host;
      const server = createNetServer((socket) => this.#accept(socket));
      this.#listener = server;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(listen.port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      server.on("error", (err) => this.#host.options.logger.error(`leafnode listener: ${err.message}`));
      const address = server.address();
      this.#port = typeof address === "object" && address !== null ? address.port : listen.port;
      this.#host.options.logger.info(`Listening for leafnode connections on ${host}:${this.#port}`);
    }
    for (const dialer of this.#dialers) dialer.start();
  }

  /** Closes the port, stops dialing and ends every link. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const dialer of this.#dialers) dialer.stop();
    for (const link of [...this.#links]) link.close("Server Shutdown");
    // The port's close() waits for every accepted socket: one still in its handshake would
    // hold it for up to the TLS timeout.
    for (const socket of this.#handshaking) socket.destroy();
    this.#handshaking.clear();
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener !== undefined) await new Promise<void>((resolve) => listener.close(() => resolve()));
    this.#host.sublist.listener = undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A subscription came (+1) or went (-1): every link whose peer should know is told. */
  interestChanged(sub: Subscription, delta: 1 | -1): void {
    for (const link of this.#links) {
      if (this.#advertises(link, sub)) link.updateInterest(sub.subject, sub.queue, delta);
    }
  }

  /** leafnode.go updateSmap / initLeafNodeSmapAndSendSubs: who hears of which interest. */
  #advertises(link: LeafLink, sub: Subscription): boolean {
    const sink = sub.sink;
    if (sink === link) return false;
    // leafnode.go: interest from a leaf node cluster (a route's LS+, or another link of that
    // cluster) is not told to that cluster again: it has it through its own routes.
    const origin = sub.origin ?? (sink.kind === SinkKind.leaf ? (sink as LeafLink).remoteCluster : "");
    if (origin !== "" && origin === link.remoteCluster) return false;
    // leafnode.go initLeafNodeSmapAndSendSubs, updateSmap: a spoke tells its hub only about
    // local interest, never its routes' (each member of a leaf node cluster has its own link;
    // telling the hub a route's interest too would bring the message twice).
    if (sink.kind === SinkKind.route) return link.role === "accept";
    if (sink.kind !== SinkKind.leaf) return true;
    if (sub.subject.startsWith(LDS_PREFIX)) return true;
    // A hub hears of our own leaf nodes' interest, never of another hub's.
    return link.role === "accept" || (sink as LeafLink).role === "accept";
  }

  #established(link: LeafLink): void {
    for (const sub of this.#host.sublist.all()) {
      if (this.#advertises(link, sub)) link.updateInterest(sub.subject, sub.queue, 1);
    }
    // Every link carries our loop detection subject (leafnode.go initLeafNodeSmapAndSendSubs).
    link.updateInterest(this.lds, undefined, 1);
    link.sendAllInterest();
    const info = this.#info(link);
    this.#host.options.logger.info(
      `leafnode cid:${link.cid} - Leafnode connection ${link.role === "solicit" ? "created" : "accepted"} for ${link.peerName || link.peerId}`,
    );
    this.#host.linkUp(info);
  }

  #linkClosed(link: LeafLink, info: LeafCloseInfo): void {
    this.#links.delete(link);
    const url = this.#urls.get(link);
    this.#urls.delete(link);
    if (info.established) this.#host.linkDown({ ...this.#info(link), url }, info.reason);
    for (const dialer of this.#dialers) dialer.linkClosed(link, info);
  }

  #info(link: LeafLink): LeafLinkInfo {
    return {
      cid: link.cid,
      role: link.role,
      serverId: link.peerId,
      serverName: link.peerName,
      url: this.#urls.get(link),
      remoteInterest: link.remoteInterest,
      localInterest: link.localInterest,
      inMsgs: link.inMsgs,
      outMsgs: link.outMsgs,
      inBytes: link.inBytes,
      outBytes: link.outBytes,
    };
  }

  /** Solicit side: a TCP connection to a hub is open; the link takes it from here. */
  solicited(socket: Socket, remote: ResolvedLeafRemote, url: URL): LeafLink | undefined {
    if (this.#closed) {
      socket.destroy();
      return undefined;
    }
    const link = new LeafLink(this.#linkHost, socket, "solicit", this.#host.nextCid(), { remote, url });
    this.#links.add(link);
    this.#urls.set(link, `${url.protocol}//${url.host}`);
    return link;
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const tls = this.#config.tls;
    const cid = this.#host.nextCid();
    const nonce = newNonce();
    if (tls === undefined) {
      this.#admit(socket, cid, nonce, false);
      return;
    }
    // leafnode.go: INFO in plain text with tls_required, then the spoke starts TLS.
    socket.write(`INFO ${this.#hubInfo(cid, nonce)} \r\n`);
    this.#handshaking.add(socket);
    startTls(
      socket,
      tls,
      (secure) => {
        this.#handshaking.delete(socket);
        // A handshake that ends after close() began would add a link nobody closes, and keep
        // the leaf port's close() waiting for its socket until the spoke hangs up.
        if (this.#closed) secure.destroy();
        else this.#admit(secure, cid, nonce, true);
      },
      () => {
        this.#handshaking.delete(socket);
        socket.destroy();
      },
    );
  }

  #admit(stream: Duplex, cid: number, nonce: string, greeted: boolean): void {
    const link = new LeafLink(this.#linkHost, stream, "accept", cid);
    this.#links.add(link);
    link.greet(greeted ? undefined : this.#hubInfo(cid, nonce), nonce);
  }

  /**
   * The hub's INFO (leafnode.go createLeafNode): a non-zero `client_id` and a `leafnode_urls`
   * list, or a nats-server spoke decides it dialed the wrong port.
   */
  #hubInfo(cid: number, nonce: string | undefined): string {
    const o = this.#host.options;
    const host = this.#config.listen?.host ?? o.host;
    const port = this.#port ?? 0;
    const cluster = this.#host.clusterName();
    return JSON.stringify({
      server_id: this.#host.serverId,
      server_name: this.#host.serverName,
      version: SERVER_VERSION,
      // server.go MsgTraceProto: tells a spoke it may send us traced messages to report on.
      proto: MSG_TRACE_PROTO,
      go: `node${process.versions.node}`,
      host,
      port,
      headers: true,
      ...(this.#auth.required && { auth_required: true }),
      ...(this.#config.tls !== undefined && { tls_required: true }),
      max_payload: o.maxPayload,
      client_id: cid,
      ...(nonce !== undefined && { nonce }),
      info_on_connect: true,
      leafnode_urls: [`${host}:${port}`],
      ...(cluster !== undefined && { cluster }),
    });
  }

  #authenticate(creds: ConnectCredentials, nonce: string | undefined): AuthenticatedUser | false | Promise<AuthenticatedUser | false> {
    if (!this.#auth.required) return { user: "" };
    const context = { transport: "leafnode", remoteAddress: undefined, tls: undefined };
    const settle = (r: AuthenticatedUser | false | null | undefined): AuthenticatedUser | false => (r === null || r === undefined || r === false ? false : r);
    try {
      const result = this.#auth.authenticate(creds, context, nonce);
      return result instanceof Promise ? result.then(settle, () => false) : settle(result);
    } catch {
      return false;
    }
  }
}

/** A permission list as nats-server's JSON `SubjectPermission` (`{ allow, deny }`). */
function asList(p: SubjectPermission | string[] | undefined): SubjectPermission {
  if (p === undefined) return {};
  return Array.isArray(p) ? { allow: p } : p;
}
