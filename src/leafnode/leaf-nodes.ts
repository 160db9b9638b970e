/**
 * Leaf nodes for one server: the remotes it dials (each redialed with backoff across its URLs
 * and the ones the hub advertises), the leaf port it accepts on, and the links that result.
 *
 * Accounts: each link lives in one account (a remote's `account`, an accepted spoke's user's),
 * and only that account's interest and messages cross it.
 *
 * Interest: every change in an account's sublist reaches the links of that account, which
 * update their interest maps with nats-server's rules (leafnode.go updateSmap): a
 * link never hears of its own interest; a hub (solicited link) hears of local interest and of
 * interest from leaf nodes that connect to us, never of other hubs'; a leaf node that connects
 * to us hears of everything; loop detection subjects always travel.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { Authenticator, type AuthenticatedUser, type AuthResult, type ConnectCredentials } from "../auth/authenticator.ts";
import { GLOBAL_ACCOUNT, type Account } from "../core/account.ts";
import type { ConnectAuthenticator } from "../core/identity.ts";
import type { InterestFeed } from "../core/interest-feed.ts";
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
import type { LeafAdmission, LinkHost } from "./link-host.ts";
import type { ResolvedLeafNodes, ResolvedLeafRemote } from "./options.ts";
import { RemoteDialer } from "./remote-dialer.ts";
import { routeFromLink } from "./route-inbound.ts";

/** What the manager needs from the server. */
export interface LeafNodesHost {
  readonly options: ConnectionSettings & { readonly host: string };
  /** Every account now, with the feed of its sublist's changes; later ones come through {@link LeafNodes.addAccount}. */
  accounts(): readonly { readonly account: Account; readonly feed: InterestFeed }[];
  /** The account a remote or a user names; undefined when there is none by that name. */
  account(name: string): Account | undefined;
  /**
   * The server's client authentication: a leaf port without `authorization` checks a spoke
   * as a client (auth.go isLeafNodeAuthorized falls back to isClientAuthorized).
   */
  readonly clientAuth: ConnectAuthenticator;
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
  /** The local account the link lives in. */
  account: string;
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
  /** Each account's interest feed, by account name: what a new link of the account is told. */
  readonly #feeds = new Map<string, InterestFeed>();
  readonly #unobserve: (() => void)[] = [];
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
      stats: host.stats,
      serverId: host.serverId,
      serverName: host.serverName,
      clusterName: () => host.clusterName(),
      lds: this.lds,
      handshakeTimeout: HANDSHAKE_TIMEOUT,
      isLink: (sink: MessageSink): sink is LeafLink => sink.kind === SinkKind.leaf,
      authenticate: (creds, nonce, remoteAddress) => manager.#authenticate(creds, nonce, remoteAddress),
      connectInfo: (cid, account, permissions) => {
        // leafnode.go sendPermsAndAccountInfo: the spoke's `import` is what it may receive, `export` what it may send.
        const perms = permissions === undefined ? "" : `,"import":${JSON.stringify(asList(permissions.subscribe))},"export":${JSON.stringify(asList(permissions.publish))}`;
        return `${manager.#hubInfo(cid, undefined).slice(0, -1)},"connect_info":true,"remote_account":${JSON.stringify(account)}${perms}}`;
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
    for (const { account, feed } of host.accounts()) this.addAccount(account, feed);
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
    for (const stop of this.#unobserve.splice(0)) stop();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Follows an account's interest (one that came after the start too: an operator's claim update). */
  addAccount(account: Account, feed: InterestFeed): void {
    if (this.#feeds.has(account.name)) return;
    this.#feeds.set(account.name, feed);
    this.#unobserve.push(feed.observe((sub, delta) => this.#interestChanged(account, sub, delta)));
  }

  /**
   * A subscription of `account` came (+1) or went (-1): every link of that account whose peer
   * should know is told. A link still in its handshake is not: it gets the whole map once established.
   */
  #interestChanged(account: Account, sub: Subscription, delta: 1 | -1): void {
    for (const link of this.#links) {
      if (link.established && link.account === account && this.#advertises(link, sub)) link.updateInterest(sub.subject, sub.queue, delta);
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
    for (const sub of this.#feeds.get(link.account.name)?.all() ?? []) {
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
      account: link.account.name,
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
    const account = this.#host.account(remote.account);
    if (account === undefined) {
      // Checked at createServer(); an operator's account can still be gone by now.
      this.#host.options.logger.error(`leafnode - unable to bind remote to local account ${JSON.stringify(remote.account)}: no such account`);
      socket.destroy();
      return undefined;
    }
    if (this.#atLeafLimit(account)) {
      // leafnode.go: registering the link with its account fails (maxAccountConnExceeded).
      this.#host.options.logger.error(`leafnode - account ${JSON.stringify(account.name)}: maximum account active connections exceeded`);
      socket.destroy();
      return undefined;
    }
    const link = new LeafLink(this.#linkHost, socket, "solicit", this.#host.nextCid(), account, { remote, url });
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
    // In $G until the spoke's CONNECT names its account; nothing enters a sublist before that.
    const link = new LeafLink(this.#linkHost, stream, "accept", cid, this.#host.account(GLOBAL_ACCOUNT)!);
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
      ...((this.#auth.required || this.#host.clientAuth.required) && { auth_required: true }),
      ...(this.#config.tls !== undefined && { tls_required: true }),
      max_payload: o.maxPayload,
      client_id: cid,
      ...(nonce !== undefined && { nonce }),
      info_on_connect: true,
      leafnode_urls: [`${host}:${port}`],
      ...(cluster !== undefined && { cluster }),
    });
  }

  /**
   * auth.go isLeafNodeAuthorized: the leaf port's own users when it has any, else the spoke is
   * checked as a client (users of accounts, `no_auth_user`, operator JWTs); then the link is
   * bound to the user's account (registerLeafWithAccount), refused when there is none.
   */
  #authenticate(creds: ConnectCredentials, nonce: string | undefined, remoteAddress: string | undefined): LeafAdmission | false | Promise<LeafAdmission | false> {
    const auth: ConnectAuthenticator = this.#auth.required ? this.#auth : this.#host.clientAuth;
    if (!auth.required) return this.#bind({ user: "" });
    // The spoke's address: a user JWT's `src` is checked against it, as for a client.
    const context = { transport: "leafnode", remoteAddress, tls: undefined };
    const settle = (r: AuthResult): LeafAdmission | false => (r === null || r === undefined || r === false ? false : this.#bind(r));
    try {
      const result = auth.authenticate(creds, context, nonce);
      return result instanceof Promise ? result.then(settle, () => false) : settle(result);
    } catch {
      return false;
    }
  }

  #bind(user: AuthenticatedUser): LeafAdmission | false {
    const name = user.account ?? GLOBAL_ACCOUNT;
    const account = this.#host.account(name);
    if (account === undefined) {
      this.#host.options.logger.error(`leafnode - authentication of user ${JSON.stringify(user.user)} failed, unable to lookup account ${JSON.stringify(name)}`);
      return false;
    }
    // auth.go registerLeafWithAccount: an account at its leaf limit refuses the login.
    if (this.#atLeafLimit(account)) return false;
    return { user, account };
  }

  /**
   * accounts.go maxTotalLeafNodesReached: the account's links, both directions, against its
   * limit. A dialed link counts from its start (it is bound from the start); an accepted one
   * once its login bound it (before, it only stands in `$G`).
   */
  #atLeafLimit(account: Account): boolean {
    if (account.maxLeafNodes < 0) return false;
    let links = 0;
    for (const link of this.#links) if (link.account === account && (link.established || link.role === "solicit")) links++;
    return links >= account.maxLeafNodes;
  }

}

/** A permission list as nats-server's JSON `SubjectPermission` (`{ allow, deny }`). */
function asList(p: SubjectPermission | string[] | undefined): SubjectPermission {
  if (p === undefined) return {};
  return Array.isArray(p) ? { allow: p } : p;
}
