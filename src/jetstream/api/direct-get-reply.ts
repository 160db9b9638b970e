/**
 * How a direct get answers: the stored message with the stream's headers added, or a status
 * message, and the byte accounting a batch stops on (stream.go `getDirectRequest`).
 */
import type { DirectMsg } from "../../direct/direct-message.ts";
import { headers as statusHeaders, MsgHeaders } from "../../direct/headers.ts";
import { MAX_PENDING_SIZE } from "../../base/constants.ts";
import { formatNanos } from "../shared/rfc3339.ts";
import type { Stream } from "../stream/stream.ts";
import type { StoredMessage } from "../store/stream-store.ts";

export function status(msg: DirectMsg, code: number, description: string, extra: Record<string, string> = {}): void {
  const h = statusHeaders(code, description);
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  msg.respond(undefined, { headers: h });
}

/** What a batch sends before it stops on its own: nats-server's MaxPending when `max_bytes` is not given. */
export function byteBudget(maxBytes: number): number {
  return maxBytes === 0 ? MAX_PENDING_SIZE : maxBytes;
}

/** The stored message as a direct get sends it: its own headers, then the stream's, then `extra`. */
export function sendStored(msg: DirectMsg, stream: Stream, found: StoredMessage, extra: Record<string, string> = {}): void {
  const reply = found.headers !== undefined && found.headers.length > 0 ? MsgHeaders.decode(found.headers) : new MsgHeaders();
  reply.code = 0;
  reply.description = "";
  reply.set("Nats-Stream", stream.name);
  reply.set("Nats-Subject", found.subject);
  reply.set("Nats-Sequence", String(found.seq));
  reply.set("Nats-Time-Stamp", formatNanos(found.timeNs));
  for (const [k, v] of Object.entries(extra)) reply.set(k, v);
  msg.respond(found.data, { headers: reply });
}

/** What nats-server counts against `max_bytes`: subject, stored headers and payload. */
export function sentSize(found: StoredMessage): number {
  return Buffer.byteLength(found.subject) + (found.headers?.length ?? 0) + found.data.length;
}

