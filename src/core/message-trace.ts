/**
 * Message tracing, as nats-server 2.11 (server/msgtrace.go): a message published with the
 * header `Nats-Trace-Dest: <subject>` makes each server it crosses publish one JSON event to that
 * subject, listing what happened to it there: where it came in (`in`), a subject mapping (`sm`),
 * a service import (`si`) or stream export (`se`) it crossed, and every delivery (`eg`), to a
 * subscriber or to a route or leaf link, which passes the message on with `Nats-Trace-Hop` so
 * that the next server reports too. `Nats-Trace-Only: true` reports without delivering to any
 * subscriber (links still carry the message, the next server reports it and delivers nothing).
 *
 * Nothing here runs for a message without a header block, and a header block pays one byte scan
 * ({@link hasTraceHeader}) before anything else: the cost of tracing is the traced messages'.
 */
import { isValidLiteralSubject } from "../subjects/subject.ts";
import type { PublisherCache } from "./publisher-cache.ts";
import { TraceError } from "./message-trace-errors.ts";
import { route, runTraced, type DeliveryTrace } from "./router.ts";
import type { Payload, Subscription, TraceTarget } from "./subscription.ts";

/** The headers, spelled as nats-server matches them (exact case). */
export const TRACE_DEST_HEADER = "Nats-Trace-Dest";
export const TRACE_HOP_HEADER = "Nats-Trace-Hop";
export const TRACE_ONLY_HEADER = "Nats-Trace-Only";
/** A message carrying this header is never traced (msgtrace.go: a pre-2.11 origin marker). */
const TRACE_ORIGIN_ACCOUNT_HEADER = "Nats-Trace-Origin-Account";
/**
 * What `Nats-Trace-Dest` is set to where tracing must stop but the message goes on (an import
 * that does not allow tracing): not a valid subject, so that no server downstream traces it.
 */
export const TRACE_DEST_DISABLED = "trace disabled";

/** Route protocol level of a server that traces (server.go MsgTraceProto). */
export const MSG_TRACE_PROTO = 3;

/** nats-server's connection kinds, as the events number them (server/client.go). */
export const TraceKind = { client: 0, router: 1, gateway: 2, system: 3, leaf: 4, jetstream: 5, account: 6 } as const;
export type TraceKind = (typeof TraceKind)[keyof typeof TraceKind];

/** The name a trace event gives the in-process API, as a publisher or a subscriber (it has no connection). */
export const IN_PROCESS_NAME = "in-process";

/** The server a trace event comes from (the `server` object of nats-server's events). */
export interface TraceServer {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly version: string;
  readonly jetstream: boolean;
  readonly cluster?: string | undefined;
}

/** Where a traced message came in. */
export interface TraceIngress {
  readonly server: TraceServer;
  readonly kind: TraceKind;
  readonly cid: number;
  /** The connection's name: a client's CONNECT `name`, a peer server's name. */
  readonly name: string;
  /** The account the message is routed in; the event is published there, through `publisher`. */
  readonly account: string;
  readonly publisher: PublisherCache;
  /** The subject as published, before any mapping. */
  readonly subject: string;
  /** Whether the publisher may publish on the trace destination (client.go allowedToPublishOnMsgTraceDest). */
  mayPublish?(dest: string): boolean;
  /** The publisher may not publish on the destination: tell it, as a publish violation. */
  denied?(dest: string): void;
  /** The account's `msg_trace` (core/accounts.ts), for a message traced by its W3C `traceparent`. */
  readonly msgTrace?: { readonly traceDest: string | undefined; readonly traceSampling: number } | undefined;
}

/** How the message goes on: the bytes may differ from those that came in (a trace disabled on the way). */
export type TracedDelivery = (headerSize: number, data: Buffer, start: number, end: number) => void;

type TraceRecord = Record<string, string | number | boolean>;

let eventSeq = 0;

