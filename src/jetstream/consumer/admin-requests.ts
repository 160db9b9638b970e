/**
 * The consumer requests of nats-server 2.11 and 2.14 that act on a running consumer rather than
 * its config: `CONSUMER.PAUSE` (jetstream_api.go jsConsumerPauseRequest), `CONSUMER.UNPIN`
 * (jsConsumerUnpinRequest) and `CONSUMER.RESET` (consumer.go processResetReq), with their
 * response types, checks in nats-server's order, and error codes. Nothing here throws at a client.
 */
import sjson from "secure-json-parse";
import type { DirectMsg } from "../../direct/direct-message.ts";
import { ConsumerErrors, VALID_GROUP_NAME, type ConsumerConfig } from "./config.ts";
import type { Consumer } from "./consumer.ts";
import { GO_ZERO_TIME, formatNanos, nowNanos, parseNanos } from "../shared/rfc3339.ts";
import { CONSUMER_PAUSE_REQUEST, decodeFields } from "../shared/strict-fields.ts";
import { consumerRequiredLevel, staticMetadata, withServerVersion } from "../shared/version-metadata.ts";

const RESPONSE = {
  pause: "io.nats.jetstream.api.v1.consumer_pause_response",
  unpin: "io.nats.jetstream.api.v1.consumer_unpin_response",
  reset: "io.nats.jetstream.api.v1.consumer_reset_response",
} as const;

const GO_ZERO_NS = parseNanos(GO_ZERO_TIME)!;

/** How these requests find consumers and keep their config. */
export interface AdminContext {
  hasStream(stream: string): boolean;
  consumer(stream: string, name: string): Consumer | undefined;
  /** Applies `config` (only `pause_until` differs) and stores it as a config update would. */
  reconfigure(consumer: Consumer, config: ConsumerConfig): void;
  /**
   * A consumer was reset: under interest retention, messages nobody needs any more go
   * (resetStartingSeqLocked's checkStateForInterestStream).
   */
  interestChanged(consumer: Consumer): void;
  /** Strict API validation (nats-server 2.12): a PAUSE body with an unknown field is refused. */
  readonly strict: boolean;
}

/** `$JS.API.CONSUMER.PAUSE.<stream>.<consumer>` with `{"pause_until": …}`; no time (or Go's zero time) resumes. */
export function pauseRequest(ctx: AdminContext, msg: DirectMsg, stream: string, name: string): void {
  const fail = (error: ReturnType<typeof ConsumerErrors.invalidJson>): void => respond(msg, RESPONSE.pause, { error });
  let untilNs = GO_ZERO_NS;
  let untilText: string | undefined;
  const text = msg.string().trim();
  // Only a JSON object or array is decoded (isJSONObjectOrArray); any other body means resume.
  if (text.startsWith("{") || text.startsWith("[")) {
    const body = parseJson(text);
    if (body === undefined || typeof body !== "object" || body === null || Array.isArray(body)) return fail(ConsumerErrors.invalidJson());
    // Decoded by unmarshalRequest (strict), unlike UNPIN and RESET bodies (json.Unmarshal).
    const decoded = decodeFields(body as Record<string, unknown>, CONSUMER_PAUSE_REQUEST, ctx.strict);
    if ("unknown" in decoded) return fail(ConsumerErrors.unknownField(decoded.unknown));
    const until = decoded.fields["pause_until"];
    if (until !== undefined && until !== null) {
      const ns = typeof until === "string" ? parseNanos(until) : undefined;
      if (ns === undefined) return fail(ConsumerErrors.invalidJson());
      untilNs = ns;
      untilText = until as string;
    }
  }
  if (!ctx.hasStream(stream)) return fail(ConsumerErrors.streamNotFound());
  const consumer = ctx.consumer(stream, name);
  if (consumer === undefined) return fail(ConsumerErrors.consumerNotFound());
  const zero = untilNs === GO_ZERO_NS;
  // Stored in UTC as nats-server does; a time before 1970 other than the zero one is kept as sent.
  // (formatNanos writes 0n as Go's zero time; the epoch itself is a real, past deadline.)
  const stored = zero ? undefined : untilNs === 0n ? "1970-01-01T00:00:00Z" : untilNs > 0n ? formatNanos(untilNs) : untilText;
  const config: ConsumerConfig = { ...consumer.config };
  if (stored === undefined) delete config.pause_until;
  else config.pause_until = stored;
  // The pause changes the level the consumer needs (jsConsumerPauseRequest: setStaticConsumerMetadata).
  config.metadata = staticMetadata(config.metadata, consumerRequiredLevel(config));
  ctx.reconfigure(consumer, config);
  const remaining = zero ? 0 : Number(untilNs - nowNanos());
  respond(msg, RESPONSE.pause, {
    paused: remaining > 0,
    pause_until: zero ? GO_ZERO_TIME : (stored ?? GO_ZERO_TIME),
    ...(remaining > 0 && { pause_remaining: remaining }),
  });
}

