/**
 * The capture path: a message published on a stream's subject is checked, stored and
 * acknowledged, in nats-server's order (server/stream.go `processJetStreamMsg`): sealed,
 * expected stream, expected last subject sequence, expected last sequence, duplicate id,
 * expected last msg id, rollup permission, message size, then discard-new limits, interest,
 * store, rollup purge. Every refusal is a PubAck error (`{"error":…,"stream":"S","seq":0}`); a
 * publish without a reply is handled the same and answered with nothing.
 */
import type { ApiError } from "../shared/contracts.ts";
import { DiscardNewRefusal, JsErrors } from "../shared/api-errors.ts";
import { MsgHeaders } from "../../direct/headers.ts";
import { isValidLiteralSubject, isValidSubject } from "../../subjects/subject.ts";
import type { SubjectTransform } from "../../subjects/subject-transform.ts";
import { formatNanos } from "../shared/rfc3339.ts";
import type { StreamConfig } from "../shared/types.ts";
import type { StreamStore } from "../store/stream-store.ts";
import { MSG_TTL_HEADER, parseMsgTtl, type MsgTtl } from "../store/msg-ttl.ts";
import { applyIncrement, checkIncrement } from "./counter.ts";
import { checkSchedule, SCHEDULE_NEXT_PURGE, ScheduleHeader } from "./schedules.ts";

/** Header names the publish path reads (server/stream.go `JS*` constants). */
export const JsHeader = {
  MsgId: "Nats-Msg-Id",
  ExpectedStream: "Nats-Expected-Stream",
  ExpectedLastSeq: "Nats-Expected-Last-Sequence",
  ExpectedLastSubjSeq: "Nats-Expected-Last-Subject-Sequence",
  ExpectedLastSubjSeqSubj: "Nats-Expected-Last-Subject-Sequence-Subject",
  ExpectedLastMsgId: "Nats-Expected-Last-Msg-Id",
  Rollup: "Nats-Rollup",
} as const;

/** nats-server stores at most this much header (`math.MaxUint16`). */
const MAX_HEADER_SIZE = 65535;

/** Message ids seen within the duplicate window, oldest first (a Map keeps insertion order). */
export class DuplicateWindow {
  readonly #ids = new Map<string, { seq: number; timeNs: bigint }>();
  #windowNs: bigint;

  constructor(windowNs: number) {
    this.#windowNs = BigInt(windowNs);
  }

  set windowNs(windowNs: number) {
    this.#windowNs = BigInt(windowNs);
  }

  /** The sequence stored under `id` within the window, or 0. */
  find(id: string, nowNs: bigint): number {
    this.#expire(nowNs);
    return this.#ids.get(id)?.seq ?? 0;
  }

  remember(id: string, seq: number, timeNs: bigint): void {
    this.#ids.delete(id);
    this.#ids.set(id, { seq, timeNs });
  }

  clear(): void {
    this.#ids.clear();
  }

  #expire(nowNs: bigint): void {
    const cutoff = nowNs - this.#windowNs;
    for (const [id, entry] of this.#ids) {
      if (entry.timeNs >= cutoff) break;
      this.#ids.delete(id);
    }
  }
}

/** What the capture path needs of its stream. */
export interface CaptureTarget {
  readonly name: string;
  readonly config: StreamConfig;
  readonly store: StreamStore;
  /** The last sequence assigned (stored or skipped), nats-server's `mset.lseq`. */
  lastSeq: number;
  /** The Nats-Msg-Id of the last message stored, nats-server's `mset.lmsgId`. */
  lastMsgId: string;
  readonly duplicates: DuplicateWindow;
  /** The PubAck's opening, `{"stream":"S", "seq":` (with the domain when set). */
  readonly ackPrefix: string;
  /** Interest retention: does any consumer want `subject`? */
  hasConsumerInterest(subject: string): boolean;
  /** Server-wide resource check (maxMemory/maxStore): false once they are exceeded. */
  hasRoomFor(): boolean;
  /** The server's `max_payload`: a counter's new total, with its headers, must fit it. */
  maxPayload(): number;
  /** Bytes a message counts for in this stream's store. */
  messageSize(subject: string, headers: Uint8Array | undefined, data: Uint8Array): number;
  /** After a message is stored. */
  stored(seq: number, subject: string): void;
  respond(reply: string, body: string): void;
  now(): bigint;
  /** The `republish` transform, when the stream has one with a destination. */
  readonly republisher: SubjectTransform | undefined;
  /** Publishes a republished message: `headers` is a whole header block. */
  republish(subject: string, headers: Uint8Array, data: Uint8Array | undefined): void;
}

