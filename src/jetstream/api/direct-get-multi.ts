/**
 * A multi-last direct get (`multi_last`, nats-server 2.11, stream.go `getDirectMulti`): the last
 * message of every subject matching any of the filters, as of `up_to_seq` or `up_to_time`, in
 * sequence order, each with `Nats-Num-Pending` and `Nats-Last-Sequence`, then a `204 EOB` that
 * also carries `Nats-UpTo-Sequence`, so a client can ask again from the same point in time.
 * More than 1024 subjects is `413 Too Many Results`, none is `404 No Results`.
 */
import type { DirectMsg } from "../../direct/direct-message.ts";
import type { Stream } from "../stream/stream.ts";
import type { DirectGetRequest } from "./direct-get-request.ts";
import { byteBudget, sendStored, sentSize, status } from "./direct-get-reply.ts";

/** nats-server's `maxAllowedResponses`. */
const MAX_MULTI_RESPONSES = 1024;

export function directGetMulti(stream: Stream, request: DirectGetRequest, msg: DirectMsg): void {
  const store = stream.store;
  let upTo = request.up_to_seq;
  if (request.up_to_time !== undefined) {
    upTo = stream.seqFromTime(request.up_to_time);
    // At or before the first message nothing is as old as the time asked for.
    if (upTo <= store.state().firstSeq) return status(msg, 404, "No Results");
    // The first message at or after the time is where a start would be; the ceiling is before it.
    upTo--;
  }
  if (upTo === 0) upTo = store.state().lastSeq;
  const seqs = store.multiLastSeqs(request.multi_last, upTo, MAX_MULTI_RESPONSES);
  if (seqs === "too many") return status(msg, 413, "Too Many Results");
  if (seqs.length === 0) return status(msg, 404, "No Results");
  const budget = byteBudget(request.max_bytes);
  let pending = seqs.length;
  let lastSent = 0;
  let sentBytes = 0;
  let sent = 0;
  for (const seq of seqs) {
    if (pending > 0) pending--;
    if (seq < request.seq) continue;
    const found = store.load(seq);
    if (found === undefined) return status(msg, 404, "Message Not Found");
    sendStored(msg, stream, found, { "Nats-Num-Pending": String(pending), "Nats-Last-Sequence": String(lastSent) });
    lastSent = seq;
    sentBytes += sentSize(found);
    if (sentBytes >= budget) break;
    sent++;
    if (request.batch > 0 && sent >= request.batch) break;
  }
  status(msg, 204, "EOB", { "Nats-Num-Pending": String(pending), "Nats-Last-Sequence": String(lastSent), "Nats-UpTo-Sequence": String(upTo) });
}
