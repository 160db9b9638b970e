/**
 * One leaf node connection, either side of it: the link this broker dialed to a hub
 * ("solicit", we are the spoke) or one a leaf node dialed to us ("accept", we are its hub).
 *
 * The link lives in one account (leafnode.go: a leaf connection is registered with one
 * account, as a client is): the remote's `account` on the solicit side, the authenticated
 * user's on the accept side. It is one more kind of subscriber in that account's `Sublist`:
 * every interest the peer announces (`LS+`) becomes a {@link Subscription} whose sink is this
 * link, so the one router delivers the account's publishes to it and it frames them as
 * `LMSG`/`HMSG` (leafnode.go sendLeafMsg). What arrives from the peer goes back to the
 * manager, which routes it in the same account, never back to this link.
 *
 * Buffering, flushing, the write deadline, the slow-consumer policy, keepalive and tracing
 * are the connection core's ({@link Connection}), as for a client: a link adds its handshake,
 * its ops and its interest.
 */
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import { CompiledPermissions } from "../core/permissions.ts";
import type { ConnectCredentials } from "../auth/authenticator.ts";
import { encodeInfo, PONG_FRAME } from "../protocol/encoder.ts";
import { LeafParser, type LeafProtocolHandler } from "../protocol/leaf-parser.ts";
import { ParseError, type ParseErrorCode } from "../protocol/parser-states.ts";
import { Connection, ConnectionKind } from "../core/connection.ts";
import { PublisherCache } from "../core/publisher-cache.ts";
import { SERVER_VERSION } from "../base/constants.ts";
import type { Account } from "../core/account.ts";
import { deliverTraced, hasTraceHeader, MSG_TRACE_PROTO, stampHop, TraceKind } from "../core/message-trace.ts";
import { TraceError } from "../core/message-trace-errors.ts";
import { currentTrace } from "../core/router.ts";
import { SinkKind, Subscription, type MessageSink, type Payload } from "../core/subscription.ts";
import { redactSecrets } from "../core/trace.ts";
import { DEFAULT_DIAL_TLS, dialTls } from "../transport/tls.ts";
import { Sublist, type MatchResult } from "../subjects/sublist.ts";
import { isValidSubject } from "../subjects/subject.ts";
import { encodeLeafSub, encodeLeafUnsub, interestKey, leafMsgPrefix, LDS_PREFIX } from "./leaf-encoder.ts";
import type { LeafAdmission, LinkHost } from "./link-host.ts";
import type { ResolvedLeafRemote } from "./options.ts";
import { hubPermissions, leafConnectJson } from "./solicit-handshake.ts";

/** Which end of the link we are. */
export type LeafRole = "solicit" | "accept";

/** nats-server's ErrLeafNodeHasSameClusterName text. */
const SAME_CLUSTER_NAME = "remote leafnode has same cluster name";

/** What a closed link tells its manager. */
export interface LeafCloseInfo {
  readonly reason: string;
  /**
   * A loop was detected (either side), or the hub refused our cluster name as its own: don't
   * redial soon (30 s both, leafnode.go leafNodeReconnectDelayAfterLoopDetected and
   * leafNodeReconnectDelayAfterClusterNameSame).
   */
  readonly loop: boolean;
  /** The handshake completed at some point. */
  readonly established: boolean;
}

/** Parameters of the solicit side: the remote and the URL dialed. */
export interface SolicitParams {
  readonly remote: ResolvedLeafRemote;
  readonly url: URL;
}

const EMPTY_QUEUES: readonly string[] = [];
/** Longest leaf control line accepted (LMSG with many queue names). */
const LEAF_MAX_CONTROL_LINE = 64 * 1024;
/** Largest message taken from a hub (nats-server's own max_payload ceiling is 64 MB). */
const HUB_MAX_PAYLOAD_CAP = 64 * 1024 * 1024;