/** One message to capture. `headers` is the raw header block. */
export interface Inbound {
  readonly subject: string;
  readonly reply: string;
  readonly headers: Uint8Array | undefined;
  readonly data: Uint8Array;
  /** Brought by a source (nats-server's `sourced`): a TTL is not refused on a stream without `allow_msg_ttl`. */
  readonly sourced?: boolean;
  /** Part of a batch: the PubAck says the batch and its count instead of a counter's value. */
  readonly batch?: { readonly id: string; readonly count: number };
  /**
   * Who hears the outcome instead of `reply`: batches answer with flow-control messages or
   * only at their commit, not once per message.
   */
  readonly answer?: (outcome: CaptureOutcome) => void;
}

/** What became of one captured message. */
export type CaptureOutcome =
  | { readonly kind: "stored"; readonly seq: number; readonly ack: string }
  | { readonly kind: "duplicate"; readonly seq: number }
  | { readonly kind: "refused"; readonly error: ApiError };

/** A refused PubAck (`{"error":…,"stream":"S","seq":0}`). */
export function ackError(target: Pick<CaptureTarget, "name">, error: ApiError): string {
  return JSON.stringify({ error, stream: target.name, seq: 0 });
}

/** A header's value parsed as an unsigned integer, as nats-server's `parseInt64` (invalid = -1). */
function headerSeq(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : -1;
}

/** The sequence of the last message matching `filter`, 0 when none (or the filter is no subject). */
function lastMatching(target: CaptureTarget, filter: string): number {
  if (!isValidSubject(filter)) return 0;
  return target.store.loadLast(filter)?.seq ?? 0;
}

