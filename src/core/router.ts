/**
 * The one match-and-deliver path. Every entry point (a network client's PUB, the in-process
 * API, JetStream's internal publishes and deliveries, leaf links) calls {@link route} with its
 * own {@link PublisherCache}, and the delivery rules live here once, as in nats-server's
 * client.go processMsgResults: no echo, the queue pick, `max`, delivery permissions, and what
 * counts as delivered (the no-responders signal). Synchronous, and nothing here waits on a
 * subscriber: a slow one is cut by its own connection, never awaited.
 */
import type { MatchResult } from "../subjects/sublist.ts";
import { TraceError } from "./message-trace-errors.ts";
import type { PublisherCache } from "./publisher-cache.ts";
import type { MessageSink, Payload, Subscription, TraceTarget } from "./subscription.ts";

/**
 * Delivers one message to everyone interested in `subject` in the cache's account: every plain
 * subscription, and one member of each queue group, picked at random as nats-server does.
 * `data[start, end)` is the message (header block first when `headerSize` >= 0); a string
 * payload is the whole message and `end` its UTF-8 length. Returns whether anyone received it.
 */
export function route(
  cache: PublisherCache,
  publisher: MessageSink | undefined,
  subject: string,
  reply: string,
  headerSize: number,
  data: Payload,
  start: number,
  end: number,
): boolean {
  return deliverTo(cache.match(subject), publisher, subject, reply, headerSize, data, start, end);
}

/**
 * The subject the delivery under way was matched on, when the subscribers see another one: a
 * JetStream message goes to an inbox but shows its stored subject (nats-server's `pa.deliver`).
 * A sink that routes by the matched subject (a service import's way back) reads it here.
 */
let routedBy: string | undefined;
/** The subject that delivery presents: a publish nested in it (a callback's) presents another. */
let routedPresenting: string | undefined;

/** {@link deliverTo} matched on `routingSubject` while subscribers see `subject`. */
export function deliverRouted(
  result: MatchResult<Subscription>,
  routingSubject: string,
  subject: string,
  reply: string,
  headerSize: number,
  data: Payload,
  start: number,
  end: number,
): boolean {
  if (routingSubject === subject) return deliverTo(result, undefined, subject, reply, headerSize, data, start, end);
  const outer = routedBy;
  const outerPresenting = routedPresenting;
  routedBy = routingSubject;
  routedPresenting = subject;
  try {
    return deliverTo(result, undefined, subject, reply, headerSize, data, start, end);
  } finally {
    routedBy = outer;
    routedPresenting = outerPresenting;
  }
}

/** The subject the current delivery was matched on: `presented` unless {@link deliverRouted} said otherwise. */
export function matchedSubject(presented: string): string {
  return routedBy !== undefined && presented === routedPresenting ? routedBy : presented;
}

/** {@link route} for a match result the caller already has (a message whose targets it picked). */
export function deliverTo(
  result: MatchResult<Subscription>,
  publisher: MessageSink | undefined,
  subject: string,
  reply: string,
  headerSize: number,
  data: Payload,
  start: number,
  end: number,
): boolean {
  // A server with routes (collecting sinks) or a traced message takes the general loop; every
  // other publish runs only this one, small enough to inline (docs/in-process.md).
  if (generalDeliveries !== 0) return deliverGeneral(result, publisher, subject, reply, headerSize, data, start, end);
  const psubs = result.psubs;
  const skip = publisher !== undefined && !publisher.echo ? publisher : undefined;
  let delivered = false;
  for (let i = 0; i < psubs.length; i++) {
    const sub = psubs[i]!;
    if (sub.sink !== skip && deliverOne(sub, subject, reply, headerSize, data, start, end)) delivered = true;
  }
  // Apart, so that this loop stays small enough for V8 to inline it with the subscriber's
  // delivery into one body (docs/in-process.md, "Inlining budget").
  if (result.qsubs.length > 0 && deliverToQueues(result.qsubs, skip, subject, reply, headerSize, data, start, end)) delivered = true;
  return delivered;
}

/**
 * Collecting sinks alive (routes) plus traced deliveries under way: while both are none, every
 * delivery takes {@link deliverTo}'s own loop.
 */
let generalDeliveries = 0;

/**
 * One subscription: the rules every kind of subscriber shares, then the sink's own delivery.
 * A subscription with no `max`, no delivery permissions to check and a message without a reply
 * (the common case) takes the short branch, kept small so that V8 can inline a whole delivery,
 * subscriber's callback included, into the publisher (docs/in-process.md, "Inlining budget").
 */
export function deliverOne(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
  if (sub.max > 0 || sub.denyCheck || reply !== "") return deliverChecked(sub, subject, reply, headerSize, data, start, end);
  sub.delivered++;
  if (sub.sink.deliver(sub, subject, reply, headerSize, data, start, end)) return true;
  sub.delivered--;
  return false;
}

/**
 * {@link deliverOne} with every rule. The count goes up before the sink runs, so that a callback
 * publishing to the same subject cannot take a subscription past its `max`.
 */
