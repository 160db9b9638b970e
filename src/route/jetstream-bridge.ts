/**
 * JetStream on other members of the cluster, for the clients of this one: nats-server's
 * `$JS.API.>` service import from the system account (accounts.go addServiceImportSub,
 * client.go processServiceImport), done the way a nats-server member without JetStream does it.
 *
 * A nats-server member never announces an account's import to its routes (the import
 * subscription is `noForward`) and ignores an import for a message that came over a route:
 * every server imports for its own clients. So a request on `$JS.API.…` from a client of ours
 * goes nowhere unless we import it ourselves: re-published in the system account, with the
 * `Nats-Request-Info` header naming the client's account (jetstream_api.go getRequestInfo reads
 * it; without it apiDispatch drops the request) and a reply subject of ours in the system
 * account, whose answer is handed back to the client's reply subject in its account. One bridge
 * per account (`$G` and each configured one): the JetStream members answer for the account the
 * header names, with its own streams, or `10039` where it has no JetStream.
 *
 * The import exists while some route has `$JS.API.>` interest in the system account (a
 * JetStream member), as nats-server imports only for an account with JetStream enabled.
 */
import { randomBytes } from "node:crypto";
import type { Account } from "../core/account.ts";
import type { PublisherCache } from "../core/publisher-cache.ts";
import { route } from "../core/router.ts";
import { SinkKind, Subscription, type MessageSink, type Payload } from "../core/subscription.ts";

/** The JetStream API subject space a nats-server JetStream member listens on in `$SYS`. */
export const JS_API_ALL = "$JS.API.>";
/** jetstream_api.go ClientInfoHdr. */
const CLIENT_INFO_HEADER = "Nats-Request-Info";
/** Replies awaited at once; beyond this the oldest are forgotten (a client that never gets one just times out). */
const MAX_PENDING_REPLIES = 10_000;
/** nats-server's response threshold for service imports (DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD). */
const REPLY_TTL_MS = 2 * 60 * 1000;

interface PendingReply {
  reply: string;
  at: number;
}

/** What the bridge needs to know about this server. */
export interface BridgeIdentity {
  readonly serverName: string;
  clusterName(): string;
}

export class JetStreamBridge {
  /** The account whose clients' requests this bridge imports. */
  readonly #account: Account;
  readonly #system: Account;
  readonly #identity: BridgeIdentity;
  readonly #accountPublisher: PublisherCache;
  readonly #systemPublisher: PublisherCache;
  /** `_R_.<random>.`: our reply subjects in the system account. */
  readonly #prefix = `_R_.${randomBytes(6).toString("base64url").replace(/[-_]/g, "x")}.`;
  readonly #pending = new Map<string, PendingReply>();
  #seq = 0;
  /** Routes with `$JS.API.>` interest in the system account. */
  #jetStreamRoutes = 0;
  #importSub: Subscription | undefined;
  #replySub: Subscription | undefined;

  /** @param jetStreamRoutes routes already known to be JetStream members (a bridge for an account added later). */
  constructor(account: Account, system: Account, identity: BridgeIdentity, jetStreamRoutes = 0) {
    this.#account = account;
    this.#system = system;
    this.#identity = identity;
    this.#accountPublisher = account.publisher();
    this.#systemPublisher = system.publisher();
    if (jetStreamRoutes > 0) this.routeInterest(JS_API_ALL, undefined, jetStreamRoutes);
  }

  /** Whether the import is on (some route is a JetStream member). */
  get active(): boolean {
    return this.#importSub !== undefined;
  }

  /** Replies awaited now. */
  get pendingReplies(): number {
    return this.#pending.size;
  }

