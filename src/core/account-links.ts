/**
 * What crosses between accounts, as nats-server's exports and imports (accounts.go): nothing
 * else does. Both are subscriptions in one account's sublist whose sink publishes into another
 * account, so the one router carries them like any subscriber:
 * - a stream import is a subscription in the exporter's account; each message it gets is
 *   published again in the importer's, under the import's subject (`prefix` or `to`);
 * - a service import is a subscription in the importer's account; a request it gets is
 *   published in the exporter's under the export's subject, with its reply subject replaced by
 *   a `_R_.` subject of the exporter's that routes the responses back to the original reply.
 */
import { randomBytes } from "node:crypto";
import type { Account } from "./account.ts";
import type { PublisherCache } from "./publisher-cache.ts";
import { disableTraceHeader } from "./message-trace.ts";
import { currentTrace, deliverRouted, matchedSubject, runTraced, type DeliveryTrace } from "./router.ts";
import { SinkKind, Subscription, type MessageSink, type Payload } from "./subscription.ts";

/** How many responses a service export sends to one request (nats-server's response types). */
export type ServiceResponseType = "singleton" | "stream" | "chunked";

/** Maps subjects matching `from` onto `to`, wildcard by wildcard, in order. */
export class SubjectMapping {
  readonly #from: readonly string[];
  readonly #to: readonly string[];
  /** For each wildcard token of `to`, the index of the `from` wildcard whose token(s) it takes. */
  readonly #slots: readonly number[];

  constructor(from: string, to: string) {
    this.#from = from.split(".");
    this.#to = to.split(".");
    const fromWildcards = this.#from.flatMap((t, i) => (t === "*" || t === ">" ? [i] : []));
    let next = 0;
    this.#slots = this.#to.map((t) => (t === "*" || t === ">" ? (fromWildcards[next++] ?? -1) : -1));
  }