function deliverChecked(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
  const sink = sub.sink;
  const max = sub.max;
  if (max > 0 && sub.delivered >= max) return false;
  // client.go checkDenySub: a wildcard subscription overlapping a denied subject is filtered here.
  if (sub.denyCheck && sink.guard!.permissions.deniesDelivery(subject)) return false;
  // Before the delivery: an in-process callback may answer at once, and a user with response
  // permissions may answer only what it received (nats-server's `allow_responses`).
  if (reply !== "" && sink.guard !== undefined) sink.guard.noteDelivery(reply);
  const n = ++sub.delivered;
  if (!sink.deliver(sub, subject, reply, headerSize, data, start, end)) {
    sub.delivered--;
    return false;
  }
  if (n === max) sink.maxReached(sub);
  return true;
}

/** One member of each queue group, from a random start, as client.go processMsgResults. */
function deliverToQueues(
  qsubs: readonly (readonly Subscription[])[],
  skip: MessageSink | undefined,
  subject: string,
  reply: string,
  headerSize: number,
  data: Payload,
  start: number,
  end: number,
): boolean {
  let delivered = false;
  for (let g = 0; g < qsubs.length; g++) {
    const group = qsubs[g]!;
    const n = group.length;
    const first = n === 1 ? 0 : Math.floor(Math.random() * n);
    for (let k = 0; k < n; k++) {
      const sub = group[(first + k) % n]!;
      if (sub.sink === skip) continue;
      if (deliverOne(sub, subject, reply, headerSize, data, start, end)) {
        delivered = true;
        break;
      }
    }
  }
  return delivered;
}

// ---- traced deliveries (message-trace.ts) --------------------------------------------------

/** What the router tells the trace of the message it delivers (implemented in message-trace.ts). */
export interface DeliveryTrace {
  /** `Nats-Trace-Only`: subscribers are reported, not delivered to; links still carry it. */
  readonly traceOnly: boolean;
  /** `sub`, whose sink has a {@link MessageSink.traceTarget}, was reached (`error` "") or not. */
  egress(sub: Subscription, error: string): void;
  /**
   * A link (route, leaf) sends the message on: the hop it stamps (`Nats-Trace-Hop`), or
   * undefined when it must not send (trace-only to a peer that cannot trace). Once per link.
   */
  linkHop(link: object, target: TraceTarget, supportsTracing: boolean): string | undefined;
  /** A link may not carry the message (its permissions): reported once per link. */
  linkRefused(link: object, target: TraceTarget, error: string): void;
  serviceImport(account: string, from: string, to: string): void;
  streamExport(account: string, to: string): void;
  subjectMapping(to: string): void;
  ingressError(text: string): void;
}

/** The trace of the message being delivered; undefined for every untraced one. */
let tracing: DeliveryTrace | undefined;

/** The trace of the delivery under way, if the message is traced. */
export function currentTrace(): DeliveryTrace | undefined {
  return tracing;
}

/** Runs `run` with `trace` as the delivery's trace (undefined: untraced, as across an import that does not allow it). */
export function runTraced(trace: DeliveryTrace | undefined, run: () => void): void {
  const outer = tracing;
  tracing = trace;
  generalDeliveries++;
  try {
    run();
  } finally {
    tracing = outer;
    generalDeliveries--;
  }
}

/**
 * {@link deliverTo} in a delivery scope (a server with routes: see {@link collectTarget}) and
 * for a traced message: the same rules, each refusal reported (client.go deliverMsg).
 */
function deliverGeneral(
  result: MatchResult<Subscription>,
  publisher: MessageSink | undefined,
  subject: string,
  reply: string,
  headerSize: number,
  data: Payload,
  start: number,
  end: number,
): boolean {
  const trace = tracing;
  const mark = collectingSinks === 0 ? -1 : beginDelivery();
  const skip = publisher !== undefined && !publisher.echo ? publisher : undefined;
  let delivered = false;
  for (const sub of result.psubs) {
    if (sub.sink === skip) trace?.egress(sub, TraceError.noEcho);
    else if (deliverOneTraced(sub, subject, reply, headerSize, data, start, end)) delivered = true;
  }
  for (const group of result.qsubs) {
    const n = group.length;
    const first = n === 1 ? 0 : Math.floor(Math.random() * n);
    for (let k = 0; k < n; k++) {
      const sub = group[(first + k) % n]!;
      if (sub.sink === skip) continue;
      if (deliverOneTraced(sub, subject, reply, headerSize, data, start, end)) {
        delivered = true;
        break;
      }
    }
  }
  if (mark >= 0) endDelivery(mark);
  return delivered;
}

/**
 * {@link deliverOne} while a message is traced (the same when it is not): a subscriber a message
 * ends at is reported, and under trace-only counts as reached without getting anything (as
 * nats-server, so that a traced request gets no no-responders status).
 */
