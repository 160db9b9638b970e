/**
 * One route: a connection to another server of the cluster, either side of it (we dialed it:
 * "solicit"; it dialed us: "accept"). A route is one more kind of connection on the core
 * (nats-server's kind ROUTER): the core ({@link Connection}) owns buffering, the coalesced
 * write, the write deadline, the slow-consumer cut, keepalive and tracing; the route adds its
 * handshake, its ops and its interest.
 *
 * Every interest the peer announces (`RS+ <account> <subject>[ <queue> <weight>]`) becomes a
 * {@link Subscription} of this route in that account's sublist, so the one router delivers
 * local messages to it. However many of its subscriptions a message reaches, the route sends
 * it once, naming the queue groups it took (client.go addSubToRouteTargets): the router
 * collects it ({@link collectTarget}) and calls {@link RouteLink.sendCollected} at the end.
 */
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import { Connection, ConnectionKind } from "../core/connection.ts";
import { PublishGuard } from "../core/publish-guard.ts";
import { PublisherCache } from "../core/publisher-cache.ts";
import { deliverTraced, hasTraceHeader, MSG_TRACE_PROTO, stampHop, TraceKind } from "../core/message-trace.ts";
import { collectTarget, currentTrace, registerCollectingSink, type CollectingSink } from "../core/router.ts";
import { SinkKind, Subscription, type Payload } from "../core/subscription.ts";
import { redactSecrets } from "../core/trace.ts";
import { encodeInfo, PONG_FRAME } from "../protocol/encoder.ts";
import { ParseError, type ParseErrorCode } from "../protocol/parser-states.ts";
import { RouteParser, type RouteProtocolHandler } from "../protocol/route-parser.ts";
import { isValidSubject } from "../subjects/subject.ts";
import type { RouteHost, RouteInfo } from "./route-host.ts";

export type RouteRole = "solicit" | "accept";

/** Longest route control line: 16 times a client's (parser.go, for ROUTER, LEAF and GATEWAY). */
const ROUTE_CONTROL_LINE_FACTOR = 16;
/** Most members one route's queue weight stands for in a local pick. */
const MAX_QUEUE_WEIGHT = 256;
/** Largest message taken from a route (nats-server sets no limit on routes; we bound it). */
const ROUTE_MAX_PAYLOAD = 64 * 1024 * 1024;

export class RouteLink implements RouteProtocolHandler, CollectingSink {
  readonly kind = SinkKind.route;
  /** Never a publisher through the router: what a route brings is delivered by route-inbound. */
  readonly echo = false;
  /** The route permissions' export side, checked at delivery for wildcard interest that overlaps a deny. */
  readonly guard: PublishGuard | undefined;
  readonly role: RouteRole;
  readonly cid: number;
  /** The URL dialed (solicit side), or the one built from the peer's INFO. */
  url: URL | undefined;
  /** The peer's server id (its INFO `server_id`, its CONNECT `name`) and name. */
  peerId = "";
  peerName = "";
  /** The peer's own client URLs (INFO `connect_urls`), as it advertised them. */
  peerClientUrls: readonly string[] = [];
  /** The peer's route INFO as first received, to forward to the other routes (gossip). */
  peerInfo: RouteInfo | undefined;
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  readonly start = Date.now();

  readonly #host: RouteHost;
  readonly #conn: Connection;
  readonly #parser: RouteParser;
  /** The peer's interest, by `<account> <subject>[ <queue>]` (the sid, as route.go keys remote subs). */
  readonly #subs = new Map<string, Subscription[]>();
  /** One match cache per account the peer publishes in. */
  readonly #publishers = new Map<string, PublisherCache>();
  #connectReceived = false;
  #infoReceived = false;
  #registered = false;
  #closed = false;
  #peerHeaders = true;
  /** The peer takes LS+/LMSG (route.go `lnoc`, in its INFO or CONNECT). */
  #peerLnoc = false;
  #handshakeTimer: NodeJS.Timeout | undefined;
  /** Deliveries collect this route's targets while it is alive (router.ts). */
  readonly #unregisterCollecting = registerCollectingSink();
  /** `RMSG <account> <subject> ` for the last message sent without queue groups. */
  #lastPrefixKey = "";
  #lastPrefix: Buffer | undefined;