/** Checks, stores and acknowledges one message. Never throws. */
export function capture(target: CaptureTarget, inbound: Inbound): void {
  let msg = inbound;
  // A `no_ack` stream never answers, not even a refusal (nats-server `doAck`).
  const reply = target.config.no_ack === true ? "" : msg.reply;
  const answer =
    msg.answer ??
    ((outcome: CaptureOutcome): void => {
      if (reply === "") return;
      if (outcome.kind === "refused") target.respond(reply, ackError(target, outcome.error));
      else if (outcome.kind === "duplicate") target.respond(reply, `${target.ackPrefix}${outcome.seq},"duplicate": true}`);
      else target.respond(reply, outcome.ack);
    });
  const refuse = (error: ApiError): void => answer({ kind: "refused", error });
  const cfg = target.config;
  if (cfg.sealed) return refuse(JsErrors.sealed());

  let headers = msg.headers;
  if (headers !== undefined && headers.length === 0) headers = undefined;
  const parsed = headers === undefined ? undefined : MsgHeaders.decode(headers);
  let msgId = "";
  let rollup = "";
  let ttl: MsgTtl = 0;
  let incr: bigint | undefined;
  let addedRollup = false;
  if (parsed !== undefined) {
    // Counter increments are looked at before any other header (stream.go processJetStreamMsg).
    const increment = checkIncrement(parsed, msg.data.length, cfg.allow_msg_counter === true, msg.sourced === true);
    if ("error" in increment) return refuse(increment.error);
    incr = increment.incr;

    const expectedStream = parsed.get(JsHeader.ExpectedStream);
    if (expectedStream !== "" && expectedStream !== target.name) return refuse(JsErrors.streamNotMatch());

    // A readable TTL is refused at once without `allow_msg_ttl`; an unreadable one only just
    // before storing (stream.go processJetStreamMsg reads it twice, ignoring the error first).
    const ttlValue = parsed.get(MSG_TTL_HEADER);
    if (ttlValue !== "") ttl = parseMsgTtl(ttlValue);
    if (typeof ttl === "number" && ttl !== 0 && cfg.allow_msg_ttl !== true && msg.sourced !== true) return refuse(JsErrors.msgTtlDisabled());

    // The subject the check is about may be given, a wildcard included: the last message
    // matching it (stream.go processJetStreamMsg, `JSExpectedLastSubjSeqSubj`, nats-server 2.11).
    const checkedSubject = parsed.get(JsHeader.ExpectedLastSubjSeqSubj);
    if (parsed.has(JsHeader.ExpectedLastSubjSeq)) {
      const expected = headerSeq(parsed.get(JsHeader.ExpectedLastSubjSeq));
      const last = checkedSubject === "" ? target.store.lastSeqForSubject(msg.subject) : lastMatching(target, checkedSubject);
      if (expected !== last) return refuse(JsErrors.wrongLastSequence(last));
    } else if (checkedSubject !== "") {
      return refuse(JsErrors.expectedLastSubjectSeqInvalid());
    }
    if (parsed.has(JsHeader.ExpectedLastSeq)) {
      const expected = headerSeq(parsed.get(JsHeader.ExpectedLastSeq));
      if (expected !== target.lastSeq) return refuse(JsErrors.wrongLastSequence(target.lastSeq));
    }

    // Schedules (nats-server 2.12): checked after the expected sequences, as stream.go does.
    if (msg.sourced !== true) {
      const schedule = checkSchedule(parsed, msg.subject, cfg, target.store);
      if ("error" in schedule) return refuse(schedule.error);
      // A schedule is kept as the last message of its subject.
      if (schedule.addRollup) {
        headers = withAddedRollup(headers!);
        addedRollup = true;
      }
    }

    msgId = parsed.get(JsHeader.MsgId);
    if (msgId !== "") {
      const seq = target.duplicates.find(msgId, target.now());
      if (seq > 0) return answer({ kind: "duplicate", seq });
    }

    const expectedLastId = parsed.get(JsHeader.ExpectedLastMsgId);
    if (expectedLastId !== "" && expectedLastId !== target.lastMsgId) return refuse(JsErrors.wrongLastMsgId(target.lastMsgId));

    rollup = addedRollup ? "sub" : parsed.get(JsHeader.Rollup);
    if (rollup !== "") {
      if (!cfg.allow_rollup_hdrs || cfg.deny_purge) return refuse(JsErrors.rollupFailed("rollup not permitted"));
      if (rollup !== "sub" && rollup !== "all") return refuse(JsErrors.rollupFailed(`rollup value invalid: ${JSON.stringify(rollup)}`));
    }
  }
  if (cfg.allow_msg_counter === true && incr === undefined) return refuse(JsErrors.counterIncrMissing());

  // The increment becomes the new total here, before the size checks, which then see the
  // message as it will be stored (stream.go processJetStreamMsg). The PubAck says the total.
  let ackTail = "}";
  if (incr !== undefined && cfg.allow_msg_counter === true) {
    const counted = applyIncrement(target.store, msg.subject, headers, msg.data, incr);
    if ("error" in counted) return refuse(counted.error);
    // A total (with its headers) past the server's max_payload is refused as too large.
    const size = (counted.headers?.length ?? 0) + counted.data.length;
    if (size > target.maxPayload()) return refuse(JsErrors.messageTooLarge());
    headers = counted.headers;
    msg = { ...msg, data: counted.data };
    ackTail = `,"val":${JSON.stringify(counted.total)}}`;
  }

  const headerSize = headers?.length ?? 0;
  const maxMsgSize = cfg.max_msg_size;
  if (maxMsgSize >= 0 && headerSize + msg.data.length > maxMsgSize) return refuse(JsErrors.messageTooLarge());
  if (headerSize > MAX_HEADER_SIZE) return refuse(JsErrors.headerTooLarge());

  const size = target.messageSize(msg.subject, headers, msg.data);
  if (cfg.discard === "new") {
    const refusal = discardNewRefusal(target, msg.subject, size, rollup !== "");
    if (refusal !== undefined) return refuse(JsErrors.storeFailed(refusal));
  }
  if (!target.hasRoomFor()) return refuse(JsErrors.insufficientResources());
  // A batch's PubAck says the batch instead (stream.go processJetStreamMsg).
  if (msg.batch !== undefined) ackTail = `,"batch":${JSON.stringify(msg.batch.id)},"count":${msg.batch.count}}`;
  if (ttl === "invalid") return refuse(JsErrors.msgTtlInvalid());
  // A TTL shorter than the markers' would let a message expire with a marker for its subject
  // still there, and no marker would follow (stream.go: at least the marker TTL, unless one
  // message per subject).
  const markerTtlSeconds = Math.floor((cfg.subject_delete_marker_ttl ?? 0) / 1e9);
  if (ttl > 0 && markerTtlSeconds > 0 && cfg.max_msgs_per_subject !== 1 && ttl < markerTtlSeconds) {
    headers = withMsgTtl(headers!, markerTtlSeconds);
  }

  // Republish: the subject it goes to, and the last sequence of this exact subject before
  // this message (stream.go processJetStreamMsg, "aids in gap detection").
  let republishTo: string | undefined;
  let lastForSubject = 0;
  if (target.republisher !== undefined) {
    republishTo = target.republisher.match(msg.subject);
    if (republishTo !== undefined && !isValidLiteralSubject(republishTo)) republishTo = undefined;
    if (republishTo !== undefined) lastForSubject = target.store.lastSeqForSubject(msg.subject);
  }
  const republish = (seq: number, timeNs: bigint): void => {
    if (republishTo !== undefined) republishStored(target, republishTo, msg, headers, seq, timeNs, lastForSubject);
  };

  // Interest retention: a message no consumer wants is not kept, but still takes a sequence
  // and moves the last timestamp (nats-server `SkipMsgNoInterest`): stored and removed at once.
  if (cfg.retention === "interest" && !target.hasConsumerInterest(msg.subject)) {
    let seq: number;
    let timeNs: bigint;
    try {
      ({ seq, timeNs } = target.store.store(msg.subject, headers, msg.data));
      target.store.remove(seq, "ack");
    } catch (err) {
      return refuse(JsErrors.storeFailed(err instanceof Error ? err.message : String(err)));
    }
    target.lastSeq = seq;
    target.lastMsgId = msgId;
    if (msgId !== "") target.duplicates.remember(msgId, seq, target.now());
    republish(seq, timeNs);
    answer({ kind: "stored", seq, ack: `${target.ackPrefix}${seq}${ackTail}` });
    return;
  }

  let stored: { seq: number; timeNs: bigint };
  try {
    stored = target.store.store(msg.subject, headers, msg.data);
  } catch (err) {
    return refuse(JsErrors.storeFailed(err instanceof Error ? err.message : String(err)));
  }
  target.lastSeq = stored.seq;
  target.lastMsgId = msgId;
  if (msgId !== "") target.duplicates.remember(msgId, stored.seq, stored.timeNs);
  if (rollup === "sub") target.store.purge({ filter: msg.subject, keep: 1 });
  else if (rollup === "all") target.store.purge({ keep: 1 });
  // A one-off schedule's copy (or a publisher cancelling a schedule) removes the schedule.
  if (parsed !== undefined && parsed.get(ScheduleHeader.Next) === SCHEDULE_NEXT_PURGE) {
    const scheduler = parsed.get(ScheduleHeader.Scheduler);
    if (scheduler !== "" && isValidLiteralSubject(scheduler)) target.store.purge({ filter: scheduler });
  }
  // Republished before the ack, as nats-server queues them in that order.
  republish(stored.seq, stored.timeNs);
  // The ack goes out once the message is in the store, before consumers see it.
  answer({ kind: "stored", seq: stored.seq, ack: `${target.ackPrefix}${stored.seq}${ackTail}` });
  target.stored(stored.seq, msg.subject);
}

