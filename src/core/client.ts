/**
 * One client connection (kind CLIENT): handshake, authentication, the meaning of each op and
 * the client's limits. Buffering, flushing, the write deadline, the slow-consumer policy,
 * keepalive and tracing are the connection core's ({@link Connection}). Behaviour follows
 * nats-server's `server/client.go`; comments name the function whose observable behaviour is matched.
 */
import type { Duplex } from "node:stream";
import { AUTH_TIMEOUT, FIRST_CLIENT_PING_INTERVAL, PROTO_VERSION } from "../base/constants.ts";
import type { AuthContext, AuthenticatedUser, AuthResult, ConnectAuthenticator, PeerIdentity } from "./identity.ts";
import { CompiledPermissions, type Permissions } from "./permissions.ts";
import { PublishGuard } from "./publish-guard.ts";
import { encodeError, noRespondersFrame, OK_FRAME, PONG_FRAME } from "../protocol/encoder.ts";
import { ParseError, ProtocolParser, type ParseErrorCode, type ProtocolHandler } from "../protocol/parser.ts";
import { publishViolation, replyViolation, subscribeViolation, WireError } from "../protocol/wire-errors.ts";
import { isValidLiteralSubject, isValidQueueName } from "../subjects/subject.ts";
import { CloseReason, type CloseReasonText } from "./close-reason.ts";
import { applyConnect, defaultConnectOptions, type ConnectOptions } from "./connect-options.ts";
import { Connection, ConnectionKind } from "./connection.ts";
import type { ConnectionSettings } from "./connection-settings.ts";
import { isReservedPublishSubject, isReservedReply } from "./reserved.ts";
import type { Account } from "./account.ts";
import type { PublisherCache } from "./publisher-cache.ts";
import { deliverTraced, hasTraceHeader, TraceKind, type TraceIngress, type TraceServer } from "./message-trace.ts";
import { currentTrace, route } from "./router.ts";
import { SinkKind, Subscription, type MessageSink, type Payload, type TraceTarget } from "./subscription.ts";
import { redactSecrets } from "./trace.ts";

/** Input parsed per event-loop turn at most, in bytes (a socket read is at most 64 KiB anyway). */
const INPUT_SLICE = 64 * 1024;

/** Queue group name nats-server keeps for itself (client.go `sysGroup`). */
const SYSTEM_QUEUE_GROUP = "_sys_";

/** Counters shared by every client of one server (for `varz` and the events). */
export interface TrafficStats {
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  slowConsumers: number;
}

/** nats-server's userDirectInfoSubj: any client may ask who it is, and the server answers. */
export const USER_INFO_SUBJECT = "$SYS.REQ.USER.INFO";

/** What a client needs from its server; keeps the client testable and the server private. */
export interface ClientHost {
  readonly options: ConnectionSettings;
  /** The account of a client whose user names none: the global account `$G`. */
  readonly account: Account;
  /** A configured account by name. */
  accountNamed(name: string): Account | undefined;
  readonly stats: TrafficStats;
  /** Queues the client to be flushed at the end of the current I/O turn. */
  scheduleFlush(client: Client): void;
  /** The client is gone; called once. */
  clientClosed(client: Client, reason: CloseReasonText): void;
  /** A client was cut for not keeping up. */
  slowConsumer(client: Client, reason: CloseReasonText): void;
  /** The client completed CONNECT (authenticated, in its account); called once. */
  clientConnected(client: Client): void;
  /**
   * `$SYS.REQ.USER.INFO` (nats-server's userInfoReq): the answer about this client, or
   * undefined when the server has no system account to answer it.
   */
  userInfo(client: Client): string | undefined;
  /** Authentication in force (it can change at runtime: `server.setAuth`). */
  readonly auth: ConnectAuthenticator;
  /** Who this server is, for the trace events of messages its clients publish (message-trace.ts). */
  traceServer?(): TraceServer;
  /** The INFO frame for this client now, with its own `max_payload` (an async INFO). */
  asyncInfo?(client: Client): Buffer;
}

