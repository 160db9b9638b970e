/**
 * How every JetStream advisory goes out, as nats-server's `publishAdvisory`
 * (jetstream_events.go): the event's `type`, a fresh `id` and its `timestamp` first, then its
 * own fields; nothing is even encoded when nobody subscribes to the subject.
 */
import { randomInt } from "node:crypto";
import type { BusApi } from "./contracts.ts";
import { formatNanos, nowNanos } from "./rfc3339.ts";

/** `JSAdvisoryPrefix` (jetstream_api.go). */
export const ADVISORY_PREFIX = "$JS.EVENT.ADVISORY";
/** The advisory types' common prefix (`io.nats.jetstream.advisory.v1.stream_action`, …). */
export const ADVISORY_TYPE = "io.nats.jetstream.advisory.v1";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Publishes one advisory if anyone listens; returns whether it was sent. */
export function publishAdvisory(bus: BusApi, subject: string, type: string, fields: Record<string, unknown>): boolean {
  if (!bus.hasInterest(subject)) return false;
  const event = { type, id: eventId(), timestamp: formatNanos(nowNanos()), ...fields };
  bus.publish(subject, JSON.stringify(event));
  return true;
}

/** A 22-character id like the nuids nats-server uses for events. */
function eventId(): string {
  let id = "";
  for (let i = 0; i < 22; i++) id += BASE62[randomInt(62)];
  return id;
}