/**
 * The republished copy (stream.go processJetStreamMsg): the message's own headers, then
 * `Nats-Stream`, `Nats-Subject`, `Nats-Sequence`, `Nats-Time-Stamp`, `Nats-Last-Sequence`, and
 * with `headers_only` `Nats-Msg-Size` instead of the payload.
 */
function republishStored(target: CaptureTarget, to: string, msg: Inbound, headers: Uint8Array | undefined, seq: number, timeNs: bigint, lastForSubject: number): void {
  const headersOnly = target.config.republish?.headers_only === true;
  let lines = `Nats-Stream: ${target.name}\r\nNats-Subject: ${msg.subject}\r\nNats-Sequence: ${seq}\r\nNats-Time-Stamp: ${formatNanos(timeNs)}\r\nNats-Last-Sequence: ${lastForSubject}\r\n`;
  if (headersOnly) lines += `Nats-Msg-Size: ${msg.data.length}\r\n`;
  // An existing block ends with an empty line: the new lines go before it.
  const block =
    headers === undefined
      ? Buffer.from(`NATS/1.0\r\n${lines}\r\n`, "latin1")
      : Buffer.concat([headers.subarray(0, headers.length - 2), Buffer.from(`${lines}\r\n`, "latin1")]);
  target.republish(to, block, headersOnly ? undefined : Buffer.from(msg.data));
}