/** `$JS.API.CONSUMER.UNPIN.<stream>.<consumer>` with `{"group": …}`: the group's pin goes. */
export function unpinRequest(ctx: AdminContext, msg: DirectMsg, stream: string, name: string): void {
  const fail = (error: ReturnType<typeof ConsumerErrors.invalidJson>): void => respond(msg, RESPONSE.unpin, { error });
  const body = parseJson(msg.string());
  if (body === undefined || typeof body !== "object" || Array.isArray(body)) return fail(ConsumerErrors.invalidJson());
  const group = body === null ? undefined : (body as Record<string, unknown>)["group"];
  if (group !== undefined && group !== null && typeof group !== "string") return fail(ConsumerErrors.invalidJson());
  // nats-server: "invalid JSON: consumer group not specified" (the detail left out as for every 10025 here).
  if (typeof group !== "string" || group === "") return fail(ConsumerErrors.invalidJson());
  if (!VALID_GROUP_NAME.test(group)) return fail(ConsumerErrors.invalidGroupName());
  if (!ctx.hasStream(stream)) return fail(ConsumerErrors.streamNotFound());
  const consumer = ctx.consumer(stream, name);
  if (consumer === undefined) return fail(ConsumerErrors.consumerNotFound());
  if (!(consumer.config.priority_groups ?? []).includes(group)) return fail(ConsumerErrors.invalidPriorityGroup());
  consumer.unpin(group);
  respond(msg, RESPONSE.unpin, {});
}

/**
 * `$JS.API.CONSUMER.RESET.<stream>.<consumer>`, empty or `{"seq": N}`. As in nats-server the
 * consumer itself takes this request (like MSG.NEXT), so one for a consumer that does not exist
 * hears no responders; the answer is the consumer's info plus `reset_seq`.
 */
export function resetRequest(ctx: AdminContext, msg: DirectMsg, stream: string, name: string): void {
  const fail = (error: ReturnType<typeof ConsumerErrors.invalidJson>): void => respond(msg, RESPONSE.reset, { error });
  const consumer = ctx.consumer(stream, name);
  if (consumer === undefined) return;
  let seq = 0;
  if (msg.data.length > 0) {
    const body = parseJson(msg.string());
    // Go decodes into {seq uint64}: not an object, or a seq that is not a whole non-negative number, fails.
    if (body === undefined || typeof body !== "object" || Array.isArray(body)) return fail(ConsumerErrors.invalidJson());
    const s = body === null ? undefined : (body as Record<string, unknown>)["seq"];
    if (s !== undefined && s !== null) {
      if (typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) return fail(ConsumerErrors.invalidJson());
      seq = s;
    }
  }
  const result = consumer.reset(seq);
  if ("error" in result) return fail(ConsumerErrors.invalidReset(result.error));
  ctx.interestChanged(consumer);
  respond(msg, RESPONSE.reset, { ...withServerVersion(consumer.info()), reset_seq: result.seq });
}

function parseJson(text: string): unknown {
  try {
    return sjson.parse(text, null, { protoAction: "remove", constructorAction: "remove" });
  } catch {
    return undefined;
  }
}

function respond(msg: DirectMsg, type: string, body: Record<string, unknown>): void {
  msg.respond(JSON.stringify({ type, ...body }));
}