/**
 * Whether the header block `data[start, start + headerSize)` may ask for a trace: it names a
 * trace destination, or (only in an account with `msg_trace`) carries a W3C `traceparent`. A
 * byte scan with no allocation: the only cost a message with headers that is not traced pays.
 */
export function hasTraceHeader(data: Payload, start: number, headerSize: number, msgTrace?: { readonly traceDest: string | undefined }): boolean {
  if (typeof data === "string" || headerSize <= 0) return false;
  return hasKey(data, start, headerSize, DEST_KEY, false) || (msgTrace?.traceDest !== undefined && hasKey(data, start, headerSize, PARENT_KEY, true));
}

function hasKey(data: Uint8Array, start: number, headerSize: number, key: Buffer, anyCase: boolean): boolean {
  const end = start + headerSize - key.length;
  // Each header line starts after a `\n`; the first line is the `NATS/1.0` status line.
  for (let i = data.indexOf(0x0a, start); i >= 0 && i < end; i = data.indexOf(0x0a, i + 1)) {
    let k = 0;
    // ASCII letters only differ by 0x20 between cases; the key's other bytes (`-`, `:`) have it set already.
    if (anyCase) while (k < key.length && (data[i + 1 + k]! | 0x20) === key[k]) k++;
    else while (k < key.length && data[i + 1 + k] === key[k]) k++;
    if (k === key.length) return true;
  }
  return false;
}
const DEST_KEY = Buffer.from(`${TRACE_DEST_HEADER}:`, "latin1");
/** The W3C header nats-server 2.11 traces by, in any case (msgtrace.go `traceParentHdr`). */
const TRACE_PARENT_HEADER = "traceparent";
const PARENT_KEY = Buffer.from(`${TRACE_PARENT_HEADER}:`, "latin1");

/** A `traceparent` value whose flags say sampled: `version-traceid-parentid-flags`, flags' low bit set. */
function sampledTraceParent(headers: Record<string, string[]>): boolean {
  for (const [name, values] of Object.entries(headers)) {
    if (name.toLowerCase() !== TRACE_PARENT_HEADER) continue;
    for (const value of values) {
      const parts = value.split("-");
      const flags = parts[3];
      if (parts.length === 4 && flags !== undefined && /^[0-9a-fA-F]{2}$/.test(flags) && (parseInt(flags, 16) & 1) === 1) return true;
    }
  }
  return false;
}

/** The header block as nats-server's map: names as written, values in order (genHeaderMapIfTraceHeadersPresent). */
function parseHeaders(block: string): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  const lines = block.split("\r\n");
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const value = line.slice(colon + 1).trim();
    if (value === "") continue;
    const name = line.slice(0, colon);
    (headers[name] ??= []).push(value);
  }
  return headers;
}

/**
 * Runs `deliver` for a message whose header block names a trace destination (the caller checked
 * with {@link hasTraceHeader}), tracing it, then publishes the event. A destination that cannot
 * be used is nats-server's case: the message goes on untraced, or nowhere when it asked for
 * trace only; one the publisher may not publish on stops the message. Never throws.
 */
export function deliverTraced(ingress: TraceIngress, headerSize: number, data: Buffer, start: number, end: number, deliver: TracedDelivery): void {
  const headers = parseHeaders(data.toString("latin1", start, start + headerSize));
  const first = (name: string): string | undefined => headers[name]?.[0];
  let dest = first(TRACE_DEST_HEADER);
  const external = dest === undefined && sampledTraceParent(headers);
  // msgtrace.go initMsgTrace: trace-only goes with `Nats-Trace-Dest` only, never with `traceparent`.
  const only = dest === undefined ? undefined : first(TRACE_ONLY_HEADER)?.toLowerCase();
  const traceOnly = only === "1" || only === "true" || only === "on";
  if (external) {
    const msgTrace = ingress.msgTrace;
    dest = msgTrace?.traceDest;
    // Sampled at the origin only; one not picked is marked so that no server further on traces it.
    if (dest !== undefined && ingress.kind === TraceKind.client && !sample(msgTrace!.traceSampling)) {
      const off = disableTraceHeader(headerSize, data, start, end);
      deliver(off.headerSize, off.data, 0, off.end);
      return;
    }
  }
  if (dest === undefined || dest === TRACE_DEST_DISABLED || first(TRACE_ORIGIN_ACCOUNT_HEADER) !== undefined || !isValidLiteralSubject(dest)) {
    if (!traceOnly) deliver(headerSize, data, start, end);
    return;
  }
  if (ingress.mayPublish !== undefined && !ingress.mayPublish(dest)) {
    ingress.denied?.(dest);
    return;
  }
  const trace = new MessageTrace(ingress, dest, traceOnly, headers, end - start);
  try {
    runTraced(trace, () => deliver(headerSize, data, start, end));
  } finally {
    trace.send();
  }
}