  constructor(host: RouteHost, stream: Duplex, role: RouteRole, cid: number, url?: URL) {
    this.#host = host;
    this.guard = host.permissions === undefined ? undefined : new PublishGuard(host.permissions);
    this.role = role;
    this.cid = cid;
    this.url = url;
    const { maxControlLine } = host.options;
    this.#parser = new RouteParser(this, { maxControlLine: maxControlLine * ROUTE_CONTROL_LINE_FACTOR, maxPayload: ROUTE_MAX_PAYLOAD });
    this.#conn = new Connection(ConnectionKind.Router, stream, host, {
      onData: this.#onData,
      onClose: (reason) => this.close(reason),
      scheduleFlush: () => process.nextTick(this.#flush),
      onSlowConsumer: (reason) => host.slowConsumer(this, reason),
      describe: () => this.#describe(),
    });
    // route.go createRoute: an accepted route has the auth timeout to send its CONNECT; both
    // sides must have exchanged INFO by then or the route is not going to work.
    this.#handshakeTimer = setTimeout(() => {
      if (!this.#registered) this.#fail("Authentication Timeout", role === "accept" ? "Authentication Timeout" : undefined);
    }, host.handshakeTimeout);
    this.#handshakeTimer.unref();
    // route.go createRoute: the soliciting side sends CONNECT, then both send INFO at once.
    if (role === "solicit") this.#queue(Buffer.from(`CONNECT ${host.connectJson(url!)}\r\n`, "utf8"));
    this.#queue(encodeInfo(host.routeInfoJson()));
  }

  get registered(): boolean {
    return this.#registered;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Subjects (and queue groups) the peer is interested in. */
  get remoteInterest(): number {
    return this.#subs.size;
  }

  get pendingBytes(): number {
    return this.#conn.pendingBytes;
  }

  get rtt(): number {
    return this.#conn.keepalive.rtt;
  }

  /** Last time the peer sent anything (ms since epoch). */
  get lastActivity(): number {
    return this.#conn.lastActivity;
  }

  /** The peer's subjects (and queue groups): `/routez?subs=1` `subscriptions_list`. */
  remoteSubjects(): string[] {
    return [...this.#subs.keys()].map((key) => key.slice(key.indexOf(" ") + 1));
  }

  get remoteEndpoint(): { ip: string; port: number } {
    const socket = this.#conn.stream as Partial<Socket>;
    return { ip: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
  }

  readonly #flush = (): void => this.#conn.flush();

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    let err: ParseErrorCode;
    try {
      err = this.#parser.parse(chunk);
    } catch (e) {
      // Nothing a peer sends may throw into the host.
      this.#host.logger.error(`${this.#describe()} - ${String(e)}`);
      err = ParseError.UnknownOperation;
    }
    switch (err) {
      case ParseError.None:
      case ParseError.Halted:
        break;
      case ParseError.ControlLineTooLong:
        this.#fail("Maximum Control Line Exceeded", "maximum control line exceeded");
        break;
      case ParseError.PayloadTooLarge:
        this.#fail("Maximum Message Payload Exceeded", "Maximum Payload Violation");
        break;
      case ParseError.BadArguments:
        // route.go: argument errors close the route without -ERR, as for clients.
        this.close("Protocol Violation");
        break;
      default:
        this.#fail("Parse Error", "Unknown Protocol Operation");
    }
  };

  // ---- handshake ----------------------------------------------------------------------------

  /** route.go processRouteConnect (accept side). */
  onConnect(json: string): void {
    this.#conn.trace?.in(`CONNECT ${redactSecrets(json)}`);
    if (this.role === "solicit" || this.#connectReceived) return;
    const c = parseObject(json);
    if (c === undefined) {
      this.close("Protocol Violation");
      return;
    }
    if (typeof c["lang"] === "string" && c["lang"] !== "") {
      this.#fail("Wrong Port", "attempted to connect to route port");
      return;
    }
    const str = (k: string): string => (typeof c[k] === "string" ? (c[k] as string) : "");
    const verdict = this.#host.checkConnect(str("cluster"), c["dynamic"] === true, str("user"), str("pass"));
    if (verdict !== undefined) {
      this.#fail(verdict.reason, verdict.error);
      return;
    }
    this.#connectReceived = true;
    this.peerId = str("name");
    this.#peerHeaders = c["headers"] === true;
    if (c["lnoc"] === true) this.#peerLnoc = true;
  }

  /** route.go processRouteInfo. */
  onInfo(json: string): void {
    this.#conn.trace?.in(`INFO ${json}`);
    if (!this.#mayProceed()) return;
    const info = parseObject(json) as RouteInfo | undefined;
    if (info === undefined || typeof info.server_id !== "string") {
      this.close("Protocol Violation");
      return;
    }
    if (this.#infoReceived) {
      // A later INFO about another server is gossip: that server joined the cluster.
      if (info.server_id !== this.peerId) {
        this.#host.implicitRoute(info);
        return;
      }
      // route.go processRouteInfo: a peer entering lame duck mode is no place for clients to go.
      if (info.ldm === true) this.peerClientUrls = [];
      else if (Array.isArray(info.connect_urls)) this.peerClientUrls = strings(info.connect_urls);
      else return;
      this.#host.peerUrlsChanged(this);
      return;
    }
    // We are a pool-less server (route.go: as nats-server with pool_size -1): one route per
    // peer carries every account. A 2.10+ peer dials a dedicated route for each pinned account
    // ($SYS by default) besides its main one; refused with nats-server's words, the main route
    // untouched (it must never count as a duplicate of it).
    if (typeof info.route_account === "string" && info.route_account !== "") {
      this.#fail("Protocol Violation", `Not possible to have a dedicated route for account ${JSON.stringify(info.route_account)} between those servers`);
      return;
    }
    this.#infoReceived = true;
    this.peerId = info.server_id;
    this.peerName = typeof info.server_name === "string" ? info.server_name : info.server_id;
    this.#peerHeaders = info.headers === true;
    if (info["lnoc"] === true) this.#peerLnoc = true;
    this.peerClientUrls = Array.isArray(info.connect_urls) ? strings(info.connect_urls) : [];
    this.peerInfo = info;
    if (this.url === undefined && typeof info.host === "string" && typeof info.port === "number") {
      try {
        this.url = new URL(`nats-route://${info.host.includes(":") ? `[${info.host}]` : info.host}:${info.port}/`);
      } catch {
        // No URL to redial: fine for an accepted route.
      }
    }
    const refusal = this.#host.infoReceived(this, info);
    if (refusal !== undefined) {
      this.close(refusal);
      return;
    }
    this.#registered = true;
    if (this.#handshakeTimer !== undefined) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#conn.keepalive.start(this.#host.options.pingInterval);
    this.#host.registered(this);
  }

  /** An accepted route must CONNECT before anything else (nats-server's expectConnect). */
  #mayProceed(): boolean {
    if (this.role === "accept" && !this.#connectReceived) {
      this.#fail("Authentication Failure", "Authorization Violation");
      return false;
    }
    return true;
  }

  // ---- interest: what the peer tells us -----------------------------------------------------

  /** route.go processRemoteSub (RS+, and LS+ with the leaf node cluster it comes from). */
  onRouteSub(account: string, subject: string, queue: string | undefined, weight: number, origin: string): void {
    if (this.#conn.trace !== undefined) {
      const op = origin === "" ? "RS+" : `LS+ ${origin}`;
      this.#conn.trace.in(queue === undefined ? `${op} ${account} ${subject}` : `${op} ${account} ${subject} ${queue} ${weight}`);
    }
    if (!this.#mayProceed() || !this.#registered) return;
    const acc = this.#host.account(account);
    if (acc === undefined) {
      // route.go: logged and ignored (the `$SYS` interest of a nats-server peer lands here).
      this.#host.logger.debug(`${this.#describe()} - Unknown account "${account}" for remote subject "${subject}"`);
      return;
    }
    const key = queue === undefined ? `${account} ${subject}` : `${account} ${subject} ${queue}`;
    let subs = this.#subs.get(key);
    if (subs === undefined) {
      if (!isValidSubject(subject)) {
        this.#conn.sendError("Invalid Subscription");
        return;
      }
      // route.go processRemoteSub, canExport: interest in what we do not export is ignored.
      const perms = this.#host.permissions;
      if (perms !== undefined && !perms.canSubscribe(subject, queue)) {
        this.#host.logger.debug(`${this.#describe()} - Can not export "${subject}", ignoring remote subscription request`);
        return;
      }
      subs = [];
      this.#subs.set(key, subs);
    } else if (queue === undefined) {
      return;
    }
    // sublist.go addNodeToResults: a route's queue subscription counts as many members as its
    // weight, so that the pick spreads over every member in the cluster. Here a weight is that
    // many entries of the route in the group (bounded: a peer cannot make us allocate at will).
    const want = queue === undefined ? 1 : Math.min(Math.max(weight, 1), MAX_QUEUE_WEIGHT);
    const denyCheck = this.#host.permissions?.needsDeliveryCheck(subject) ?? false;
    while (subs.length < want) {
      const sub = new Subscription(this, subject, queue, key);
      sub.denyCheck = denyCheck;
      // The sid leaves the origin out (route.go): the first announcement's origin stays.
      sub.origin = subs[0]?.origin ?? (origin === "" ? undefined : origin);
      subs.push(sub);
      acc.sublist.insert(sub);
    }
    if (subs.length > want) acc.sublist.removeBatch(subs.splice(want));
  }

  /** route.go processRemoteUnsub. */
  onRouteUnsub(account: string, subject: string, queue: string | undefined): void {
    this.#conn.trace?.in(queue === undefined ? `RS- ${account} ${subject}` : `RS- ${account} ${subject} ${queue}`);
    if (!this.#mayProceed()) return;
    const key = queue === undefined ? `${account} ${subject}` : `${account} ${subject} ${queue}`;
    const subs = this.#subs.get(key);
    if (subs === undefined) return;
    this.#subs.delete(key);
    this.#host.account(account)?.sublist.removeBatch(subs);
  }

  // ---- interest: what we tell the peer ------------------------------------------------------

  /** `RS+`/`RS-` lines the manager built (the whole map after registration, then each change). */
  sendInterest(frame: Buffer): void {
    if (this.#registered) this.#queue(frame);
  }

  /** Forwards another server's route INFO (gossip: route.go forwardNewRouteInfoToKnownServers). */
  sendInfo(json: string): void {
    if (this.#registered) this.#queue(encodeInfo(json));
  }

  // ---- messages out -------------------------------------------------------------------------

  /** The router reached one of our subscriptions: collected, sent once per message. */
  deliver(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    if (this.#closed || !this.#registered) return false;
    const sid = sub.sid;
    collectTarget(this, sid.slice(0, sid.indexOf(" ")), sub.queue, subject, reply, headerSize, data, start, end);
    return true;
  }

  /** Route interest has no `max`. */
  maxReached(): void {}

  /**
   * `RMSG <account> <subject> [+ <reply> <queues…> | | <queues…> | <reply>] <size>` (client.go
   * msgHeaderForRouteOrLeaf); from a leaf node cluster (`origin`) and to a peer that takes it,
   * `LMSG <origin> <account> …`, which always has a header size (0 for none).
   */
  sendCollected(account: string, subject: string, reply: string, queues: readonly string[], headerSize: number, data: Payload, start: number, end: number, origin: string): void {
    if (this.#closed) return;
    const trace = headerSize > 0 ? currentTrace() : undefined;
    if (trace !== undefined) {
      const target = { kind: TraceKind.router, cid: this.cid, name: this.peerName, account };
      const stamped = stampHop(trace, this, target, (this.peerInfo?.proto ?? 0) >= MSG_TRACE_PROTO, headerSize, data as Uint8Array, start, end);
      if (stamped === undefined) return;
      ({ headerSize, data, end } = stamped);
      start = 0;
    }
    if (headerSize >= 0 && !this.#peerHeaders) {
      start += headerSize;
      headerSize = -1;
    }
    const lmsg = origin !== "" && this.#peerLnoc;
    if (lmsg && headerSize < 0) headerSize = 0;
    const op = lmsg ? `LMSG ${origin}` : headerSize >= 0 ? "HMSG" : "RMSG";
    let prefix: Buffer;
    let tailReply = reply;
    if (queues.length > 0) {
      prefix = Buffer.from(`${op} ${account} ${subject} ${reply === "" ? `| ${queues.join(" ")}` : `+ ${reply} ${queues.join(" ")}`} `, "utf8");
      tailReply = "";
    } else {
      // The control line's start repeats while the subject does, as a client's MSG prefix.
      const key = `${op} ${account} ${subject} `;
      if (key !== this.#lastPrefixKey || this.#lastPrefix === undefined) {
        this.#lastPrefixKey = key;
        this.#lastPrefix = Buffer.from(key, "utf8");
      }
      prefix = this.#lastPrefix;
    }
    const size = end - start;
    this.#conn.trace?.out(`${prefix.toString("utf8")}${tailReply === "" ? "" : `${tailReply} `}${headerSize >= 0 ? `${headerSize} ` : ""}${size}`);
    this.outMsgs++;
    this.outBytes += size;
    const stats = this.#host.stats;
    stats.outMsgs++;
    stats.outBytes += size;
    this.#conn.queueMessage(prefix, tailReply, headerSize, data, start, end);
  }

  // ---- messages in --------------------------------------------------------------------------

  onRouteMsg(account: string, subject: string, reply: string, queues: readonly string[], headerSize: number, data: Buffer, start: number, end: number, origin: string): void {
    if (!this.#mayProceed() || !this.#registered) return;
    // Nothing we do not import arrives from a peer that honours our interest; one that sends
    // it anyway is not heard.
    const perms = this.#host.permissions;
    if (perms !== undefined && !perms.canPublish(subject)) return;
    const size = end - start;
    this.inMsgs++;
    this.inBytes += size;
    const stats = this.#host.stats;
    stats.inMsgs++;
    stats.inBytes += size;
    let publisher = this.#publishers.get(account);
    if (publisher === undefined) {
      const acc = this.#host.account(account);
      // route.go processInboundRoutedMsg: a message for an account we don't have is dropped.
      if (acc === undefined) return;
      publisher = acc.publisher();
      this.#publishers.set(account, publisher);
    }
    const acc = headerSize > 0 ? this.#host.account(account) : undefined;
    if (headerSize > 0 && hasTraceHeader(data, start, headerSize, acc)) {
      const ingress = { server: this.#host.traceServer, kind: TraceKind.router, cid: this.cid, name: this.peerName, account, publisher, subject, msgTrace: acc };
      deliverTraced(ingress, headerSize, data, start, end, (h, d, s, e) => this.#host.routeInbound(this, publisher, subject, reply, queues, h, d, s, e, origin));
      return;
    }
    this.#host.routeInbound(this, publisher, subject, reply, queues, headerSize === 0 ? -1 : headerSize, data, start, end, origin);
  }

  // ---- keepalive and errors -----------------------------------------------------------------

  onPing(): void {
    this.#conn.trace?.in("PING");
    this.#conn.keepalive.pingReceived();
    this.#queue(PONG_FRAME);
  }

  onPong(): void {
    this.#conn.trace?.in("PONG");
    this.#conn.keepalive.pongReceived();
  }

  onOk(): void {}

  onErr(text: string): void {
    this.#host.logger.error(`${this.#describe()} - remote error: ${text}`);
    if (/Authorization|Authentication|cluster name/i.test(text)) this.close("Authentication Failure");
  }

  #fail(reason: string, errText: string | undefined): void {
    if (errText !== undefined) this.#conn.sendError(errText);
    this.close(reason);
  }

  #describe(): string {
    const { ip, port } = this.remoteEndpoint;
    return `${ip || "route"}:${port} - rid:${this.cid}`;
  }

  #queue(frame: Buffer): void {
    if (this.#closed) return;
    if (this.#conn.trace !== undefined) for (const line of frame.toString("utf8").split("\r\n")) if (line !== "") this.#conn.trace.out(redactSecrets(line));
    this.#conn.queueFrame(frame);
  }

  /** Ends the route: the peer's interest leaves every account, queued frames go out first. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unregisterCollecting();
    this.#parser.halt();
    if (this.#handshakeTimer !== undefined) clearTimeout(this.#handshakeTimer);
    const byAccount = new Map<string, Subscription[]>();
    for (const [key, subs] of this.#subs) {
      const account = key.slice(0, key.indexOf(" "));
      const list = byAccount.get(account);
      if (list === undefined) byAccount.set(account, [...subs]);
      else list.push(...subs);
    }
    this.#subs.clear();
    for (const [account, subs] of byAccount) this.#host.account(account)?.sublist.removeBatch(subs);
    this.#conn.close(reason);
    this.#host.closed(this, reason);
  }
}

/**
 * Protocol version routes announce: server.go MsgTraceProto, one past RouteProtoV2 (accounts on
 * every op), so that a peer of 2.11 or later sends us traced messages to report on.
 */
export const ROUTE_PROTO = MSG_TRACE_PROTO;

function parseObject(json: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function strings(list: unknown[]): string[] {
  return list.filter((u): u is string => typeof u === "string");
}