/** The header block with `Nats-Rollup: sub` added at its end (stream.go `genHeader`). */
function withAddedRollup(block: Uint8Array): Uint8Array {
  return Buffer.concat([block.subarray(0, block.length - 2), Buffer.from(`${JsHeader.Rollup}: sub\r\n\r\n`, "latin1")]);
}

/** The header block with its `Nats-TTL` set to `seconds` (replaced where it stood). */
function withMsgTtl(block: Uint8Array, seconds: number): Uint8Array {
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("latin1");
  const lines = text.slice(0, -4).split("\r\n").filter((line, i) => i === 0 || !line.startsWith(`${MSG_TTL_HEADER}:`));
  return Buffer.from(`${lines.join("\r\n")}\r\n${MSG_TTL_HEADER}: ${seconds}\r\n\r\n`, "latin1");
}

/** nats-server's discard-new checks (memstore.go/filestore.go `storeRawMsg`), or undefined to store. */
function discardNewRefusal(target: CaptureTarget, subject: string, size: number, isRollup: boolean): string | undefined {
  const cfg = target.config;
  const perSubjectMax = cfg.max_msgs_per_subject;
  // At the subject's limit the new message replaces the oldest of that subject: allowed.
  const atSubjectLimit = perSubjectMax > 0 && (target.store.subjectsState(subject).get(subject) ?? 0) >= perSubjectMax;
  if (atSubjectLimit && cfg.discard_new_per_subject === true && !isRollup) return DiscardNewRefusal.maxMsgsPerSubject;
  const state = target.store.state();
  if (cfg.max_msgs > 0 && state.messages >= cfg.max_msgs && !atSubjectLimit) return DiscardNewRefusal.maxMsgs;
  if (cfg.max_bytes > 0 && state.bytes + size > cfg.max_bytes) {
    if (!atSubjectLimit) return DiscardNewRefusal.maxBytes;
    const oldest = target.store.loadNext(subject, 0);
    if (oldest === undefined || target.messageSize(oldest.subject, oldest.headers, oldest.data) < size) return DiscardNewRefusal.maxBytes;
  }
  return undefined;
}
