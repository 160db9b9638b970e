/**
 * `$JS.API.DIRECT.GET.<stream>` (a JSON request) and `$JS.API.DIRECT.GET.<stream>.<subject>`
 * (the last message on that subject), for streams with `allow_direct`. The answer is the stored
 * message itself with `Nats-Stream`, `Nats-Subject`, `Nats-Sequence` and `Nats-Time-Stamp`
 * headers, or a status message (`404 Message Not Found`, `408 …`), as nats-server's
 * `processDirectGetRequest`. A stream without `allow_direct` (or no stream) has no taker for it:
 * the requester hears no responders (api/dispatcher.ts).
 */
import type { DirectMsg } from "../../direct/direct-message.ts";
import { headers as statusHeaders, MsgHeaders } from "../../direct/headers.ts";
import { asObject, type ParsedBody } from "./request-body.ts";
import type { StreamApiHost } from "./stream-api.ts";
import { decodeMsgGet } from "./stream-api.ts";
import { formatNanos } from "../shared/rfc3339.ts";

function status(msg: DirectMsg, code: number, description: string): void {
  msg.respond(undefined, { headers: statusHeaders(code, description) });
}

/** `tokens` are those after `DIRECT.GET.`: the stream, then (last-by-subject form) the subject. */
export function directGet(host: StreamApiHost, tokens: readonly string[], body: ParsedBody, msg: DirectMsg): void {
  const stream = host.stream(tokens[0]!);
  if (stream === undefined || !stream.config.allow_direct) return;
  let request: { seq: number; last_by_subj: string; next_by_subj: string; start_time: bigint | undefined };
  if (tokens.length > 1) {
    const subject = tokens.slice(1).join(".");
    if (!body.blank) {
      const req = asObject(body);
      const get = req === undefined ? undefined : decodeMsgGet(req);
      if (get === undefined) return status(msg, 408, "Malformed Request");
      if (get.seq !== 0 || get.last_by_subj !== "" || get.next_by_subj !== "" || get.batch !== 0 || get.start_time !== undefined) {
        return status(msg, 408, "Bad Request");
      }
    }
    request = { seq: 0, last_by_subj: subject, next_by_subj: "", start_time: undefined };
  } else {
    if (body.blank) return status(msg, 408, "Empty Request");
    const req = asObject(body);
    const get = req === undefined ? undefined : decodeMsgGet(req);
    if (get === undefined) return status(msg, 408, "Malformed Request");
    const hasStart = get.start_time !== undefined;
    if (get.seq === 0 && get.last_by_subj === "" && get.next_by_subj === "" && !hasStart) return status(msg, 408, "Empty Request");
    if (
      (get.seq > 0 && get.last_by_subj !== "") ||
      (get.seq > 0 && hasStart) ||
      (hasStart && get.last_by_subj !== "") ||
      (get.last_by_subj !== "" && get.next_by_subj !== "") ||
      get.batch > 0 ||
      req!["multi_last"] !== undefined
    ) {
      // Batched and multi-subject gets (nats-server 2.11) are not served.
      return status(msg, 408, "Bad Request");
    }
    request = get;
  }
  const seq = request.start_time !== undefined ? stream.seqFromTime(request.start_time) : request.seq;
  const next = request.start_time !== undefined && request.next_by_subj === "" ? ">" : request.next_by_subj;
  const found = stream.find({ seq, last_by_subj: request.last_by_subj, next_by_subj: next });
  if (found === undefined) return status(msg, 404, "Message Not Found");
  const reply = found.headers !== undefined && found.headers.length > 0 ? MsgHeaders.decode(found.headers) : new MsgHeaders();
  reply.code = 0;
  reply.description = "";
  reply.set("Nats-Stream", stream.name);
  reply.set("Nats-Subject", found.subject);
  reply.set("Nats-Sequence", String(found.seq));
  reply.set("Nats-Time-Stamp", formatNanos(found.timeNs));
  msg.respond(found.data, { headers: reply });
}