/** One message's trace on this server: the events so far, and how to send them. */
class MessageTrace implements DeliveryTrace {
  readonly traceOnly: boolean;
  readonly #ingress: TraceIngress;
  readonly #dest: string;
  readonly #hop: string;
  readonly #headers: Record<string, string[]>;
  readonly #msgSize: number;
  readonly #events: TraceRecord[];
  #hops = 0;
  /** Links already reported for this message: a route takes it once however many of its subscriptions match. */
  #linked: Map<object, string | undefined> | undefined;

  constructor(ingress: TraceIngress, dest: string, traceOnly: boolean, headers: Record<string, string[]>, msgSize: number) {
    this.#ingress = ingress;
    this.#dest = dest;
    this.traceOnly = traceOnly;
    this.#headers = headers;
    this.#msgSize = msgSize;
    // From a client the hop is ours to start; from a server it says where we are in the tree.
    this.#hop = ingress.kind === TraceKind.client ? "" : (headers[TRACE_HOP_HEADER]?.[0] ?? "");
    this.#events = [event("in", { kind: ingress.kind, cid: ingress.cid, ...(ingress.name !== "" && { name: ingress.name }), acc: ingress.account, subj: ingress.subject })];
  }

  ingressError(text: string): void {
    this.#events[0]!["error"] = text;
  }

  subjectMapping(to: string): void {
    this.#events.push(event("sm", { to }));
  }

  serviceImport(account: string, from: string, to: string): void {
    this.#events.push(event("si", { acc: account, from, to }));
  }

  streamExport(account: string, to: string): void {
    this.#events.push(event("se", { acc: account, to }));
  }

  egress(sub: Subscription, error: string): void {
    const target = sub.sink.traceTarget?.();
    if (target === undefined) return;
    this.#addEgress(target, sub, "", error);
  }

