/**
 * Where a new consumer starts reading its stream (consumer.go selectStartingSeqNo): the
 * deliver policy and its start options give a sequence, clamped into the stream; under
 * `last_per_subject` it is a list of sequences (the newest message of each subject) to
 * deliver first, then the stream from its end at creation.
 */
import type { ConsumerConfig } from "./config.ts";
import { parseNanos } from "../shared/rfc3339.ts";
import type { StreamStore } from "../store/stream-store.ts";

export interface StartPosition {
  /** The first stream sequence to look at. */
  readonly seq: number;
  /** last_per_subject: these sequences first (ascending), then the stream after `resume`. */
  readonly skipList?: { seqs: number[]; resume: number };
}

export function startingPosition(config: ConsumerConfig, filters: readonly string[], store: StreamStore, maxMsgsPerSubject: unknown): StartPosition {
  const state = store.state();
  const explicitStart = (config.opt_start_seq ?? 0) > 0;
  let seq: number;
  let skipList: StartPosition["skipList"];
  if (explicitStart) {
    seq = config.opt_start_seq!;
  } else {
    switch (config.deliver_policy) {
      case "all":
        seq = state.firstSeq;
        break;
      case "last":
        if (filters.length === 0) seq = state.lastSeq;
        else {
          seq = 0;
          for (const f of filters) seq = Math.max(seq, store.loadLast(f)?.seq ?? 0);
          if (seq === 0) seq = state.lastSeq + 1;
        }
        break;
      case "last_per_subject": {
        // With one message per subject the whole stream is the answer.
        if (maxMsgsPerSubject === 1) {
          seq = state.firstSeq;
          break;
        }
        const seqs: number[] = [];
        for (const f of filters.length > 0 ? filters : [">"]) {
          for (const subject of store.subjectsState(f).keys()) {
            const last = store.loadLast(subject);
            if (last !== undefined) seqs.push(last.seq);
          }
        }
        seqs.sort((a, b) => a - b);
        if (seqs.length === 0) seq = state.lastSeq;
        else {
          seq = seqs[0]!;
          skipList = { seqs, resume: state.lastSeq };
        }
        break;
      }
      case "by_start_time":
        seq = sequenceAtTime(store, parseNanos(config.opt_start_time ?? "") ?? 0n, state.firstSeq, state.lastSeq);
        break;
      case "new":
      default:
        seq = state.lastSeq + 1;
        break;
    }
  }
  // An empty stream starts at 1; otherwise clamp into it (an explicit start may lie ahead).
  if (state.messages === 0 && state.lastSeq === 0 && !explicitStart) seq = 1;
  else if (seq > state.lastSeq && !explicitStart) seq = state.lastSeq + 1;
  else if (seq < state.firstSeq) seq = state.firstSeq;
  if (seq < 1) seq = 1;
  return skipList === undefined ? { seq } : { seq, skipList };
}

/** The first sequence stored at or after `timeNs` (filestore GetSeqFromTime), for CONSUMER.RESET. */
export function seqFromTime(store: StreamStore, timeNs: bigint): number {
  const state = store.state();
  return sequenceAtTime(store, timeNs, state.firstSeq, state.lastSeq);
}

/** The first sequence stored at or after `timeNs` (binary search: times grow with sequences). */
function sequenceAtTime(store: StreamStore, timeNs: bigint, firstSeq: number, lastSeq: number): number {
  let lo = Math.max(1, firstSeq);
  let hi = lastSeq + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const msg = store.loadNext(">", mid);
    if (msg === undefined || msg.timeNs >= timeNs) hi = mid;
    else lo = msg.seq + 1;
  }
  return lo;
}
