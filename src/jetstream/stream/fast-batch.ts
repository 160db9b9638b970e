/**
 * Fast-ingest batches (nats-server 2.14, `allow_batched`, API level 4; server/stream.go
 * `getFastBatch` and `processJetStreamFastBatchMsg`, server/jetstream_batching.go `fastBatch`).
 * The batch lives in the reply subject, `<prefix>.<id>.<flow>.<gap mode>.<seq>.<op>.$FI`; each
 * message is stored as it comes (no staging), and the publisher hears back only now and then:
 * a flow-control ack every `msgs` messages (`{"type":"ack","seq":N,"msgs":M}`), a gap report,
 * an error report, and at the end one PubAck with `batch` and `count`.
 *
 * Here every message is stored before the next is read, so nothing is ever pending between
 * "received" and "persisted": the persisted sequence is always the last one received.
 */
import type { ApiError } from "../shared/contracts.ts";
import { BatchErrors } from "../shared/batch-errors.ts";
import { JsErrors } from "../shared/api-errors.ts";
import type { MsgHeaders } from "../../direct/headers.ts";
import { ackError, capture, type CaptureOutcome, type Inbound } from "./publish.ts";
import { BATCH_LIMITS, BatchHeader, withoutHeader, type BatchTarget } from "./atomic-batch.ts";
import { requiresHigherApiLevel } from "../shared/api-level.ts";

/** The reply's last token (stream.go `FastBatchSuffix`). */
const SUFFIX = ".$FI";

/** The operations a reply names (stream.go `FastBatchOp*`). */
const Op = { Start: 0, Append: 1, Commit: 2, CommitEob: 3, Ping: 4 } as const;

/** What the reply of a fast-batch message says. */
export interface FastBatchReply {
  readonly id: string;
  readonly seq: number;
  /** The most messages the publisher lets pass between two flow acks. */
  readonly flow: number;
  readonly ping: boolean;
  readonly gapOk: boolean;
  readonly commit: boolean;
  readonly commitEob: boolean;
}

/**
 * The batch a reply names (stream.go `getFastBatch`): undefined for no fast batch at all,
 * "invalid" for a `.$FI` reply that does not parse.
 */
export function parseFastBatchReply(reply: string): FastBatchReply | "invalid" | undefined {
  if (reply.length <= SUFFIX.length || !reply.endsWith(SUFFIX)) return undefined;
  const tokens = reply.slice(0, -SUFFIX.length).split(".");
  // prefix (one token at least), id, flow, gap mode, seq, op
  if (tokens.length < 6) return "invalid";
  const [idText, flowText, gapMode, seqText, opText] = tokens.slice(-5) as [string, string, string, string, string];
  const op = /^\d+$/.test(opText) ? Number(opText) : -1;
  if (op < Op.Start || op > Op.Ping) return "invalid";
  if (!/^\d{1,15}$/.test(seqText)) return "invalid";
  const seq = Number(seqText);
  if (seq === 0) return "invalid";
  const commitEob = op === Op.CommitEob;
  if (seq === 1 && commitEob) return "invalid";
  if (op === Op.Start && seq !== 1) return "invalid";
  if (op === Op.Append && seq <= 1) return "invalid";
  if (gapMode !== "ok" && gapMode !== "fail") return "invalid";
  // An unreadable or non-positive flow is 10; above 16 bits it is capped.
  let flow = /^\d+$/.test(flowText) ? Number(flowText) : 0;
  if (flow <= 0) flow = 10;
  else if (flow > 65535) flow = 65535;
  return { id: idText, seq, flow, ping: op === Op.Ping, gapOk: gapMode === "ok", commit: commitEob || op === Op.Commit, commitEob };
}

interface OpenFastBatch {
  /** The highest batch sequence received (and, here, persisted). */
  lseq: number;
  /** The batch sequence the last flow ack named. */
  fseq: number;
  /** The stream sequence of the last message stored. */
  sseq: number;
  /** A flow ack every this many messages. */
  ackMessages: number;
  readonly maxAckMessages: number;
  readonly gapOk: boolean;
  timer: NodeJS.Timeout;
}