export class LeafLink implements LeafProtocolHandler, MessageSink {
  /** Links never get their own messages back: the router skips them as publishers (nats-server leafs are always no-echo). */
  readonly echo = false;
  readonly kind = SinkKind.leaf;
  /** This link's match cache for what its peer publishes, as every publisher has one. */
  #publisher: PublisherCache;
  /** A leaf's permissions decide what crosses the link (see #mayExport), not what the router delivers. */
  readonly guard = undefined;
  readonly role: LeafRole;
  readonly cid: number;
  readonly start = Date.now();
  /** The peer's server id and name, from its INFO (solicit) or CONNECT (accept). */
  peerId = "";
  peerName = "";
  /**
   * The cluster the peer server belongs to ("" when it is in none): from the spoke's CONNECT
   * or the hub's INFO (leafnode.go remoteCluster). Messages and interest from a leaf node
   * cluster are not echoed back to it through another of its servers.
   */
  remoteCluster = "";
  /** Hub URLs the peer advertised (`leafnode_urls`), for reconnecting elsewhere. */
  advertisedUrls: readonly string[] = [];
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;

  readonly #host: LinkHost;
  /** The account the link lives in; an accepted link is rebound once its user is known. */
  #account: Account;
  /** `-V`: every op in and out goes to the logger's trace level, as nats-server's leaf traces. */
  readonly #trace: boolean;
  /** The stream, the outbound queue, keepalive and tracing. */
  readonly #conn: Connection;
  readonly #parser: LeafParser;
  readonly #solicit: SolicitParams | undefined;
  /** The peer's interest: one subscription per subject (and queue), also in the server's sublist. */
  readonly #remote = new Sublist<Subscription>();
  readonly #remoteByKey = new Map<string, Subscription>();
  /** What we told the peer we are interested in, counted per subject (and queue), as nats-server `smap`. */
  readonly #smap = new Map<string, number>();
  #established = false;
  /** Set once the whole interest map went out; from then on each change is sent as it happens. */
  #interestSent = false;
  #closed = false;
  #loop = false;
  #infoReceived = false;
  #peerHeaders = true;
  /** The peer's protocol level (its INFO `proto`, its CONNECT `protocol`): 3 and up traces messages. */
  #peerProto = 0;
  /** Hub-imposed (solicit) or user (accept) permissions; undefined = all allowed. */
  #perms: CompiledPermissions | undefined;
  #nonce: string | undefined;
  /**
   * Accept side, while an asynchronous authentication (an auth callout, a host hook) decides:
   * the ops the spoke sent after its CONNECT, replayed in order once it is accepted. nats-server
   * reads nothing more until then; here the stream is paused and what was already read waits.
   */
  #deferred: (() => void)[] | undefined;
  #deferredBytes = 0;
  #handshakeTimer: NodeJS.Timeout | undefined;
  /** `LMSG <subject> ` for the last plain message sent, as clients cache their MSG prefix. */
  #lastPlainSubject = "";
  #lastPlainPrefix: Buffer | undefined;
  #lastHeaderSubject = "";
  #lastHeaderPrefix: Buffer | undefined;