/** How the bytes of a connection reached us. */
export interface ConnectionInfo {
  /** Transport name: `tcp`, `memory`, or whatever a host passes to `server.handle()`. */
  transport: string;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  /** Set for TLS connections: what the client certificate says. */
  tls?: PeerIdentity | undefined;
  /**
   * Told why the connection is closing, just before the stream ends, so a transport can
   * carry it (the WebSocket close frame carries nats-server's status for each reason).
   */
  onClosing?: ((reason: CloseReasonText) => void) | undefined;
}

export class Client implements ProtocolHandler, MessageSink {
  readonly cid: number;
  readonly info: Readonly<ConnectionInfo>;
  /** When the connection was accepted (ms since epoch). */
  readonly start = Date.now();
  /** What the client declared in CONNECT (defaults until then). */
  connectOptions: ConnectOptions = defaultConnectOptions();
  readonly kind = SinkKind.client;
  echo = true;
  inMsgs = 0;
  outMsgs = 0;
  inBytes = 0;
  outBytes = 0;
  closeReason: CloseReasonText | undefined;
  /** The authenticated user (`authorized_user` in `/connz`), once known. */
  user: string | undefined;
  /** The user's permissions as configured (undefined: everything allowed). */
  permissions: Permissions | undefined;
  /** Whether CONNECT completed, so that the server announced the connection. */
  connected = false;
  /** The subscriptions the connection had when it closed (for `/connz?state=closed`). */
  closedSubscriptions: readonly { subject: string; queue: string | undefined; sid: string; msgs: number; max: number }[] = [];

  readonly #host: ClientHost;
  /** The stream, the outbound queue, keepalive and tracing. */
  readonly #conn: Connection;
  readonly #parser: ProtocolParser;
  readonly #subs = new Map<string, Subscription>();
  #closed = false;
  #connectReceived = false;
  /** The first PONG after CONNECT went out (nats-server's `firstPongSent`): the moment for an updated INFO. */
  #firstPongSent = false;

  /** Authentication: the nonce INFO carried, the timer, and the outcome. */
  #nonce: string | undefined;
  #authTimer: NodeJS.Timeout | undefined;
  /** Closes the client when its credentials expire (a JWT's `exp`). */
  #expiryTimer: NodeJS.Timeout | undefined;
  #authenticated = false;
  #perms: CompiledPermissions | undefined;
  /** What the user may publish and answer; the router reads it for delivery permissions. */
  guard: PublishGuard | undefined;
  /** Input held back while an asynchronous authentication runs. */
  #held: Buffer | undefined;
  /** This connection's match cache for what it publishes (nats-server's per-client `in.results`). */
  #publisher: PublisherCache;
  /** The account the client's messages are routed in: `$G` until its user names another. */
  #account: Account;
  /** Whether this client is counted in its account's connections. */
  #counted = false;
  /** Subscriptions allowed by the account's and the user's limits; -1 for none. */
  #maxSubscriptions = -1;
  /** The account's and user's payload limit (a JWT's `payload`), -1 for none; the server's applies as well. */
  #userMaxPayload = -1;
  /** `-V`: every protocol op in and out goes to the logger's trace level, as nats-server. */
  readonly #trace: boolean;

  /** The name of the account the client is in (`$G` unless its user names another). */
  get account(): string {
    return this.#account.name;
  }

