/**
 * Atomic batch publish (nats-server 2.12, `allow_atomic`; server/stream.go
 * `processJetStreamAtomicBatchMsg`, server/jetstream_batching.go). Messages carrying
 * `Nats-Batch-Id` and `Nats-Batch-Sequence` are staged until one carries `Nats-Batch-Commit`
 * ("1": store it too; "eob": it only ends the batch). At the commit every staged message is
 * checked against the stream and the batch so far, and only when all pass are they stored, one
 * after the other with nothing in between; the commit's PubAck says `batch` and `count`.
 *
 * Staging is bounded: at most {@link BATCH_LIMITS}`.atomicMaxSize` messages a batch,
 * `atomicInflightPerStream` batches a stream, `atomicInflightTotal` per JetStream account, and a
 * batch nobody adds to for `timeoutMs` is dropped (with an advisory). Staged batches live in
 * memory only: a restart forgets them, as an uncommitted batch never reached the stream.
 */
import type { ApiError } from "../shared/contracts.ts";
import { BatchErrors } from "../shared/batch-errors.ts";
import { requiresHigherApiLevel } from "../shared/api-level.ts";
import { DiscardNewRefusal, JsErrors } from "../shared/api-errors.ts";
import { MsgHeaders } from "../../direct/headers.ts";
import { isValidSubject } from "../../subjects/subject.ts";
import { MSG_TTL_HEADER, parseMsgTtl } from "../store/msg-ttl.ts";
import { checkIncrement } from "./counter.ts";
import { ackError, capture, JsHeader, type CaptureOutcome, type CaptureTarget, type Inbound } from "./publish.ts";

/** Header names of batch publishing (stream.go `JSBatchId`, `JSBatchSeq`, `JSBatchCommit`, `JSRequiredApiLevel`). */
export const BatchHeader = {
  Id: "Nats-Batch-Id",
  Seq: "Nats-Batch-Sequence",
  Commit: "Nats-Batch-Commit",
  RequiredApiLevel: "Nats-Required-Api-Level",
} as const;

/**
 * nats-server's defaults (stream.go `streamDefaultMax*`): what one publisher can make the
 * broker hold before it commits.
 */
export const BATCH_LIMITS = {
  /** Messages in one atomic batch (`streamDefaultMaxAtomicBatchSize`). */
  atomicMaxSize: 1000,
  /** Atomic batches open at once on one stream. */
  atomicInflightPerStream: 50,
  /** Atomic batches open at once across an account's streams. */
  atomicInflightTotal: 1000,
  /** Fast batches open at once on one stream. */
  fastInflightPerStream: 1000,
  /** Fast batches open at once across an account's streams. */
  fastInflightTotal: 50_000,
  /** A batch nothing was added to for this long is dropped (`streamDefaultMaxBatchTimeout`). */
  timeoutMs: 10_000,
} as const;

/** Open batches counted across the streams of one JetStream account. */
export class BatchInflight {
  atomic = 0;
  fast = 0;
}

/** Why a batch was dropped (jetstream_events.go `BatchAbandonReason`). */
export type BatchAbandonReason = "timeout" | "large" | "incomplete" | "unsupported";

/** What batches need of their stream beyond the capture path. */
export interface BatchTarget extends CaptureTarget {
  readonly inflight: BatchInflight;
  /** Sends `$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.<stream>`. */
  batchAbandoned(id: string, reason: BatchAbandonReason): void;
}

interface Staged {
  readonly subject: string;
  readonly headers: Uint8Array | undefined;
  readonly data: Uint8Array;
}

interface OpenBatch {
  /** The highest batch sequence received. */
  lseq: number;
  readonly staged: Staged[];
  timer: NodeJS.Timeout;
}