  /** The subject `subject` (which matches `from`) becomes. */
  apply(subject: string): string {
    if (this.#from.length === 1 && this.#to.length === 1 && this.#from[0] === this.#to[0]) return subject;
    const tokens = subject.split(".");
    const out: string[] = [];
    for (let i = 0; i < this.#to.length; i++) {
      const slot = this.#slots[i]!;
      if (slot < 0) out.push(this.#to[i]!);
      else if (this.#from[slot] === ">") out.push(tokens.slice(slot).join("."));
      else out.push(tokens[slot]!);
    }
    return out.join(".");
  }
}

/** Whether every subject `subset` can match, `pattern` matches too. */
export function isSubjectSubset(subset: string, pattern: string): boolean {
  const s = subset.split(".");
  const p = pattern.split(".");
  for (let i = 0; i < p.length; i++) {
    const pt = p[i]!;
    if (pt === ">") return i < s.length;
    const st = s[i];
    if (st === undefined || st === ">") return false;
    if (pt !== "*" && (st === "*" || st !== pt)) return false;
  }
  return s.length === p.length;
}

/**
 * A message that crosses accounts may cross again (A exports to B, B to C); a chain of imports
 * that comes back on itself is refused when the accounts are built, and this bounds whatever
 * gets past that (a responder answering into its own import) to a few hops.
 */
const MAX_HOPS = 8;
let hops = 0;

/**
 * Publishes again in another account, matched on `routing` while the subscribers see
 * `subject` (the same but for a JetStream delivery crossing back, see ResponseSink).
 */
function forward(cache: PublisherCache, routing: string, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
  if (hops >= MAX_HOPS) return false;
  hops++;
  try {
    // A new message in the other account: whatever the outer delivery was matched on is not its.
    return deliverRouted(cache.match(routing), routing, subject, reply, headerSize, data, start, end);
  } finally {
    hops--;
  }
}

/**
 * A traced message crossing into another account where tracing is not allowed (accounts.go
 * `allow_trace` off, the default): the trace stops here. A trace-only message goes no further
 * (and counts as delivered, as nats-server, so that a request gets no no-responders); any other
 * goes on untraced, its destination header disabled so that no server further on traces it.
 */
function forwardUntraced(trace: DeliveryTrace, headerSize: number, data: Payload, start: number, end: number, send: (headerSize: number, data: Payload, end: number) => boolean): boolean {
  if (trace.traceOnly) return true;
  const off = typeof data === "string" ? undefined : disableTraceHeader(headerSize, data, start, end);
  let delivered = false;
  runTraced(undefined, () => {
    delivered = off === undefined ? send(headerSize, data, end) : send(off.headerSize, off.data, off.end);
  });
  return delivered;
}

/** A sink that publishes into another account: nothing to write, no echo, no permissions. */
abstract class CrossAccountSink implements MessageSink {
  readonly kind = SinkKind.inProcess;
  readonly echo = true;
  readonly guard = undefined;
  abstract deliver(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean;
  maxReached(): void {}
}

/**
 * Whether a message on `subject` in `account` reaches a subscriber: a stream import counts only
 * when someone in its importer's account listens (nats-server subscribes the exporter to an
 * import's subjects only while the importer has subscribers on them: its shadow
 * subscriptions). JetStream asks this before a push consumer counts as bound.
 */
export function hasInterest(account: Account, subject: string): boolean {
  if (hops >= MAX_HOPS) return false;
  const result = account.sublist.match(subject);
  if (result.qsubs.length > 0) return true;
  hops++;
  try {
    for (const sub of result.psubs) if (sub.sink.interestIn === undefined || sub.sink.interestIn(subject)) return true;
    return false;
  } finally {
    hops--;
  }
}

/** A stream import: the exporter's messages, published again in the importer's account. */
class StreamImportSink extends CrossAccountSink {
  readonly #into: PublisherCache;
  readonly #importer: Account;
  readonly #mapping: SubjectMapping;
  readonly #allowTrace: boolean;

  constructor(into: Account, mapping: SubjectMapping, allowTrace: boolean) {
    super();
    this.#into = into.publisher();
    this.#importer = into;
    this.#mapping = mapping;
    this.#allowTrace = allowTrace;
  }

  interestIn(subject: string): boolean {
    return hasInterest(this.#importer, this.#mapping.apply(subject));
  }

  deliver(_sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    // A JetStream push delivery is matched on its deliver subject and shows the stored one: it
    // crosses on the deliver subject and still shows the stored subject on the other side.
    const matched = matchedSubject(subject);
    const mapped = this.#mapping.apply(matched);
    const trace = currentTrace();
    if (trace !== undefined) {
      trace.streamExport(this.#importer.name, mapped);
      if (!this.#allowTrace) return forwardUntraced(trace, headerSize, data, start, end, (h, d, e) => forward(this.#into, mapped, matched === subject ? mapped : subject, reply, h, d, d === data ? start : 0, e));
    }
    return forward(this.#into, mapped, matched === subject ? mapped : subject, reply, headerSize, data, start, end);
  }
}

/** nats-server's default `response_threshold`: how long a service import waits for responses. */
export const DEFAULT_RESPONSE_THRESHOLD_MS = 2 * 60_000;
/** Requests in flight through one service import; past it the oldest is forgotten. */
const MAX_PENDING_RESPONSES = 100_000;

interface PendingResponse {
  readonly reply: string;
  readonly expires: number;
}

/**
 * The responses' way back: one `_R_.<prefix>.>` subscription in the exporter's account for
 * each service import, and a map from the token after the prefix to the importer's reply.
 * Entries expire in the order they were made (one threshold for all), so the oldest are
 * dropped from the front when a request comes: no timer per request.
 */
class ResponseSink extends CrossAccountSink {
  readonly prefix: string;
  readonly #into: PublisherCache;
  readonly #responseType: ServiceResponseType;
  readonly #threshold: number;
  readonly #pending = new Map<string, PendingResponse>();
  #next = 0;

  constructor(into: Account, responseType: ServiceResponseType, threshold: number) {
    super();
    this.prefix = `_R_.${randomBytes(6).toString("base64url").replace(/[-_]/g, "x")}.`;
    this.#into = into.publisher();
    this.#responseType = responseType;
    this.#threshold = threshold;
  }

  /** A reply subject in the exporter's account that leads back to `reply` in the importer's. */
  track(reply: string): string {
    const now = Date.now();
    for (const [token, pending] of this.#pending) {
      if (pending.expires > now && this.#pending.size < MAX_PENDING_RESPONSES) break;
      this.#pending.delete(token);
    }
    const token = (this.#next++).toString(36);
    this.#pending.set(token, { reply, expires: now + this.#threshold });
    return this.prefix + token;
  }

  deliver(_sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    // A JetStream delivery to the `_R_.` reply shows the stored subject: the token is in the
    // subject it was matched on, and the importer sees the stored subject too (nats-server
    // leaves a response's subject as it is when it crosses back).
    const routing = matchedSubject(subject);
    const token = routing.slice(this.prefix.length);
    const pending = this.#pending.get(token);
    if (pending === undefined) return false;
    if (pending.expires <= Date.now()) {
      this.#pending.delete(token);
      return false;
    }
    if (this.#responseType === "singleton") this.#pending.delete(token);
    return forward(this.#into, pending.reply, routing === subject ? pending.reply : subject, reply, headerSize, data, start, end);
  }
}

/** A service import: requests in the importer's account, answered in the exporter's. */
class ServiceImportSink extends CrossAccountSink {
  readonly #into: PublisherCache;
  readonly #mapping: SubjectMapping;
  readonly #responses: ResponseSink;
  readonly #exporter: string;
  readonly #allowTrace: boolean;

  constructor(into: Account, mapping: SubjectMapping, responses: ResponseSink, allowTrace: boolean) {
    super();
    this.#into = into.publisher();
    this.#exporter = into.name;
    this.#mapping = mapping;
    this.#responses = responses;
    this.#allowTrace = allowTrace;
  }

  deliver(_sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    const mapped = this.#mapping.apply(subject);
    const trace = currentTrace();
    if (trace !== undefined) {
      trace.serviceImport(this.#exporter, subject, mapped);
      if (!this.#allowTrace) return forwardUntraced(trace, headerSize, data, start, end, (h, d, e) => this.#forward(mapped, reply, h, d, d === data ? start : 0, e));
    }
    return this.#forward(mapped, reply, headerSize, data, start, end);
  }

  #forward(mapped: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
    const replyThere = reply === "" ? "" : this.#responses.track(reply);
    return forward(this.#into, mapped, mapped, replyThere, headerSize, data, start, end);
  }
}

let importSids = 0;

/**
 * Subscribes `importer` to `subject` of `exporter` (a stream import): messages appear in the
 * importer's account under `to` (the same subject when equal). Returns the unsubscribe.
 */
export function linkStreamImport(exporter: Account, subject: string, importer: Account, to: string, allowTrace = false): () => void {
  const sub = new Subscription(new StreamImportSink(importer, new SubjectMapping(subject, to), allowTrace), subject, undefined, `import-${++importSids}`);
  exporter.sublist.insert(sub);
  return () => void exporter.sublist.remove(sub);
}

/**
 * Lets `importer` send requests on `to` that reach `subject` in `exporter` (a service import),
 * the responses coming back to each request's reply. Returns the unsubscribe.
 */
export function linkServiceImport(
  exporter: Account,
  subject: string,
  importer: Account,
  to: string,
  responseType: ServiceResponseType,
  threshold = DEFAULT_RESPONSE_THRESHOLD_MS,
  allowTrace = false,
): () => void {
  const responses = new ResponseSink(importer, responseType, threshold);
  const back = new Subscription(responses, `${responses.prefix}>`, undefined, `import-${++importSids}`);
  const sub = new Subscription(new ServiceImportSink(exporter, new SubjectMapping(to, subject), responses, allowTrace), to, undefined, `import-${++importSids}`);
  exporter.sublist.insert(back);
  importer.sublist.insert(sub);
  return () => {
    importer.sublist.remove(sub);
    exporter.sublist.remove(back);
  };
}