  constructor(host: ClientHost, cid: number, stream: Duplex, info: ConnectionInfo) {
    this.#host = host;
    this.cid = cid;
    this.info = info;
    this.#account = host.account;
    this.#publisher = host.account.publisher();
    const { maxControlLine, maxPayload } = host.options;
    this.#parser = new ProtocolParser(this, { maxControlLine, maxPayload });
    this.#trace = host.options.trace;
    this.#conn = new Connection(ConnectionKind.Client, stream, host, {
      onData: (chunk) => this.#onData(chunk),
      onClose: (reason) => this.close(reason),
      scheduleFlush: () => host.scheduleFlush(this),
      onSlowConsumer: (reason) => host.slowConsumer(this, reason),
      describe: () => this.#tracePrefix(),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Subscriptions of this connection, by sid. */
  get subscriptions(): ReadonlyMap<string, Subscription> {
    return this.#subs;
  }

  /** Outbound bytes queued and not yet written out by the transport. */
  get pendingBytes(): number {
    return this.#conn.pendingBytes;
  }

  /** Last time the client sent anything (ms since epoch). */
  get lastActivity(): number {
    return this.#conn.lastActivity;
  }

  /** Round-trip time in whole ms: from accept to CONNECT, then from each server PING to its PONG. */
  get rtt(): number {
    const rtt = this.#conn.keepalive.rtt;
    return rtt === 0 ? 0 : Math.max(1, Math.round(rtt));
  }

  /** Sends INFO and starts the keepalive; the server calls this once after accepting. */
  greet(infoFrame: Buffer | undefined, nonce: string | undefined): void {
    this.#nonce = nonce;
    if (infoFrame !== undefined) this.#queueFrame(infoFrame);
    this.#conn.keepalive.start(this.#firstPingDelay());
    const auth = this.#host.auth;
    if (!auth.required) {
      this.#authenticated = true;
      return;
    }
    // Without no_auth_user the first op must be CONNECT (parser.go authSet).
    if (auth.noAuthUser === undefined) this.#parser.requireConnect = true;
    this.#authTimer = setTimeout(() => {
      this.#authTimer = undefined;
      if (!this.#authenticated) this.closeWithError(WireError.AuthenticationTimeout, CloseReason.AuthenticationTimeout);
    }, auth.timeout ?? AUTH_TIMEOUT);
    this.#authTimer.unref();
  }

  /** The nonce this connection's INFO carried (nkey authentication), if any. */
  get nonce(): string | undefined {
    return this.#nonce;
  }