/** `Nats-Batch-Sequence` as nats-server's `parseUint64`: digits only, else missing. */
function batchSeqOf(value: string): number | undefined {
  if (!/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** A header block without `key` (its bytes otherwise kept). */
export function withoutHeader(block: Uint8Array, key: string): Uint8Array | undefined {
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("latin1");
  const lines = text.slice(0, -4).split("\r\n");
  const kept = lines.filter((line, i) => i === 0 || !line.startsWith(`${key}:`));
  if (kept.length === 1) return undefined;
  return Buffer.from(`${kept.join("\r\n")}\r\n\r\n`, "latin1");
}

/** `block` with `key: value` added at its end (stream.go `genHeader`). */
function withAddedHeader(block: Uint8Array | undefined, key: string, value: string): Uint8Array {
  const line = Buffer.from(`${key}: ${value}\r\n\r\n`, "latin1");
  if (block === undefined || block.length === 0) return Buffer.concat([Buffer.from("NATS/1.0\r\n", "latin1"), line]);
  return Buffer.concat([block.subarray(0, block.length - 2), line]);
}


/** One stream's open atomic batches. */
export class AtomicBatches {
  readonly #target: BatchTarget;
  readonly #open = new Map<string, OpenBatch>();

  constructor(target: BatchTarget) {
    this.#target = target;
  }

  /** Drops every open batch (the stream goes, or `allow_atomic` was turned off). */
  clear(): void {
    for (const id of [...this.#open.keys()]) this.#drop(id);
  }

  #drop(id: string): void {
    const b = this.#open.get(id);
    if (b === undefined) return;
    clearTimeout(b.timer);
    this.#open.delete(id);
    this.#target.inflight.atomic--;
  }

  #abandon(id: string, reason: BatchAbandonReason): void {
    this.#drop(id);
    this.#target.batchAbandoned(id, reason);
  }

  #armTimer(id: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.#abandon(id, "timeout"), BATCH_LIMITS.timeoutMs);
    timer.unref();
    return timer;
  }

  /** One message of a batch (`Nats-Batch-Id` set). Never throws. */
  accept(msg: Inbound, id: string, parsed: MsgHeaders): void {
    const target = this.#target;
    const cfg = target.config;
    const reply = cfg.no_ack === true ? "" : msg.reply;
    const refuse = (error: ApiError): void => {
      if (reply !== "") target.respond(reply, ackError(target, error));
    };
    // The order of stream.go processJetStreamAtomicBatchMsg.
    if (cfg.sealed) return refuse(JsErrors.sealed());
    if (!target.hasRoomFor()) return refuse(JsErrors.insufficientResources());
    const headerSize = msg.headers?.length ?? 0;
    if (cfg.max_msg_size >= 0 && headerSize + msg.data.length > cfg.max_msg_size) return refuse(JsErrors.messageTooLarge());
    if (cfg.allow_atomic !== true) return refuse(BatchErrors.atomicDisabled());
    if (id.length > 64) return refuse(BatchErrors.atomicInvalidId());
    const seq = batchSeqOf(parsed.get(BatchHeader.Seq));
    if (seq === undefined) return refuse(BatchErrors.atomicMissingSeq());

    let commit = false;
    let eob = false;
    let commitInvalid = false;
    if (parsed.has(BatchHeader.Commit)) {
      const value = parsed.get(BatchHeader.Commit);
      commit = true;
      eob = value === "eob";
      commitInvalid = !eob && value !== "1";
    }
    // The "eob" message is no message of the batch: it does not count toward its size.
    const size = eob ? seq - 1 : seq;

    let b = this.#open.get(id);
    if (b === undefined) {
      if (seq !== 1) return refuse(size > BATCH_LIMITS.atomicMaxSize ? BatchErrors.atomicTooLarge(BATCH_LIMITS.atomicMaxSize) : BatchErrors.atomicIncomplete());
      if (this.#open.size + 1 > BATCH_LIMITS.atomicInflightPerStream) return refuse(BatchErrors.atomicTooManyInflight());
      if (target.inflight.atomic + 1 > BATCH_LIMITS.atomicInflightTotal) return refuse(BatchErrors.atomicTooManyInflight());
      target.inflight.atomic++;
      b = { lseq: 0, staged: [], timer: this.#armTimer(id) };
      this.#open.set(id, b);
    }
    if (commitInvalid) {
      this.#drop(id);
      return refuse(BatchErrors.atomicInvalidCommit());
    }
    let headers = msg.headers;
    // The header is always removed; a level above ours refuses the whole batch.
    if (parsed.has(BatchHeader.RequiredApiLevel)) {
      if (requiresHigherApiLevel(parsed.get(BatchHeader.RequiredApiLevel))) {
        this.#abandon(id, "unsupported");
        return refuse({ code: 412, err_code: 10185, description: "JetStream minimum api level required" });
      }
      headers = withoutHeader(headers!, BatchHeader.RequiredApiLevel);
    }
    clearTimeout(b.timer);
    b.timer = this.#armTimer(id);

    b.lseq++;
    if (b.lseq !== seq || (seq === 1 && eob)) {
      this.#abandon(id, "incomplete");
      return refuse(BatchErrors.atomicIncomplete());
    }
    if (size > BATCH_LIMITS.atomicMaxSize) {
      this.#abandon(id, "large");
      return refuse(BatchErrors.atomicTooLarge(BATCH_LIMITS.atomicMaxSize));
    }
    if (!eob) {
      // Copied: the inbound buffers belong to the connection that delivered them.
      b.staged.push({ subject: msg.subject, headers: headers === undefined ? undefined : Buffer.from(headers), data: Buffer.from(msg.data) });
    }
    if (!commit) {
      // An empty reply says the message is staged (stream.go: "persisted prior to commit").
      if (reply !== "") target.respond(reply, "");
      return;
    }
    this.#drop(id);
    this.#commit(id, b.staged, eob, reply, refuse);
  }

  #commit(id: string, staged: Staged[], eob: boolean, reply: string, refuse: (error: ApiError) => void): void {
    const refusal = checkBatch(this.#target, staged);
    if (refusal !== undefined) return refuse(refusal);
    const count = staged.length;
    for (let i = 0; i < count; i++) {
      const m = staged[i]!;
      const last = i === count - 1;
      // Committed by "eob": the last message is stored as if it had carried the commit.
      const headers = last && eob ? withAddedHeader(m.headers, BatchHeader.Commit, "1") : m.headers;
      let outcome: CaptureOutcome | undefined;
      capture(this.#target, {
        subject: m.subject,
        reply: "",
        headers,
        data: m.data,
        ...(last && { batch: { id, count } }),
        answer: (o) => {
          outcome = o;
        },
      });
      if (outcome === undefined) return;
      if (outcome.kind === "refused") return refuse(outcome.error);
      if (last && outcome.kind === "stored" && reply !== "") this.#target.respond(reply, outcome.ack);
    }
  }
}

/** Per subject written by the batch so far: messages and bytes. */
interface Inflight {
  ops: number;
  bytes: number;
}

/**
 * The checks nats-server runs on each message of a batch before any is stored
 * (jetstream_batching.go `checkMsgHeadersPreClusteredProposal`), against the stream and what
 * the batch already holds. Returns the first refusal, or undefined when the batch can be stored.
 */
function checkBatch(target: CaptureTarget, staged: readonly Staged[]): ApiError | undefined {
  const cfg = target.config;
  const msgIds = new Set<string>();
  const inflight = new Map<string, Inflight>();
  const expectedPerSubject = new Map<string, number>();
  let totalMsgs = 0;
  let totalBytes = 0;
  for (const m of staged) {
    const parsed = m.headers === undefined ? undefined : MsgHeaders.decode(m.headers);
    if (parsed !== undefined) {
      // Its check needs the message before, which a batch has not stored yet.
      if (parsed.get(JsHeader.ExpectedLastMsgId) !== "") return BatchErrors.atomicUnsupportedHeader(JsHeader.ExpectedLastMsgId);
      if (m.headers!.length > 65535) return JsErrors.headerTooLarge();
      const increment = checkIncrement(parsed, m.data.length, cfg.allow_msg_counter === true, false);
      if ("error" in increment) return increment.error;
      if (cfg.allow_msg_counter === true && increment.incr === undefined) return JsErrors.counterIncrMissing();
      const expectedStream = parsed.get(JsHeader.ExpectedStream);
      if (expectedStream !== "" && expectedStream !== target.name) return JsErrors.streamNotMatch();
      const ttlValue = parsed.get(MSG_TTL_HEADER);
      const ttl = ttlValue === "" ? 0 : parseMsgTtl(ttlValue);
      if (ttl !== 0) {
        if (cfg.allow_msg_ttl !== true) return JsErrors.msgTtlDisabled();
        if (ttl === "invalid") return JsErrors.msgTtlInvalid();
      }
      const msgId = parsed.get(JsHeader.MsgId);
      if (msgId !== "") {
        // A duplicate inside a batch, or of a stored message, fails the whole batch.
        if (msgIds.has(msgId) || target.duplicates.find(msgId, target.now()) > 0) return BatchErrors.atomicDuplicate();
        msgIds.add(msgId);
      }
      if (parsed.has(JsHeader.ExpectedLastSeq)) {
        const expected = /^\d+$/.test(parsed.get(JsHeader.ExpectedLastSeq)) ? Number(parsed.get(JsHeader.ExpectedLastSeq)) : -1;
        if (expected !== target.lastSeq) return JsErrors.wrongLastSequence(target.lastSeq);
        // Only the first message can say what the stream's last sequence is.
        if (inflight.size > 0) return BatchErrors.wrongLastSequenceConstant();
      }
      const checkedSubject = parsed.get(JsHeader.ExpectedLastSubjSeqSubj);
      if (parsed.has(JsHeader.ExpectedLastSubjSeq)) {
        const expected = /^\d+$/.test(parsed.get(JsHeader.ExpectedLastSubjSeq)) ? Number(parsed.get(JsHeader.ExpectedLastSubjSeq)) : -1;
        const subject = checkedSubject === "" ? m.subject : checkedSubject;
        // Once the batch wrote the subject, the stream's last sequence for it says nothing.
        if (inflight.has(subject)) return BatchErrors.wrongLastSequenceConstant();
        let last = expectedPerSubject.get(subject);
        if (last === undefined) {
          last = isValidSubject(subject) ? (target.store.loadLast(subject)?.seq ?? 0) : 0;
          if (expected !== last) return JsErrors.wrongLastSequence(last);
          expectedPerSubject.set(subject, last);
        } else if (expected !== last) {
          return JsErrors.wrongLastSequence(last);
        }
      } else if (checkedSubject !== "") {
        return JsErrors.expectedLastSubjectSeqInvalid();
      }
      const rollup = parsed.get(JsHeader.Rollup);
      if (rollup !== "") {
        if (!cfg.allow_rollup_hdrs || cfg.deny_purge) return JsErrors.rollupFailed("rollup not permitted");
        if (rollup === "sub") {
          if (inflight.has(m.subject)) return JsErrors.rollupFailed("batch rollup sub invalid");
        } else if (rollup === "all") {
          if (inflight.size > 0) return JsErrors.rollupFailed("batch rollup all invalid");
        } else {
          return JsErrors.rollupFailed(`rollup value invalid: ${JSON.stringify(rollup)}`);
        }
      }
    } else if (cfg.allow_msg_counter === true) {
      return JsErrors.counterIncrMissing();
    }
    const size = target.messageSize(m.subject, m.headers, m.data);
    const entry = inflight.get(m.subject) ?? { ops: 0, bytes: 0 };
    entry.ops++;
    entry.bytes += size;
    inflight.set(m.subject, entry);
    totalMsgs++;
    totalBytes += size;
    // Discard-new limits count the whole batch, so that none of it is refused half-way.
    if (cfg.discard === "new") {
      const state = target.store.state();
      if (cfg.max_msgs > 0 && state.messages + totalMsgs > cfg.max_msgs) return JsErrors.storeFailed(DiscardNewRefusal.maxMsgs);
      if (cfg.max_bytes > 0 && state.bytes + totalBytes > cfg.max_bytes) return JsErrors.storeFailed(DiscardNewRefusal.maxBytes);
      const perSubject = cfg.max_msgs_per_subject;
      if (cfg.discard_new_per_subject === true && perSubject > 0 && (parsed?.get(JsHeader.Rollup) ?? "") === "") {
        const stored = target.store.subjectsState(m.subject).get(m.subject) ?? 0;
        if (stored + entry.ops > perSubject) return JsErrors.storeFailed(DiscardNewRefusal.maxMsgsPerSubject);
      }
    }
  }
  return undefined;
}