  /**
   * @param account The solicit side's bound account; on the accept side a placeholder until
   *   the spoke's CONNECT names its account (nothing reaches the sublist before that).
   */
  constructor(host: LinkHost, stream: Duplex, role: LeafRole, cid: number, account: Account, solicit?: SolicitParams) {
    this.#host = host;
    this.#account = account;
    this.#publisher = account.publisher();
    this.role = role;
    this.cid = cid;
    this.#solicit = solicit;
    this.#trace = host.options.trace;
    const { maxControlLine, maxPayload } = host.options;
    // Control lines name queue groups, so they get room beyond a client's. A hub may carry
    // messages up to its own max_payload (trusted, bounded by a hard cap); a leaf that dials
    // us gets ours, as any client.
    this.#parser = new LeafParser(this, {
      maxControlLine: Math.max(maxControlLine, LEAF_MAX_CONTROL_LINE),
      maxPayload: role === "solicit" ? Math.max(maxPayload, HUB_MAX_PAYLOAD_CAP) : maxPayload,
    });
    this.#conn = new Connection(ConnectionKind.Leaf, stream, host, {
      onData: this.#onData,
      onClose: (reason) => this.close(reason),
      scheduleFlush: () => process.nextTick(this.#flush),
      onSlowConsumer: (reason) => host.slowConsumer(this, reason),
      describe: () => this.#tracePrefix(),
    });
    // Leaf handshake must finish in time (nats-server leafnode AuthTimeout / INFO wait).
    this.#handshakeTimer = setTimeout(() => {
      if (!this.#established) this.#fail("Authentication Timeout", role === "accept" ? "Authentication Timeout" : undefined);
    }, host.handshakeTimeout);
    this.#handshakeTimer.unref();
  }

  get established(): boolean {
    return this.#established;
  }

  /** The account the link lives in (`/leafz` `account`). */
  get account(): Account {
    return this.#account;
  }

  /** This link's match cache for what its peer publishes, in its account. */
  get publisher(): PublisherCache {
    return this.#publisher;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Subjects (and queues) the peer is interested in, for monitoring and tests. */
  get remoteInterest(): number {
    return this.#remoteByKey.size;
  }

  /** Subjects (and queues) we told the peer about. */
  get localInterest(): number {
    return this.#smap.size;
  }

  /** The peer's subjects, one per subject (and queue): `/leafz?subs=true` `subscriptions_list`. */
  remoteSubjects(): string[] {
    return [...this.#remoteByKey.values()].map((sub) => sub.subject);
  }

  /** The peer's address, as `/leafz` `ip` and `port`. */
  get remoteEndpoint(): { ip: string; port: number } {
    const socket = this.#conn.stream as Partial<Socket>;
    return { ip: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
  }

  /** Last measured PING/PONG round trip in ms (0 until one completes), as `/leafz` `rtt`. */
  get rtt(): number {
    return this.#conn.keepalive.rtt;
  }

  /** Outbound bytes queued and not yet written out, as `/leafz` `pending_bytes`. */
  get pendingBytes(): number {
    return this.#conn.pendingBytes;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    let err: ParseErrorCode;
    try {
      err = this.#parser.parse(chunk);
    } catch (e) {
      // Nothing a peer sends may throw into the host.
      this.#host.logger.error(`leafnode cid:${this.cid} - ${String(e)}`);
      err = ParseError.UnknownOperation;
    }
    switch (err) {
      case ParseError.None:
      case ParseError.Halted:
        break;
      case ParseError.ControlLineTooLong:
        this.#fail("Maximum Control Line Exceeded", "Maximum Control Line Exceeded");
        break;
      case ParseError.PayloadTooLarge:
        this.#fail("Maximum Message Payload Exceeded", "Maximum Payload Violation");
        break;
      default:
        this.#fail("Parse Error", "Unknown Protocol Operation");
    }
  };

  readonly #flush = (): void => this.#conn.flush();

  // ---- handshake ----------------------------------------------------------------------------

  /**
   * Accept side: our INFO goes first (leafnode.go createLeafNode); `info` is undefined when it
   * already went out in plain text before a TLS upgrade, with the same nonce.
   */
  greet(info: string | undefined, nonce: string | undefined): void {
    this.#nonce = nonce;
    if (info !== undefined) this.#queue(encodeInfo(info));
  }

  onInfo(json: string): void {
    if (this.#trace) this.#traceIn(`INFO ${json}`);
    let info: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(json);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      info = parsed as Record<string, unknown>;
    } catch {
      this.#fail("Parse Error", "Unknown Protocol Operation");
      return;
    }
    if (this.role === "accept") return; // A spoke's INFO carries nothing we act on.
    const urls = info["leafnode_urls"];
    if (Array.isArray(urls)) this.advertisedUrls = urls.filter((u): u is string => typeof u === "string");
    if (this.#infoReceived) {
      // Later INFOs (leafnode.go sendPermsAndAccountInfo): the hub's permissions for us.
      this.#applyHubPermissions(info);
      return;
    }
    this.#infoReceived = true;
    // leafnode.go processLeafnodeInfo: a client port answers with no client_id / leafnode_urls.
    if (typeof info["client_id"] !== "number" || info["client_id"] === 0 || !Array.isArray(urls)) {
      this.#host.logger.error(`leafnode cid:${this.cid} - attempted to connect to wrong port (not a leafnode port)`);
      this.close("Wrong Port");
      return;
    }
    this.peerId = typeof info["server_id"] === "string" ? info["server_id"] : "";
    this.peerName = typeof info["server_name"] === "string" ? info["server_name"] : this.peerId;
    this.remoteCluster = typeof info["cluster"] === "string" ? info["cluster"] : "";
    this.#peerHeaders = info["headers"] === true;
    this.#peerProto = typeof info["proto"] === "number" ? info["proto"] : 0;
    this.#nonce = typeof info["nonce"] === "string" ? info["nonce"] : undefined;
    this.#applyHubPermissions(info);
    const wantTls = info["tls_required"] === true || this.#solicit?.remote.tls !== undefined || this.#solicit?.url.protocol === "tls:";
    if (wantTls && !(this.#conn.stream as Partial<TLSSocket>).encrypted) {
      this.#upgradeToTls();
      return;
    }
    this.#sendConnect();
  }

  #upgradeToTls(): void {
    const solicit = this.#solicit!;
    const plain = this.#conn.stream as Socket;
    const secure = dialTls(plain, solicit.url.hostname, solicit.remote.tls ?? DEFAULT_DIAL_TLS);
    this.#conn.replaceStream(secure);
    secure.once("secureConnect", () => {
      if (this.#closed) return;
      this.#conn.attach();
      this.#sendConnect();
    });
    secure.once("error", (err) => {
      this.#host.logger.error(`leafnode cid:${this.cid} - TLS handshake error: ${err.message}`);
      this.close("TLS Handshake Error");
    });
  }

  /** leafnode.go sendLeafConnect; the first PING measures the link. */
  #sendConnect(): void {
    const { remote, url } = this.#solicit!;
    const json = leafConnectJson(remote, url, this.#nonce ?? "", this.#host.serverId, this.#host.serverName, this.#account.name, this.#host.clusterName());
    this.#queue(Buffer.from(`CONNECT ${json}\r\nPING\r\n`, "utf8"));
    this.#conn.keepalive.pingSent();
    // The hub answers an auth failure with -ERR and a close; otherwise we are in.
    this.#establish();
  }

  /** Accept side: the spoke's CONNECT (leafnode.go processLeafNodeConnect). */
  onConnect(json: string): void {
    if (this.#trace) this.#traceIn(`CONNECT ${redactSecrets(json)}`);
    if (this.role === "solicit" || this.#established) return;
    let c: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(json);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      c = parsed as Record<string, unknown>;
    } catch {
      this.#fail("Protocol Violation", undefined);
      return;
    }
    if (typeof c["lang"] === "string" && c["lang"] !== "") {
      // A client on the leaf port (leafnode.go): told so and cut.
      this.#fail("Protocol Violation", "attempted to connect to leaf node port");
      return;
    }
    const str = (k: string): string => (typeof c[k] === "string" ? (c[k] as string) : "");
    this.peerId = str("server_id");
    this.peerName = str("name") || this.peerId;
    this.remoteCluster = str("cluster");
    // leafnode.go processLeafNodeConnect: a spoke cluster named as ours would be ours.
    const ours = this.#host.clusterName();
    if (this.remoteCluster !== "" && this.remoteCluster === ours) {
      this.#fail("Cluster Names Identical", SAME_CLUSTER_NAME);
      return;
    }
    this.#peerProto = typeof c["protocol"] === "number" ? c["protocol"] : 0;
    this.#peerHeaders = c["headers"] === true;
    const creds: ConnectCredentials = {
      user: str("user"),
      pass: str("pass"),
      authToken: str("auth_token"),
      nkey: str("nkey"),
      sig: str("sig"),
      jwt: str("jwt"),
      name: this.peerName,
      lang: "",
      version: str("version"),
    };
    const verdict = this.#host.authenticate(creds, this.#nonce, this.remoteEndpoint.ip || undefined);
    const apply = (admission: LeafAdmission | false): void => {
      const paused = this.#deferred !== undefined;
      const deferred = this.#deferred ?? [];
      this.#deferred = undefined;
      this.#deferredBytes = 0;
      if (this.#closed) return;
      if (admission === false) {
        this.#fail("Authentication Failure", "Authorization Violation");
        return;
      }
      const { user, account } = admission;
      // auth.go registerLeafWithAccount: the link now lives in the user's account.
      this.#account = account;
      this.#publisher = account.publisher();
      if (user.permissions !== undefined) this.#perms = new CompiledPermissions(user.permissions);
      // leafnode.go sendPermsAndAccountInfo: a spoke told info_on_connect waits for this INFO.
      this.#queue(encodeInfo(this.#host.connectInfo(this.cid, account.name, user.permissions)));
      this.#establish();
      for (const op of deferred) {
        if (this.#closed) break;
        op();
      }
      if (paused && !this.#closed) this.#conn.stream.resume();
    };
    if (verdict instanceof Promise) {
      this.#deferred = [];
      this.#conn.stream.pause();
      verdict.then(apply, () => apply(false));
    } else {
      apply(verdict);
    }
  }

  #establish(): void {
    if (this.#established || this.#closed) return;
    this.#established = true;
    if (this.#handshakeTimer !== undefined) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#conn.keepalive.start(this.#host.options.pingInterval);
    this.#host.established(this);
  }

  /** leafnode.go processLeafnodeInfo: only a solicited link takes permissions from INFO. */
  #applyHubPermissions(info: Record<string, unknown>): void {
    const perms = hubPermissions(info, this.#solicit?.remote);
    if (perms !== undefined) this.#perms = new CompiledPermissions(perms);
  }

  // ---- interest: what we tell the peer ------------------------------------------------------

  /**
   * Adds `delta` to what we advertise for `subject` (and `queue`) and tells the peer when it
   * matters: the first and last for a subject, every change of a queue group's weight
   * (leafnode.go updateSmap).
   */
  updateInterest(subject: string, queue: string | undefined, delta: number): void {
    if (this.#closed) return;
    const key = interestKey(subject, queue);
    const n = this.#smap.get(key) ?? 0;
    if (delta < 0 && n === 0) return;
    const next = n + delta;
    if (next > 0) this.#smap.set(key, next);
    else this.#smap.delete(key);
    if (!this.#interestSent) return;
    const changed = queue !== undefined || (n <= 0 && next > 0) || (n > 0 && next <= 0);
    if (changed && this.#mayAdvertise(subject, queue)) this.#queue(next > 0 ? encodeLeafSub(subject, queue, next) : encodeLeafUnsub(subject, queue));
  }

  /** Sends the whole interest map at once, right after the handshake (initLeafNodeSmapAndSendSubs). */
  sendAllInterest(): void {
    this.#interestSent = true;
    for (const [key, n] of this.#smap) {
      const space = key.indexOf(" ");
      const subject = space < 0 ? key : key.slice(0, space);
      const queue = space < 0 ? undefined : key.slice(space + 1);
      if (this.#mayAdvertise(subject, queue)) this.#queue(encodeLeafSub(subject, queue, n));
    }
  }

  /** leafnode.go sendLeafNodeSubUpdate: a spoke only asks for what the hub lets it import. */
  #mayAdvertise(subject: string, queue: string | undefined): boolean {
    if (this.#perms === undefined || subject.startsWith(LDS_PREFIX)) return true;
    return this.role === "solicit" ? this.#perms.canSubscribe(subject, queue) : true;
  }

  // ---- interest: what the peer tells us -----------------------------------------------------

  /** Keeps an op for after the pending authentication; false when none is pending. */
  #defer(op: () => void, bytes: number): boolean {
    if (this.#deferred === undefined) return false;
    this.#deferredBytes += bytes;
    // Bounded as any pending input: a spoke cannot make us hold more than max_pending.
    if (this.#deferredBytes > this.#host.options.maxPending) this.#fail("Slow Consumer (Pending Bytes)", undefined);
    else this.#deferred.push(op);
    return true;
  }

  onLeafSub(subject: string, queue: string | undefined, weight: number): void {
    if (this.#defer(() => this.onLeafSub(subject, queue, weight), subject.length + (queue?.length ?? 0))) return;
    if (this.#trace) this.#traceIn(queue === undefined ? `LS+ ${subject}` : `LS+ ${subject} ${queue} ${weight}`);
    if (!this.#established) {
      this.#fail("Authentication Failure", "Authorization Violation");
      return;
    }
    if (subject === this.#host.lds) {
      this.#loopDetected(true);
      return;
    }
    // A literal subject we may not send to the peer is no interest at all (leafnode.go processLeafSub).
    if (this.#perms !== undefined && !subject.startsWith(LDS_PREFIX) && !this.#mayExport(subject) && !/[*>]/.test(subject)) return;
    const key = interestKey(subject, queue);
    if (this.#remoteByKey.has(key)) return; // A new queue weight: one member stands for them all.
    const sub = new Subscription(this, subject, queue, key);
    if (!this.#remote.insert(sub)) {
      this.#conn.sendError("Invalid Subscription");
      return;
    }
    this.#remoteByKey.set(key, sub);
    this.#account.sublist.insert(sub);
  }

  onLeafUnsub(subject: string, queue: string | undefined): void {
    if (this.#defer(() => this.onLeafUnsub(subject, queue), subject.length + (queue?.length ?? 0))) return;
    if (this.#trace) this.#traceIn(queue === undefined ? `LS- ${subject}` : `LS- ${subject} ${queue}`);
    const key = interestKey(subject, queue);
    const sub = this.#remoteByKey.get(key);
    if (sub === undefined) return;
    this.#remoteByKey.delete(key);
    this.#remote.remove(sub);
    this.#account.sublist.remove(sub);
  }

  // ---- messages out -------------------------------------------------------------------------

  #mayExport(subject: string): boolean {
    const perms = this.#perms;
    if (perms === undefined) return true;
    // Spoke: what the hub lets us publish. Hub: what this leaf's user may subscribe to.
    return this.role === "solicit" ? perms.canPublish(subject) : perms.canSubscribe(subject, undefined);
  }

  /**
   * The router hands us each of our matching subscriptions in turn; the message must cross
   * once, naming every queue group we take (client.go processMsgResults with route targets).
   * Plain interest: only the first of our plain subscriptions for the subject sends, with the
   * queue groups folded in. Queue interest alone: each group we take goes as its own message.
   * A queue group with a local member stays local, as nats-server prefers local members.
   */
  deliver(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    if (this.#closed || !this.#established) return false;
    if (!this.#mayExport(subject)) {
      currentTrace()?.linkRefused(this, { kind: TraceKind.leaf, cid: this.cid, name: this.peerName, account: this.#account.name }, TraceError.pubViolation);
      return false;
    }
    const remote = this.#remote.match(subject);
    if (sub.queue === undefined) {
      if (remote.psubs[0] !== sub) return false;
      this.#send(subject, reply, this.#groupsWeTake(subject, remote, data, start), headerSize, data, start, end);
      return true;
    }
    if (!this.#takesGroup(this.#account.sublist.match(subject), sub.queue, data, start)) return false;
    if (remote.psubs.length === 0) this.#send(subject, reply, [sub.queue], headerSize, data, start, end);
    return true;
  }

  /** Leaf interest has no `max`. */
  maxReached(): void {}

  /** Sends a message another link brought in (the manager already chose the queue groups). */
  forward(subject: string, reply: string, queues: readonly string[], headerSize: number, data: Payload, start: number, end: number): void {
    if (this.#closed || !this.#established || !this.#mayExport(subject)) return;
    this.#send(subject, reply, queues, headerSize, data, start, end);
  }

  /** The queue groups of `remote` whose message goes to this link. */
  #groupsWeTake(subject: string, remote: MatchResult<Subscription>, data: Payload, start: number): readonly string[] {
    if (remote.qsubs.length === 0) return EMPTY_QUEUES;
    const all = this.#account.sublist.match(subject);
    let taken: string[] | undefined;
    for (const group of remote.qsubs) {
      const queue = group[0]!.queue!;
      if (this.#takesGroup(all, queue, data, start)) (taken ??= []).push(queue);
    }
    return taken ?? EMPTY_QUEUES;
  }

  /**
   * A group is ours when it has no local member (nats-server prefers local members) and, of
   * the links with members, the message picks us. The pick must come out the same each time
   * the router asks during one delivery, and spread messages over the links: it is derived
   * from the message itself (see {@link messageKey}), not drawn at random.
   */
  #takesGroup(all: MatchResult<Subscription>, queue: string, data: Payload, start: number): boolean {
    for (const group of all.qsubs) {
      if (group[0]!.queue !== queue) continue;
      let links: MessageSink[] | undefined;
      for (const member of group) {
        const sink = member.sink;
        if (!this.#host.isLink(sink)) return false;
        if (links === undefined) links = [sink];
        else if (!links.includes(sink)) links.push(sink);
      }
      if (links === undefined) return false;
      return links[links.length === 1 ? 0 : messageKey(data, start) % links.length] === this;
    }
    return false;
  }

  #send(subject: string, reply: string, queues: readonly string[], headerSize: number, data: Payload, start: number, end: number): void {
    const trace = headerSize > 0 ? currentTrace() : undefined;
    if (trace !== undefined) {
      const target = { kind: TraceKind.leaf, cid: this.cid, name: this.peerName, account: this.#account.name };
      const stamped = stampHop(trace, this, target, this.#peerProto >= MSG_TRACE_PROTO, headerSize, data as Uint8Array, start, end);
      if (stamped === undefined) return;
      ({ headerSize, data, end } = stamped);
      start = 0;
    }
    if (headerSize >= 0 && !this.#peerHeaders) {
      start += headerSize;
      headerSize = -1;
    }
    if (this.#trace) this.#traceOut(msgLine(headerSize >= 0, subject, reply, queues, headerSize, end - start));
    let prefix: Buffer;
    let tailReply = reply;
    if (queues.length > 0) {
      prefix = leafMsgPrefix(headerSize >= 0, subject, reply, queues);
      tailReply = "";
    } else if (headerSize < 0) {
      if (subject !== this.#lastPlainSubject || this.#lastPlainPrefix === undefined) {
        this.#lastPlainSubject = subject;
        this.#lastPlainPrefix = leafMsgPrefix(false, subject, "", EMPTY_QUEUES);
      }
      prefix = this.#lastPlainPrefix;
    } else {
      if (subject !== this.#lastHeaderSubject || this.#lastHeaderPrefix === undefined) {
        this.#lastHeaderSubject = subject;
        this.#lastHeaderPrefix = leafMsgPrefix(true, subject, "", EMPTY_QUEUES);
      }
      prefix = this.#lastHeaderPrefix;
    }
    const size = end - start;
    this.outMsgs++;
    this.outBytes += size;
    const stats = this.#host.stats;
    stats.outMsgs++;
    stats.outBytes += size;
    this.#conn.queueMessage(prefix, tailReply, headerSize, data, start, end);
  }

  // ---- messages in --------------------------------------------------------------------------

  onLeafMsg(subject: string, reply: string, queues: readonly string[] | undefined, headerSize: number, data: Buffer, start: number, end: number): void {
    if (this.#deferred !== undefined) {
      // The parser's buffer is not ours to keep: the message is copied.
      const copy = Buffer.from(data.subarray(start, end));
      const groups = queues === undefined ? undefined : [...queues];
      this.#defer(() => this.onLeafMsg(subject, reply, groups, headerSize, copy, 0, copy.length), copy.length + subject.length + reply.length);
      return;
    }
    if (this.#trace) this.#traceIn(msgLine(headerSize >= 0, subject, reply, queues ?? EMPTY_QUEUES, headerSize, end - start));
    if (!this.#established) {
      this.#fail("Authentication Failure", "Authorization Violation");
      return;
    }
    const size = end - start;
    this.inMsgs++;
    this.inBytes += size;
    const stats = this.#host.stats;
    stats.inMsgs++;
    stats.inBytes += size;
    if (!isValidSubject(subject)) return;
    const perms = this.#perms;
    if (perms !== undefined) {
      // Spoke: what the hub lets us import; hub: what this leaf's user may publish.
      const allowed = this.role === "solicit" ? perms.canSubscribe(subject, undefined) : perms.canPublish(subject);
      if (!allowed) return;
    }
    if (headerSize > 0 && hasTraceHeader(data, start, headerSize)) {
      const h = this.#host;
      const server = { id: h.serverId, name: h.serverName, host: h.options.host, version: SERVER_VERSION, jetstream: false };
      const ingress = { server, kind: TraceKind.leaf, cid: this.cid, name: this.peerName, account: this.#account.name, publisher: this.publisher, subject };
      deliverTraced(ingress, headerSize, data, start, end, (hs, d, s, e) => h.routeInbound(this, subject, reply, queues, hs, d, s, e));
      return;
    }
    this.#host.routeInbound(this, subject, reply, queues, headerSize === 0 ? -1 : headerSize, data, start, end);
  }

  // ---- keepalive and errors -----------------------------------------------------------------

  onPing(): void {
    if (this.#defer(() => this.onPing(), 4)) return;
    if (this.#trace) this.#traceIn("PING");
    this.#conn.keepalive.pingReceived();
    this.#queue(PONG_FRAME);
  }

  onPong(): void {
    if (this.#trace) this.#traceIn("PONG");
    this.#conn.keepalive.pongReceived();
  }

  onOk(): void {}

  /** client.go processErr for leafs: logged; a loop report delays our next attempt. */
  onErr(text: string): void {
    this.#host.logger.error(`leafnode cid:${this.cid} - remote error: ${text}`);
    this.#host.remoteError(this, text);
    if (text.includes("Loop detected")) this.#loopDetected(false);
    else if (text.includes(SAME_CLUSTER_NAME)) {
      this.#loop = true;
      this.close("Cluster Names Identical");
    } else if (text.includes("Authorization Violation") || text.includes("Authentication")) this.close("Authentication Failure");
  }

  /** leafnode.go handleLeafNodeLoop. */
  #loopDetected(tellPeer: boolean): void {
    this.#loop = true;
    const text = `Loop detected for leafnode account=${JSON.stringify(this.#account.name)}. Delaying attempt to reconnect for 30s`;
    this.#host.logger.error(`leafnode cid:${this.cid} - ${text}`);
    if (tellPeer) this.#conn.sendError(text);
    this.close("Protocol Violation");
  }

  #fail(reason: string, errText: string | undefined): void {
    if (errText !== undefined) this.#conn.sendError(errText);
    this.close(reason);
  }

  // ---- tracing ------------------------------------------------------------------------------

  #traceIn(op: string): void {
    this.#conn.trace?.in(op);
  }

  #traceOut(op: string): void {
    this.#conn.trace?.out(op);
  }

  /** nats-server's prefix for a leaf connection: `127.0.0.1:7422 - lid:4`. */
  #tracePrefix(): string {
    const socket = this.#conn.stream as Partial<Socket>;
    return `${socket.remoteAddress ?? "leafnode"}:${socket.remotePort ?? 0} - lid:${this.cid}`;
  }

  // ---- outbound and close -------------------------------------------------------------------

  #queue(frame: Buffer): void {
    if (this.#closed) return;
    if (this.#trace) for (const line of frame.toString("utf8").split("\r\n")) if (line !== "") this.#traceOut(redactSecrets(line));
    this.#conn.queueFrame(frame);
  }

  /** Ends the link: the peer's interest leaves the sublist, queued frames go out first. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#parser.halt();
    if (this.#handshakeTimer !== undefined) clearTimeout(this.#handshakeTimer);
    const subs = [...this.#remoteByKey.values()];
    this.#remoteByKey.clear();
    this.#remote.removeBatch(subs);
    this.#account.sublist.removeBatch(subs);
    this.#conn.close(reason);
    this.#host.closed(this, { reason, loop: this.#loop, established: this.#established });
  }
}

/** The control line of a leaf message, for the trace. */
function msgLine(headers: boolean, subject: string, reply: string, queues: readonly string[], headerSize: number, size: number): string {
  const mid = queues.length > 0 ? (reply === "" ? ` | ${queues.join(" ")}` : ` + ${reply} ${queues.join(" ")}`) : reply === "" ? "" : ` ${reply}`;
  return `${headers ? "HMSG" : "LMSG"} ${subject}${mid}${headers ? ` ${headerSize}` : ""} ${size}`;
}

/** Numbers for payload buffers, so that one message's key stays the same through its delivery. */
const bufferIds = new WeakMap<Uint8Array, number>();
let nextBufferId = 0;

/**
 * A number that is the same for every look at one message during its delivery (same buffer,
 * same offset), and differs from one message to the next in a client's read buffer or from one
 * in-process publish to the next: it picks which link takes a queue group's message.
 */
function messageKey(data: Payload, start: number): number {
  // A string (an in-process publish) has no identity to remember: its content decides.
  if (typeof data === "string") return Math.imul(stringHash(data), 0x9e3779b1) >>> 16;
  let id = bufferIds.get(data);
  if (id === undefined) {
    id = nextBufferId++ & 0x3fffffff;
    bufferIds.set(data, id);
  }
  // Mixed (Fibonacci hashing), so that offsets that step evenly still spread over the links.
  return Math.imul(id * 0x10001 + start, 0x9e3779b1) >>> 16;
}

/** FNV-1a over a string's UTF-16 code units: the same text always gives the same number. */
function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