  /** Sends `-ERR` then closes, as nats-server does for the errors that end a connection. */
  closeWithError(text: string, reason: CloseReasonText): void {
    if (this.#closed) return;
    this.#conn.sendError(text);
    this.close(reason);
  }

  /**
   * Ends the connection: removes its subscriptions, flushes what is queued (the `-ERR` that
   * explains the close, typically) and ends the stream. Safe to call more than once.
   */
  close(reason: CloseReasonText): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeReason = reason;
    this.info.onClosing?.(reason);
    this.#parser.halt();
    if (this.#authTimer !== undefined) clearTimeout(this.#authTimer);
    if (this.#expiryTimer !== undefined) clearTimeout(this.#expiryTimer);
    if (this.#counted) this.#account.connections--;
    this.#counted = false;
    this.closedSubscriptions = [...this.#subs.values()].map((sub) => ({
      subject: sub.subject,
      queue: sub.queue,
      sid: sub.sid,
      msgs: sub.delivered,
      max: sub.max,
    }));
    this.#account.sublist.removeBatch(this.#subs.values());
    this.#subs.clear();
    this.#conn.close(reason);
    this.#host.clientClosed(this, reason);
  }

  // ---- ProtocolHandler: one method per op -------------------------------------------------

  /** client.go processConnect. */
  onConnect(json: string): void {
    if (this.#trace) this.#traceIn("CONNECT", redactSecrets(json));
    const next = applyConnect(json, this.connectOptions);
    if (next === undefined) {
      this.close(CloseReason.ProtocolViolation);
      return;
    }
    this.connectOptions = next;
    if (!this.#connectReceived) this.#conn.keepalive.rtt = Math.max(1, Date.now() - this.start);
    this.#connectReceived = true;
    this.echo = next.echo;
    this.#parser.headers = next.headers;
    const auth = this.#host.auth;
    if (auth.required) {
      let result: AuthResult | Promise<AuthResult>;
      try {
        result = auth.authenticate(next, this.#authContext(), this.#nonce);
      } catch {
        result = false;
      }
      if (result instanceof Promise) {
        // Nothing after CONNECT may run before the verdict: hold the input until then.
        this.#parser.pause();
        this.#conn.stream.pause();
        result.then(
          (r) => this.#afterAuthentication(next, r, true),
          () => this.#afterAuthentication(next, false, true),
        );
        return;
      }
      this.#afterAuthentication(next, result, false);
      return;
    }
    this.#finishConnect(next);
  }

  #afterAuthentication(next: ConnectOptions, result: AuthResult, resumeInput: boolean): void {
    if (this.#closed) return;
    if (result === false || result === null || result === undefined) {
      this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
      return;
    }
    this.#authenticated = true;
    this.#parser.requireConnect = false;
    if (this.#authTimer !== undefined) clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    if (!this.#setUser(result)) {
      this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
      return;
    }
    this.#finishConnect(next);
    if (resumeInput) this.#resumeInput();
  }

  /** The rest of processConnect, once the client is who it says it is. */
  #finishConnect(next: ConnectOptions): void {
    if (next.account !== "" || next.newAccount) {
      this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
      return;
    }
    if (next.protocol < 0 || next.protocol > PROTO_VERSION) {
      this.closeWithError(WireError.InvalidClientProtocol, CloseReason.BadClientProtocolVersion);
      return;
    }
    if (next.noResponders && !next.headers) {
      this.closeWithError(WireError.NoRespondersRequiresHeaders, CloseReason.NoRespondersRequiresHeaders);
      return;
    }
    if (next.verbose) this.#queueFrame(OK_FRAME);
    // As setFirstPingTimer: the keepalive restarts from CONNECT.
    this.#conn.keepalive.start(this.#firstPingDelay());
    if (!this.connected) {
      this.connected = true;
      this.#host.clientConnected(this);
    }
  }

  /**
   * Takes on who authentication says the client is. False when its account does not exist, or
   * would change under live subscriptions (a reload that moved the user): the client must go,
   * as nats-server closes it.
   */
  #setUser(user: AuthenticatedUser): boolean {
    const account = user.account === undefined ? this.#host.account : this.#host.accountNamed(user.account);
    if (account === undefined) return false;
    if (account !== this.#account || !this.#counted) {
      if (account !== this.#account && this.#subs.size > 0) return false;
      // client.go registerWithAccount: an account at its connection limit refuses one more.
      if (account.maxConnections >= 0 && account.connections >= account.maxConnections) {
        this.closeWithError(WireError.MaxAccountConnectionsExceeded, CloseReason.MaxAccountConnectionsExceeded);
        return false;
      }
      if (this.#counted) this.#account.connections--;
      account.connections++;
      this.#counted = true;
      this.#account = account;
      this.#publisher = account.publisher();
    }
    // The tighter of the account's and the user's per-connection limits (client.go applyAccountLimits).
    this.#maxSubscriptions = tightest(account.maxSubscriptions, user.maxSubscriptions ?? -1);
    if (this.#maxSubscriptions >= 0 && this.#subs.size >= this.#maxSubscriptions) this.#queueFrame(encodeError(WireError.MaxSubscriptionsExceeded));
    // Payload likewise: the server's max_payload, tightened by the account's and the user's.
    this.#userMaxPayload = tightest(account.maxPayload, user.maxPayload ?? -1);
    this.#applyParserLimits();
    this.user = user.user;
    this.permissions = user.permissions;
    this.#expireAt(user.expires);
    this.#perms = user.permissions === undefined ? undefined : new CompiledPermissions(user.permissions);
    this.guard = this.#perms === undefined ? undefined : new PublishGuard(this.#perms);
    return true;
  }

  #expireAt(expires: number | undefined): void {
    if (this.#expiryTimer !== undefined) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    if (expires === undefined) return;
    // Node's timers fire at once past 2^31-1 ms: a far expiry is checked again when that passes.
    const delay = Math.max(0, Math.min(expires - Date.now(), 2 ** 31 - 1));
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined;
      if (Date.now() < expires) this.#expireAt(expires);
      else this.closeWithError(WireError.UserAuthenticationExpired, CloseReason.AuthenticationExpired);
    }, delay);
    this.#expiryTimer.unref();
  }

  #authContext(): AuthContext {
    const tls = this.info.tls;
    return {
      transport: this.info.transport,
      remoteAddress: this.info.remoteAddress,
      tls: tls === undefined ? undefined : { authorized: tls.authorized, subject: tls.subject, altNames: tls.altNames },
    };
  }

  /**
   * Authentication changed at runtime (`server.setAuth`): check this client again. A client
   * that no longer passes is closed; one whose permissions changed loses the subscriptions
   * they no longer allow, each with the -ERR nats-server sends on a config reload.
   */
  reauthenticate(): void {
    if (this.#closed) return;
    const auth = this.#host.auth;
    if (!auth.required) {
      if (this.#account !== this.#host.account) {
        this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
        return;
      }
      this.#authenticated = true;
      this.user = undefined;
      this.#perms = undefined;
      this.guard = undefined;
      return;
    }
    if (!this.#connectReceived) {
      if (auth.noAuthUser !== undefined && !this.#setUser(auth.noAuthUser)) {
        this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
      }
      return;
    }
    let result: AuthResult | Promise<AuthResult>;
    try {
      result = auth.authenticate(this.connectOptions, this.#authContext(), this.#nonce);
    } catch {
      result = false;
    }
    const apply = (r: AuthResult): void => {
      if (this.#closed) return;
      if (r === false || r === null || r === undefined) {
        this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
        return;
      }
      if (!this.#setUser(r)) {
        this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
        return;
      }
      const perms = this.#perms;
      if (perms === undefined) return;
      for (const sub of [...this.#subs.values()]) {
        if (!perms.canSubscribe(sub.subject, sub.queue)) {
          this.#removeSubscription(sub);
          this.#queueFrame(encodeError(subscribeViolation(sub.subject, sub.queue)));
        } else {
          sub.denyCheck = perms.needsDeliveryCheck(sub.subject);
        }
      }
    };
    if (result instanceof Promise) result.then(apply, () => apply(false));
    else apply(result);
  }

  #resumeInput(): void {
    const held = this.#held;
    this.#held = undefined;
    this.#parser.resume();
    if (held !== undefined && held.length > 0) this.#onData(held);
    if (!this.#closed && this.#held === undefined) this.#conn.stream.resume();
  }

  /** client.go processInboundClientMsg. */
  onPub(subject: string, reply: string, headerSize: number, data: Buffer, start: number, end: number): void {
    if (this.#trace) this.#traceIn(headerSize < 0 ? "PUB" : "HPUB", [subject, reply, headerSize < 0 ? "" : String(headerSize), String(end - start)].filter((f) => f !== "").join(" "));
    // An empty header block is no header at all: nats-server delivers `HPUB a 0 2` as MSG.
    if (headerSize === 0) headerSize = -1;
    const size = end - start;
    this.inMsgs++;
    this.inBytes += size;
    const stats = this.#host.stats;
    stats.inMsgs++;
    stats.inBytes += size;
    if (headerSize > 0 && hasTraceHeader(data, start, headerSize, this.#account)) {
      deliverTraced(this.#traceIngress(subject), headerSize, data, start, end, (h, d, s, e) => this.#publish(subject, reply, h, d, s, e));
      return;
    }
    this.#publish(subject, reply, headerSize, data, start, end);
  }

  /** The rest of processInboundClientMsg, once the message is counted (and its trace begun). */
  #publish(subject: string, reply: string, headerSize: number, data: Buffer, start: number, end: number): void {
    const opts = this.connectOptions;
    // nats-server sends this at the control line and still routes the message.
    if (opts.pedantic && !isValidLiteralSubject(subject)) this.#queueFrame(encodeError(WireError.InvalidPublishSubject));
    if (isReservedPublishSubject(subject) || (this.guard !== undefined && !this.guard.canPublish(subject))) {
      this.#refusePublish(publishViolation(subject));
      return;
    }
    if (reply !== "" && isReservedReply(reply)) {
      this.#refusePublish(replyViolation(reply));
      return;
    }
    if (opts.verbose) this.#queueFrame(OK_FRAME);
    // Answered by the server about this client; the subject's length rules it out at once.
    if (subject.length === USER_INFO_SUBJECT.length && subject === USER_INFO_SUBJECT && reply !== "" && this.#answerUserInfo(reply)) return;
    // Permissions apply to the subject as published, delivery to the mapped one (nats-server).
    const mappings = this.#account.mappings;
    if (mappings !== undefined) subject = mappings.map(subject);
    const delivered = route(this.#publisher, this, subject, reply, headerSize, data, start, end);
    if (!delivered && reply !== "" && opts.noResponders) this.#sendNoResponders(reply);
  }

  /** client.go pubPermissionViolation: the `-ERR`, and the trace's ingress error when traced. */
  #refusePublish(text: string): void {
    this.#queueFrame(encodeError(text));
    currentTrace()?.ingressError(text);
  }

  #traceIngress(subject: string): TraceIngress {
    const guard = this.guard;
    return {
      server: this.#host.traceServer?.() ?? { id: "", name: "", host: "", version: "", jetstream: false },
      kind: TraceKind.client,
      cid: this.cid,
      name: this.connectOptions.name,
      account: this.#account.name,
      publisher: this.#publisher,
      subject,
      // client.go allowedToPublishOnMsgTraceDest: the destination is published on as this client.
      mayPublish: (dest) => !isReservedPublishSubject(dest) && (guard === undefined || guard.canPublish(dest)),
      denied: (dest) => this.#queueFrame(encodeError(publishViolation(dest))),
      msgTrace: this.#account,
    };
  }

  /** Who this client is in a trace's `eg` event. */
  traceTarget(): TraceTarget {
    return { kind: TraceKind.client, cid: this.cid, name: this.connectOptions.name, account: this.#account.name };
  }

  #answerUserInfo(reply: string): boolean {
    const answer = this.#host.userInfo(this);
    if (answer === undefined) return false;
    route(this.#publisher, undefined, reply, "", -1, answer, 0, Buffer.byteLength(answer));
    return true;
  }

  /** client.go parseSub / processSubEx. */
  onSub(subject: string, queue: string | undefined, sid: string): void {
    if (this.#trace) this.#traceIn("SUB", queue === undefined ? `${subject} ${sid}` : `${subject} ${queue} ${sid}`);
    const perms = this.#perms;
    // client.go processSubEx: `_sys_` is reserved for the server's own queue subscriptions.
    if (queue === SYSTEM_QUEUE_GROUP || (perms !== undefined && !perms.canSubscribe(subject, queue))) {
      this.#queueFrame(encodeError(subscribeViolation(subject, queue)));
      return;
    }
    const { maxSubscriptions } = this.#host.options;
    if ((maxSubscriptions > 0 && this.#subs.size >= maxSubscriptions) || (this.#maxSubscriptions >= 0 && this.#subs.size >= this.#maxSubscriptions)) {
      this.#queueFrame(encodeError(WireError.MaxSubscriptionsExceeded));
      return;
    }
    if (!this.#subs.has(sid)) {
      // Queue names are not validated further by nats-server: any token without blanks.
      const sub = new Subscription(this, subject, queue, sid);
      if (perms !== undefined) sub.denyCheck = perms.needsDeliveryCheck(subject);
      if ((queue !== undefined && !isValidQueueName(queue)) || !this.#account.sublist.insert(sub)) {
        this.#queueFrame(encodeError(WireError.InvalidSubject));
        return;
      }
      this.#subs.set(sid, sub);
    }
    // A duplicate sid keeps the existing subscription and still gets +OK, as nats-server.
    if (this.connectOptions.verbose) this.#queueFrame(OK_FRAME);
  }

  /** client.go processUnsub: an unknown sid is ignored; max <= delivered removes at once. */
  onUnsub(sid: string, max: number): void {
    if (this.#trace) this.#traceIn("UNSUB", max < 0 ? sid : `${sid} ${max}`);
    const sub = this.#subs.get(sid);
    if (this.connectOptions.verbose) this.#queueFrame(OK_FRAME);
    if (sub === undefined) return;
    if (max > 0 && max > sub.delivered) {
      sub.max = max;
    } else {
      this.#removeSubscription(sub);
    }
  }

  onPing(): void {
    if (this.#trace) {
      this.#traceIn("PING");
      this.#traceOut("PONG");
    }
    this.#conn.keepalive.pingReceived();
    this.#queueFrame(PONG_FRAME);
    if (!this.#firstPongSent && this.#connectReceived) this.#afterFirstPong();
  }

  /**
   * client.go processPing: after the first PONG, a client that understands async INFO is sent
   * an updated one if its payload limit is not the server's (a JWT's `payload` tightened it),
   * so that the client refuses oversized messages itself.
   */
  #afterFirstPong(): void {
    this.#firstPongSent = true;
    if (this.connectOptions.protocol < 1 || this.maxPayload === this.#host.options.maxPayload) return;
    const info = this.#host.asyncInfo?.(this);
    if (info !== undefined) this.#queueFrame(info);
  }

  /** The payload limit of this connection: the server's, tightened by its account's and user's. */
  get maxPayload(): number {
    return tightest(this.#host.options.maxPayload, this.#userMaxPayload);
  }

  onPong(): void {
    if (this.#trace) this.#traceIn("PONG");
    this.#conn.keepalive.pongReceived();
  }

  /** nats-server's trace lines: `<addr> - cid:<n> - <<- [OP args]`. */
  #traceIn(op: string, arg?: string): void {
    this.#conn.trace?.in(arg === undefined ? op : `${op} ${arg}`);
  }

  #traceOut(op: string, arg?: string): void {
    this.#conn.trace?.out(arg === undefined ? op : `${op} ${arg}`);
  }

  #tracePrefix(): string {
    const { remoteAddress, remotePort, transport } = this.info;
    return `${remoteAddress !== undefined ? `${remoteAddress}:${remotePort ?? 0}` : transport} - cid:${this.cid}`;
  }

  /** The server's limits changed (`server.reload`): the parser and the keepalive follow. */
  applyLimits(): void {
    this.#applyParserLimits();
    if (this.#closed || !this.#conn.keepalive.running) return;
    this.#conn.keepalive.start(this.#host.options.pingInterval);
  }

  #applyParserLimits(): void {
    const { maxControlLine } = this.#host.options;
    this.#parser.setLimits({ maxControlLine, maxPayload: this.maxPayload });
  }

  /** Queues a frame from the server (an async INFO, say). */
  send(frame: Buffer): void {
    this.#queueFrame(frame);
  }

  /** client.go processErr: a client that sends -ERR is closed. */
  onClientError(): void {
    this.close(CloseReason.ParseError);
  }

  // ---- MessageSink ------------------------------------------------------------------------

  /** client.go deliverMsg: frame the message for this client and queue it (the router applied max and permissions). */
  deliver(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    if (this.#closed) return false;
    if (this.#trace) this.#traceOut(headerSize < 0 ? "MSG" : "HMSG", [subject, sub.sid, reply, String(end - start)].filter((f) => f !== "").join(" "));
    const conn = this.#conn;
    if (headerSize < 0) {
      conn.queueMessage(sub.msgPrefix(subject), reply, -1, data, start, end);
    } else if (this.connectOptions.headers) {
      conn.queueMessage(sub.hmsgPrefix(subject), reply, headerSize, data, start, end);
    } else {
      // The subscriber did not ask for headers: strip them, as nats-server does.
      start += headerSize;
      conn.queueMessage(sub.msgPrefix(subject), reply, -1, data, start, end);
    }
    const size = end - start;
    this.outMsgs++;
    this.outBytes += size;
    const stats = this.#host.stats;
    stats.outMsgs++;
    stats.outBytes += size;
    return true;
  }

  /** client.go deliverMsg: the message that reaches `UNSUB <sid> <max>` removes the subscription. */
  maxReached(sub: Subscription): void {
    this.#removeSubscription(sub);
  }

  // ---- outbound -----------------------------------------------------------------------------

  #queueFrame(frame: Buffer): void {
    this.#conn.queueFrame(frame);
  }

  /** Writes everything queued in one go; the server calls it once per I/O turn. */
  flush(): void {
    this.#conn.flush();
  }

  // ---- inbound ------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    if (this.#held !== undefined) {
      // Paused for authentication; a chunk already in flight waits with the rest.
      this.#held = Buffer.concat([this.#held, chunk]);
      return;
    }
    if (!this.#authenticated && !this.#connectReceived && this.#host.auth.noAuthUser !== undefined) {
      const first = chunk[0];
      // parser.go: a first op other than CONNECT makes the client the no_auth_user.
      if (first !== 0x43 && first !== 0x63) this.#afterNoAuthUser();
    }
    // A huge chunk (a memory pipe can deliver one write of any size) is taken a slice per
    // event-loop turn, so one client's batch cannot hold up every other client.
    let rest: Buffer | undefined;
    if (chunk.length > INPUT_SLICE) {
      rest = chunk.subarray(INPUT_SLICE);
      chunk = chunk.subarray(0, INPUT_SLICE);
    }
    let err: ParseErrorCode;
    try {
      err = this.#parser.parse(chunk);
    } catch {
      // Nothing a client sends may throw into the host: treat it as a protocol violation.
      err = ParseError.UnknownOperation;
    }
    if (err === ParseError.Paused) {
      // Authentication runs; it resumes the input when it is done.
      const held = chunk.subarray(this.#parser.resumeOffset);
      this.#held = rest === undefined ? held : Buffer.concat([held, rest]);
      return;
    }
    if (err !== ParseError.None) {
      this.#onParseError(err);
      return;
    }
    if (rest !== undefined && !this.#closed) {
      this.#held = rest;
      this.#conn.stream.pause();
      setImmediate(() => {
        if (!this.#closed) this.#resumeInput();
      });
    }
  }

  #afterNoAuthUser(): void {
    this.#authenticated = true;
    if (this.#authTimer !== undefined) clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    if (!this.#setUser(this.#host.auth.noAuthUser!)) this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
  }

  /** What nats-server does for each way a read can fail (parser.go, client.go). */
  #onParseError(err: ParseErrorCode): void {
    switch (err) {
      case ParseError.UnknownOperation:
        // client.go readLoop: a parse error closes as a protocol violation.
        this.closeWithError(WireError.UnknownProtocolOperation, CloseReason.ProtocolViolation);
        break;
      case ParseError.ControlLineTooLong:
        this.closeWithError(WireError.MaxControlLineExceeded, CloseReason.MaxControlLineExceeded);
        break;
      case ParseError.PayloadTooLarge:
        this.closeWithError(WireError.MaxPayloadViolation, CloseReason.MaxPayloadExceeded);
        break;
      case ParseError.ConnectRequired:
        this.closeWithError(WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
        break;
      case ParseError.BadArguments:
        this.close(CloseReason.ProtocolViolation);
        break;
      case ParseError.HeadersNotSupported:
        this.close(CloseReason.MsgHeaderViolation);
        break;
      case ParseError.Halted:
      case ParseError.Paused:
        break;
    }
  }

  #removeSubscription(sub: Subscription): void {
    if (this.#subs.get(sub.sid) === sub) this.#subs.delete(sub.sid);
    this.#account.sublist.remove(sub);
  }

  /**
   * client.go processInboundClientMsg: a request nobody received gets a 503 status, sent only
   * to the requester's own plain subscription that matches the reply subject.
   */
  #sendNoResponders(reply: string): void {
    const { psubs } = this.#account.sublist.match(reply);
    for (const sub of psubs) {
      if (sub.sink === this) {
        this.#queueFrame(noRespondersFrame(reply, sub.sid));
        return;
      }
    }
  }

  // ---- keepalive ----------------------------------------------------------------------------

  #firstPingDelay(): number {
    const interval = this.#host.options.pingInterval;
    const d = Math.min(interval, FIRST_CLIENT_PING_INTERVAL);
    // Up to 20% jitter so that clients connected together are not pinged together.
    return d + Math.floor(Math.random() * (d / 5));
  }
}

/** The smallest of the limits that are set (>= 0); -1 when none is. */
function tightest(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}