/** One stream's open fast batches. */
export class FastBatches {
  readonly #target: BatchTarget;
  readonly #open = new Map<string, OpenFastBatch>();

  constructor(target: BatchTarget) {
    this.#target = target;
  }

  clear(): void {
    for (const id of [...this.#open.keys()]) this.#drop(id);
  }

  #drop(id: string): void {
    const b = this.#open.get(id);
    if (b === undefined) return;
    clearTimeout(b.timer);
    this.#open.delete(id);
    this.#target.inflight.fast--;
  }

  #armTimer(id: string): NodeJS.Timeout {
    // A fast batch that times out is forgotten without an advisory (jetstream_batching.go).
    const timer = setTimeout(() => this.#drop(id), BATCH_LIMITS.timeoutMs);
    timer.unref();
    return timer;
  }

  #send(reply: string, body: string): void {
    if (reply !== "") this.#target.respond(reply, body);
  }

  #flowAck(b: OpenFastBatch, reply: string): void {
    this.#send(reply, `{"type":"ack","seq":${b.fseq},"msgs":${b.ackMessages}}`);
  }

  /** The batch's end: its PubAck names the last stream sequence and how many it counted. */
  #finish(id: string, b: OpenFastBatch, reply: string): void {
    this.#drop(id);
    this.#send(reply, `${this.#target.ackPrefix}${b.sseq},"batch":${JSON.stringify(id)},"count":${b.lseq}}`);
  }

  /**
   * A flow ack once `ackMessages` more are persisted, skipping to the latest; the interval
   * ramps up (or down) toward 500 shared by the stream's open batches
   * (jetstream_batching.go `checkFlowControl`).
   */
  #checkFlowControl(b: OpenFastBatch, reply: string): boolean {
    const am = b.ackMessages;
    if (b.lseq < b.fseq + am) return false;
    b.fseq += Math.floor((b.lseq - b.fseq) / am) * am;
    const max = Math.min(Math.max(1, Math.floor(500 / this.#open.size)), b.maxAckMessages);
    if (b.ackMessages < max) b.ackMessages = Math.min(b.ackMessages * 2, max);
    else if (b.ackMessages > max) b.ackMessages = Math.max(Math.floor(b.ackMessages / 2), max);
    this.#flowAck(b, reply);
    return true;
  }

  /** One message (or ping) whose reply ends in `.$FI`. Never throws. */
  accept(msg: Inbound, batch: FastBatchReply | "invalid", parsed: MsgHeaders | undefined): void {
    const target = this.#target;
    const cfg = target.config;
    const reply = cfg.no_ack === true ? "" : msg.reply;
    const refuse = (error: ApiError): void => this.#send(reply, ackError(target, error));
    // The order of stream.go processJetStreamFastBatchMsg.
    if (cfg.sealed) return refuse(JsErrors.sealed());
    if (!target.hasRoomFor()) return refuse(JsErrors.insufficientResources());
    const headerSize = msg.headers?.length ?? 0;
    if (cfg.max_msg_size >= 0 && headerSize + msg.data.length > cfg.max_msg_size) return refuse(JsErrors.messageTooLarge());
    if (cfg.allow_batched !== true) return refuse(BatchErrors.fastDisabled());
    if (batch === "invalid") return refuse(BatchErrors.fastInvalidPattern());
    if (batch.id.length > 64) return refuse(BatchErrors.fastInvalidId());

    let b = this.#open.get(batch.id);
    if (b === undefined) {
      if (batch.seq !== 1) return refuse(BatchErrors.fastUnknownId());
      if (this.#open.size + 1 > BATCH_LIMITS.fastInflightPerStream) return refuse(BatchErrors.fastTooManyInflight());
      if (target.inflight.fast + 1 > BATCH_LIMITS.fastInflightTotal) return refuse(BatchErrors.fastTooManyInflight());
      target.inflight.fast++;
      // Alone on the stream a publisher gets what it asks for (up to 500); with others it starts at 1.
      const ackMessages = this.#open.size > 0 ? 1 : Math.min(500, batch.flow);
      b = { lseq: 0, fseq: 0, sseq: 0, ackMessages, maxAckMessages: batch.flow, gapOk: batch.gapOk, timer: this.#armTimer(batch.id) };
      this.#open.set(batch.id, b);
    }
    let headers = msg.headers;
    if (parsed?.has(BatchHeader.RequiredApiLevel) === true) {
      if (requiresHigherApiLevel(parsed.get(BatchHeader.RequiredApiLevel))) {
        this.#drop(batch.id);
        return refuse({ code: 412, err_code: 10185, description: "JetStream minimum api level required" });
      }
      headers = withoutHeader(headers!, BatchHeader.RequiredApiLevel);
    }
    clearTimeout(b.timer);
    b.timer = this.#armTimer(batch.id);

    if (batch.ping) {
      // A ping names the last sequence sent: a gap when it is ahead of what arrived.
      if (batch.seq > b.lseq) {
        this.#send(reply, `{"type":"gap","last_seq":${b.lseq + 1},"seq":${batch.seq + 1}}`);
        if (b.gapOk) {
          b.lseq = batch.seq;
          if (!this.#checkFlowControl(b, reply)) this.#flowAck(b, reply);
        } else {
          this.#finish(batch.id, b, reply);
        }
        return;
      }
      this.#flowAck(b, reply);
      return;
    }

    b.lseq++;
    if (b.lseq !== batch.seq) {
      if (batch.seq > b.lseq) this.#send(reply, `{"type":"gap","last_seq":${b.lseq},"seq":${batch.seq}}`);
      if (b.gapOk && batch.seq > b.lseq) {
        b.lseq = batch.seq;
      } else {
        // A message from the past, or a gap the publisher did not allow: the batch ends here.
        b.lseq--;
        this.#finish(batch.id, b, reply);
        return;
      }
    }
    if (batch.commitEob) {
      // "eob" carries no message: the batch ends with what was stored.
      b.lseq--;
      this.#finish(batch.id, b, reply);
      return;
    }
    // The first message tells the publisher the flow it will get.
    if (batch.seq === 1 && !batch.commit) this.#flowAck(b, reply);

    let outcome: CaptureOutcome | undefined;
    capture(target, {
      subject: msg.subject,
      reply: "",
      headers,
      data: msg.data,
      answer: (o) => {
        outcome = o;
      },
    });
    if (outcome === undefined) return;
    const open = b;
    if (outcome.kind === "stored") {
      open.sseq = outcome.seq;
      if (batch.commit) this.#finish(batch.id, open, reply);
      else this.#checkFlowControl(open, reply);
      return;
    }
    if (outcome.kind === "duplicate") {
      // Already stored: it counts as persisted, and the batch goes on.
      if (!batch.commit) {
        this.#checkFlowControl(open, reply);
        return;
      }
      // A one-message batch that is a duplicate answers as a duplicate publish.
      if (!batch.gapOk && open.lseq === 1) {
        this.#drop(batch.id);
        this.#send(reply, `${target.ackPrefix}${outcome.seq},"duplicate": true,"batch":${JSON.stringify(batch.id)},"count":${batch.seq}}`);
        return;
      }
      this.#finish(batch.id, open, reply);
      return;
    }
    // A batch refused at its first message answers as a plain publish would.
    if (!batch.gapOk && open.lseq === 1) {
      this.#drop(batch.id);
      return refuse(outcome.error);
    }
    this.#send(reply, JSON.stringify({ type: "err", seq: batch.seq, error: outcome.error }));
    if (batch.gapOk && !batch.commit) return;
    open.lseq--;
    this.#finish(batch.id, open, reply);
  }
}