  /** A route's interest in the system account changed: `$JS.API.>` turns the import on and off. */
  routeInterest(subject: string, queue: string | undefined, delta: number): void {
    if (subject !== JS_API_ALL || queue !== undefined) return;
    this.#jetStreamRoutes = Math.max(0, this.#jetStreamRoutes + delta);
    if (this.#jetStreamRoutes > 0 && this.#importSub === undefined) this.#open();
    else if (this.#jetStreamRoutes === 0 && this.#importSub !== undefined) this.close();
  }

  close(): void {
    if (this.#importSub !== undefined) this.#account.sublist.remove(this.#importSub);
    if (this.#replySub !== undefined) this.#system.sublist.remove(this.#replySub);
    this.#importSub = undefined;
    this.#replySub = undefined;
    this.#pending.clear();
  }

  #open(): void {
    // A route kind: it counts as interest for local publishers (no 503), but it is never told
    // to other routes and takes nothing that came over a route (client.go: no service import
    // for a ROUTER's message), as nats-server's noForward import subscription.
    const importer: MessageSink = {
      kind: SinkKind.route,
      echo: true,
      guard: undefined,
      deliver: (_sub, subject, reply, headerSize, data, start, end) => this.#request(subject, reply, headerSize, data, start, end),
      maxReached: () => undefined,
    };
    // An in-process kind: announced to the routes (`RS+ $SYS _R_.x.>`) so that answers come back.
    const replies: MessageSink = {
      kind: SinkKind.inProcess,
      echo: true,
      guard: undefined,
      deliver: (_sub, subject, _reply, headerSize, data, start, end) => this.#response(subject, headerSize, data, start, end),
      maxReached: () => undefined,
    };
    this.#importSub = new Subscription(importer, JS_API_ALL, undefined, "jetstream-import");
    this.#replySub = new Subscription(replies, `${this.#prefix}>`, undefined, "jetstream-import-replies");
    this.#system.sublist.insert(this.#replySub);
    this.#account.sublist.insert(this.#importSub);
  }

  /** A client's request: into the system account, with its account named and our reply subject. */
  #request(subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset + start, end - start);
    const header = requestHeader(
      headerSize >= 0 ? bytes.subarray(0, headerSize) : undefined,
      JSON.stringify({ acc: this.#account.name, server: this.#identity.serverName, cluster: this.#identity.clusterName(), kind: "Client", client_type: "nats" }),
    );
    const body = headerSize >= 0 ? bytes.subarray(headerSize) : bytes;
    const message = Buffer.concat([header, body]);
    let systemReply = "";
    if (reply !== "") {
      systemReply = `${this.#prefix}${(++this.#seq).toString(36)}`;
      this.#remember(systemReply, reply);
    }
    return route(this.#systemPublisher, undefined, subject, systemReply, header.length, message, 0, message.length);
  }

  /** An answer in the system account: to the client's reply subject in its account, once. */
  #response(subject: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    const pending = this.#pending.get(subject);
    if (pending === undefined) return false;
    this.#pending.delete(subject);
    route(this.#accountPublisher, undefined, pending.reply, "", headerSize, data, start, end);
    return true;
  }

  #remember(systemReply: string, reply: string): void {
    const now = Date.now();
    // Insertion order is age order: forget the expired and, past the cap, the oldest.
    for (const [key, p] of this.#pending) {
      if (now - p.at < REPLY_TTL_MS && this.#pending.size < MAX_PENDING_REPLIES) break;
      this.#pending.delete(key);
    }
    this.#pending.set(systemReply, { reply, at: now });
  }
}

/**
 * The request's header block with `Nats-Request-Info` set to `info`: a client's own value is
 * dropped (it could name another account), as client.go setHeader replaces it.
 */
function requestHeader(original: Buffer | undefined, info: string): Buffer {
  let lines: string[] = [];
  if (original !== undefined) {
    lines = original.toString("utf8").split("\r\n").slice(1);
    const prefix = `${CLIENT_INFO_HEADER.toLowerCase()}:`;
    lines = lines.filter((line) => line !== "" && !line.toLowerCase().startsWith(prefix));
  }
  return Buffer.from(`NATS/1.0\r\n${lines.map((l) => `${l}\r\n`).join("")}${CLIENT_INFO_HEADER}: ${info}\r\n\r\n`, "utf8");
}
