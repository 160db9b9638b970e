/**
 * `$JS.API.DIRECT.GET.<stream>` (a JSON request) and `$JS.API.DIRECT.GET.<stream>.<subject>`
 * (the last message on that subject), for streams with `allow_direct`, as nats-server's
 * `processDirectGetRequest` and `getDirectRequest`. One message is answered with the stored
 * message itself plus `Nats-Stream`, `Nats-Subject`, `Nats-Sequence` and `Nats-Time-Stamp`
 * headers; a batch (`batch`, nats-server 2.11) adds `Nats-Num-Pending` and `Nats-Last-Sequence`
 * to each and ends with a `204 EOB` status; `multi_last` is answered by direct-get-multi.ts.
 * Failures are status messages (`404 Message Not Found`, `408 …`). A stream without
 * `allow_direct` (or no stream) has no taker: the requester hears no responders (dispatcher.ts),
 * unless a caught-up `mirror_direct` mirror of it answers in its place.
 */
import { randomInt } from "node:crypto";
import type { DirectMsg } from "../../direct/direct-message.ts";
import { asObject, type ParsedBody } from "./request-body.ts";
import type { StreamApiHost } from "./stream-api.ts";
import { decodeDirectGet, type DirectGetRequest } from "./direct-get-request.ts";
import { directGetMulti } from "./direct-get-multi.ts";
import { byteBudget, sendStored, sentSize, status } from "./direct-get-reply.ts";
import type { Stream } from "../stream/stream.ts";
import type { StoredMessage } from "../store/stream-store.ts";

/** `tokens` are those after `DIRECT.GET.`: the stream, then (last-by-subject form) the subject. */
export function directGet(host: StreamApiHost, tokens: readonly string[], body: ParsedBody, msg: DirectMsg): void {
  // The origin and its mirror_direct mirrors share one queue group: one of them, picked at
  // random as a queue member is, answers from its own store and under its own name.
  const responders = host.directResponders(tokens[0]!);
  const stream = responders[responders.length === 1 ? 0 : randomInt(responders.length)];
  if (stream === undefined) return;
  if (msg.reply === "") return;
  let request: DirectGetRequest;
  if (tokens.length > 1) {
    const subject = tokens.slice(1).join(".");
    const req = body.blank ? {} : asObject(body);
    const get = req === undefined ? undefined : decodeDirectGet(req);
    if (get === undefined) return status(msg, 408, "Malformed Request");
    // Fields that make no sense when the subject names the message (processDirectGetLastBySubjectRequest).
    if (
      get.seq !== 0 ||
      get.last_by_subj !== "" ||
      get.next_by_subj !== "" ||
      get.batch !== 0 ||
      get.start_time !== undefined ||
      get.multi_last.length > 0 ||
      get.up_to_seq !== 0 ||
      get.up_to_time !== undefined
    ) {
      return status(msg, 408, "Bad Request");
    }
    request = { ...get, last_by_subj: subject };
  } else {
    if (body.blank) return status(msg, 408, "Empty Request");
    const req = asObject(body);
    const get = req === undefined ? undefined : decodeDirectGet(req);
    if (get === undefined) return status(msg, 408, "Malformed Request");
    const hasStart = get.start_time !== undefined;
    const multi = get.multi_last.length > 0;
    if (get.seq === 0 && get.last_by_subj === "" && get.next_by_subj === "" && !multi && !hasStart) return status(msg, 408, "Empty Request");
    if (
      (get.seq > 0 && get.last_by_subj !== "") ||
      (get.seq > 0 && hasStart) ||
      (hasStart && get.last_by_subj !== "") ||
      (get.last_by_subj !== "" && get.next_by_subj !== "") ||
      (get.last_by_subj !== "" && get.batch > 0) ||
      (get.last_by_subj !== "" && multi) ||
      (get.next_by_subj !== "" && multi) ||
      (get.up_to_seq > 0 && get.up_to_time !== undefined)
    ) {
      return status(msg, 408, "Bad Request");
    }
    request = get;
  }
  if (request.multi_last.length > 0) return directGetMulti(stream, request, msg);
  getMessages(stream, request, msg);
}

/** One message, or a batch followed by its EOB (stream.go `getDirectRequest`). */
function getMessages(stream: Stream, request: DirectGetRequest, msg: DirectMsg): void {
  const store = stream.store;
  let seq = request.start_time !== undefined ? stream.seqFromTime(request.start_time) : request.seq;
  const next = request.next_by_subj;
  const isBatch = request.batch !== 0;
  const batch = isBatch ? request.batch : 1;
  const countFrom = (from: number): number => store.numPending(next === "" ? ">" : next, from, false);
  let pending = isBatch ? countFrom(seq) : 0;
  const validThrough = store.state().lastSeq;
  const budget = byteBudget(request.max_bytes);
  let sentBytes = 0;
  let lastSent = 0;
  for (let i = 0; i < batch; i++) {
    let found: StoredMessage | undefined;
    if (seq > 0 && next === "") {
      found = i === 0 && !isBatch ? store.load(seq) : store.loadNext(">", seq);
      seq = (found?.seq ?? seq) + 1;
    } else if (next !== "") {
      found = store.loadNext(next, seq);
      seq = (found?.seq ?? seq) + 1;
    } else {
      found = store.loadLast(request.last_by_subj);
    }
    if (found === undefined) {
      // A batch that found something ends with its EOB; otherwise there was nothing at all.
      if (batch > 1 && i > 0) break;
      return status(msg, 404, "Message Not Found");
    }
    if (request.no_hdr) {
      msg.respond(found.data);
    } else if (isBatch) {
      if (pending > 0) pending--;
      sendStored(msg, stream, found, { "Nats-Num-Pending": String(pending), "Nats-Last-Sequence": String(lastSent) });
    } else {
      sendStored(msg, stream, found);
    }
    lastSent = found.seq;
    sentBytes += sentSize(found);
    if (sentBytes >= budget) break;
  }
  if (!isBatch) return;
  // What arrived while the batch went out counts too.
  if (store.state().lastSeq > validThrough) pending = countFrom(seq);
  status(msg, 204, "EOB", { "Nats-Num-Pending": String(pending), "Nats-Last-Sequence": String(lastSent) });
}