  linkHop(link: object, target: TraceTarget, supportsTracing: boolean): string | undefined {
    const seen = this.#linked?.get(link);
    if (seen !== undefined || this.#linked?.has(link) === true) return seen;
    (this.#linked ??= new Map()).set(link, undefined);
    // client.go processMsgResults numbers the hop before deliverMsg decides whether it goes.
    this.#hops++;
    const hop = this.#hop === "" ? String(this.#hops) : `${this.#hop}.${this.#hops}`;
    if (!supportsTracing && this.traceOnly) {
      // msgtrace.go: a peer that cannot trace would deliver a trace-only message for real.
      this.#addEgress(target, undefined, hop, TraceError.onlyNoSupport);
      return undefined;
    }
    this.#linked.set(link, hop);
    this.#addEgress(target, undefined, hop, supportsTracing ? "" : TraceError.noSupport);
    return hop;
  }

  linkRefused(link: object, target: TraceTarget, error: string): void {
    if (this.#linked?.has(link) === true) return;
    (this.#linked ??= new Map()).set(link, undefined);
    this.#addEgress(target, undefined, "", error);
  }

  #addEgress(target: TraceTarget, sub: Subscription | undefined, hop: string, error: string): void {
    const record = event("eg", { kind: target.kind, cid: target.cid });
    if (target.name !== "") record["name"] = target.name;
    if (hop !== "") record["hop"] = hop;
    // msgtrace.go addEgressEvent: the account only where the delivery crossed into another.
    if (target.account !== "" && target.account !== this.#ingress.account) record["acc"] = target.account;
    if (sub !== undefined && target.kind === TraceKind.client) {
      record["sub"] = sub.subject;
      if (sub.queue !== undefined) record["queue"] = sub.queue;
    }
    if (error !== "") record["error"] = error;
    this.#events.push(record);
  }

  /** Publishes the event in the ingress account (msgtrace.go sendEvent). */
  send(): void {
    const s = this.#ingress.server;
    const json = JSON.stringify({
      server: {
        name: s.name,
        host: s.host,
        id: s.id,
        ...(s.cluster !== undefined && { cluster: s.cluster }),
        ver: s.version,
        jetstream: s.jetstream,
        flags: 0,
        seq: ++eventSeq,
        time: new Date().toISOString(),
      },
      request: { header: this.#headers, msgsize: this.#msgSize },
      ...(this.#hops > 0 && { hops: this.#hops }),
      events: this.#events,
    });
    route(this.#ingress.publisher, undefined, this.#dest, "", -1, json, 0, Buffer.byteLength(json));
  }
}

/** msgtrace.go sample: `sampling` percent, about (nats-server draws 0-99 and keeps draws <= sampling). */
function sample(sampling: number): boolean {
  return sampling <= 0 || sampling >= 100 || Math.floor(Math.random() * 100) <= sampling;
}

function event(type: string, fields: TraceRecord): TraceRecord {
  return { type, ts: new Date().toISOString(), ...fields };
}

/**
 * The message with header `name` set to `value` (replaced where present, added otherwise): the
 * hop a link stamps, or a destination disabled. Returns the new bytes and header size.
 */
export function withHeader(name: string, value: string, headerSize: number, data: Uint8Array, start: number, end: number): { data: Buffer; headerSize: number; end: number } {
  const block = Buffer.from(data.buffer, data.byteOffset + start, headerSize).toString("latin1");
  const lines = block.split("\r\n");
  // The block ends with an empty line: `...\r\n\r\n` splits into two empty strings at the end.
  const kept = lines.filter((line, i) => i === 0 || (line !== "" && line.slice(0, line.indexOf(":")) !== name));
  const head = Buffer.from(`${kept.join("\r\n")}\r\n${name}: ${value}\r\n\r\n`, "latin1");
  const body = Buffer.from(data.buffer, data.byteOffset + start + headerSize, end - start - headerSize);
  return { data: Buffer.concat([head, body]), headerSize: head.length, end: head.length + body.length };
}

/** The message with its trace destination disabled (msgtrace.go `MsgTraceDestDisabled`): no server further on traces it. */
export function disableTraceHeader(headerSize: number, data: Uint8Array, start: number, end: number): { data: Buffer; headerSize: number; end: number } {
  return withHeader(TRACE_DEST_HEADER, TRACE_DEST_DISABLED, headerSize, data, start, end);
}

/**
 * A link (route, leaf) about to send a traced message to its peer: the message with the hop
 * it takes (`Nats-Trace-Hop`, client.go processMsgResults setHopHeader), reported as an egress;
 * undefined when it must not go (trace-only, and the peer cannot trace: it would deliver).
 */
export function stampHop(
  trace: DeliveryTrace,
  link: object,
  target: TraceTarget,
  supportsTracing: boolean,
  headerSize: number,
  data: Uint8Array,
  start: number,
  end: number,
): { data: Buffer; headerSize: number; end: number } | undefined {
  const hop = trace.linkHop(link, target, supportsTracing);
  return hop === undefined ? undefined : withHeader(TRACE_HOP_HEADER, hop, headerSize, data, start, end);
}