export function deliverOneTraced(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
  const trace = tracing;
  const sink = sub.sink;
  if (trace === undefined || sink.traceTarget === undefined) return deliverOne(sub, subject, reply, headerSize, data, start, end);
  if (sub.max > 0 && sub.delivered >= sub.max) {
    trace.egress(sub, TraceError.autoUnsubExceeded);
    return false;
  }
  if (sub.denyCheck && sink.guard!.permissions.deniesDelivery(subject)) {
    trace.egress(sub, TraceError.subDeny);
    return false;
  }
  if (trace.traceOnly) {
    trace.egress(sub, "");
    return true;
  }
  const ok = deliverOutsideTrace(sub, subject, reply, headerSize, data, start, end);
  trace.egress(sub, ok ? "" : TraceError.clientClosed);
  return ok;
}

/**
 * A subscriber's own delivery, with no trace under way: an in-process callback that publishes
 * (a responder, JetStream's acknowledgement) publishes a message of its own, not this one.
 */
function deliverOutsideTrace(sub: Subscription, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): boolean {
  const outer = tracing;
  tracing = undefined;
  generalDeliveries--;
  try {
    return deliverOne(sub, subject, reply, headerSize, data, start, end);
  } finally {
    tracing = outer;
    generalDeliveries++;
  }
}

// ---- targets that take a message once however many of their subscriptions match ----------

/**
 * A sink that sends one frame per message whatever the number of its subscriptions the
 * message reaches, naming the queue groups it takes (a route: client.go addSubToRouteTargets,
 * then one `RMSG` per route). Its `deliver` calls {@link collectTarget}; the router sends the
 * collected frame once the message's delivery is over.
 */
export interface CollectingSink extends MessageSink {
  /** `origin`: the leaf node cluster the message came from ("" when none), see {@link beginDelivery}. */
  sendCollected(scope: string, subject: string, reply: string, queues: readonly string[], headerSize: number, data: Payload, start: number, end: number, origin: string): void;
}

interface Target {
  sink: CollectingSink;
  scope: string;
  subject: string;
  reply: string;
  queues: string[];
  headerSize: number;
  data: Payload;
  start: number;
  end: number;
  origin: string;
}

const NO_QUEUES: readonly string[] = [];
/** Collecting sinks alive (routes); while there are none, deliveries open no scope. */
let collectingSinks = 0;

/** A collecting sink is alive until the returned function is called (once). */
export function registerCollectingSink(): () => void {
  collectingSinks++;
  generalDeliveries++;
  let registered = true;
  return () => {
    if (registered) {
      collectingSinks--;
      generalDeliveries--;
    }
    registered = false;
  };
}
/** Targets of the deliveries in progress; a delivery owns those from its mark on (deliveries nest). */
const targets: Target[] = [];
/** Where the innermost delivery's targets begin. */
let scopeStart = 0;

/**
 * Opens a delivery whose collecting targets are sent by {@link endDelivery}; `deliverTo` does it
 * itself, an entry point that calls {@link deliverOne} directly (a message from a link) does it
 * around its deliveries. Returns the mark to end with. `origin` names the leaf node cluster a
 * message from a leaf link came from: routes tell their peers (route.go LMSG). A delivery
 * nested in this one (a subscriber publishing from its callback) opens its own, with none.
 */
export function beginDelivery(origin = ""): number {
  outerStarts.push(scopeStart);
  outerOrigins.push(deliveryOrigin);
  deliveryOrigin = origin;
  scopeStart = targets.length;
  return scopeStart;
}
/** The enclosing deliveries' starts (empty: no delivery in progress). */
const outerStarts: number[] = [];
/** The innermost delivery's origin, and the enclosing ones'. */
let deliveryOrigin = "";
const outerOrigins: string[] = [];

/** Sends what the delivery opened at `mark` collected, and returns to the enclosing one. */
export function endDelivery(mark: number): void {
  scopeStart = outerStarts.pop() ?? 0;
  deliveryOrigin = outerOrigins.pop() ?? "";
  if (targets.length > mark) sendTargets(mark);
}

function sendTargets(mark: number): void {
  const mine = targets.splice(mark);
  for (const t of mine) t.sink.sendCollected(t.scope, t.subject, t.reply, t.queues.length === 0 ? NO_QUEUES : t.queues, t.headerSize, t.data, t.start, t.end, t.origin);
}

/**
 * Called by a {@link CollectingSink}'s `deliver`: the sink takes this message (in `scope`, an
 * account) once, for its plain interest and for `queue` when given. Outside any delivery it is
 * sent at once.
 */
export function collectTarget(sink: CollectingSink, scope: string, queue: string | undefined, subject: string, reply: string, headerSize: number, data: Payload, start: number, end: number): void {
  if (outerStarts.length === 0) {
    sink.sendCollected(scope, subject, reply, queue === undefined ? NO_QUEUES : [queue], headerSize, data, start, end, "");
    return;
  }
  for (let i = scopeStart; i < targets.length; i++) {
    const t = targets[i]!;
    if (t.sink === sink && t.scope === scope && t.subject === subject && t.data === data && t.start === start) {
      if (queue !== undefined && !t.queues.includes(queue)) t.queues.push(queue);
      return;
    }
  }
  targets.push({ sink, scope, subject, reply, queues: queue === undefined ? [] : [queue], headerSize, data, start, end, origin: deliveryOrigin });
}
