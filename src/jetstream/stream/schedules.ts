/**
 * Scheduled messages (nats-server 2.12, `allow_msg_schedules`; server/scheduler.go,
 * server/stream.go processJetStreamMsg, memstore.go/filestore.go storeRawMsg). A message with
 * `Nats-Schedule` is a schedule, kept as the last message of its subject (a subject rollup is
 * added); when it is due, a copy of it (or of the last message on `Nats-Schedule-Source`) is
 * published on `Nats-Schedule-Target` with `Nats-Scheduler: <schedule subject>` and
 * `Nats-Schedule-Next`: "purge" for a one-off (`@at`), which removes the schedule once the copy
 * is stored, or the next time for a repeating one (`@every`).
 *
 * One timer per stream, for the earliest schedule (a min-heap: the stores' TTL index). Nothing
 * is kept beside the stream: after a restart the schedules are read back from the stored
 * messages, and a repeating one that fell due while the broker was down fires once, as
 * nats-server skips ahead.
 *
 * Patterns: `@at <RFC 3339>`, `@every <Go duration>`, and cron (six fields, `@hourly`… in
 * cron.ts), the last alone with `Nats-Schedule-Time-Zone`.
 */
import type { ApiError } from "../shared/contracts.ts";
import { JsErrors } from "../shared/api-errors.ts";
import { nextCron, parseCron } from "./cron.ts";
import { isValidLiteralSubject } from "../../subjects/subject.ts";
import { subjectsCollide } from "../shared/subject-overlap.ts";
import { formatNanos, parseNanos } from "../shared/rfc3339.ts";
import { MSG_TTL_HEADER, parseGoDuration, parseMsgTtl, rawHeaderValue } from "../store/msg-ttl.ts";
import type { MsgHeaders } from "../../direct/headers.ts";
import type { StreamConfig } from "../shared/types.ts";
import type { StreamStore } from "../store/stream-store.ts";
import { TtlIndex } from "../store/ttl-index.ts";

/** Header names (stream.go `JSSchedule*`, `JSScheduler`). */
export const ScheduleHeader = {
  Pattern: "Nats-Schedule",
  TimeZone: "Nats-Schedule-Time-Zone",
  Ttl: "Nats-Schedule-TTL",
  Rollup: "Nats-Schedule-Rollup",
  Target: "Nats-Schedule-Target",
  Source: "Nats-Schedule-Source",
  Scheduler: "Nats-Scheduler",
  Next: "Nats-Schedule-Next",
} as const;

/** `JSScheduleNextPurge`: the schedule is removed once its message is stored. */
export const SCHEDULE_NEXT_PURGE = "purge";

const error = (code: number, err_code: number, description: string): ApiError => ({ code, err_code, description });

export const ScheduleErrors = {
  /** JSMessageSchedulesDisabledErr */
  disabled: (): ApiError => error(400, 10188, "message schedules is disabled"),
  /** JSMessageSchedulesPatternInvalidErr */
  patternInvalid: (): ApiError => error(400, 10189, "message schedules pattern is invalid"),
  /** JSMessageSchedulesTargetInvalidErr */
  targetInvalid: (): ApiError => error(400, 10190, "message schedules target is invalid"),
  /** JSMessageSchedulesTTLInvalidErr */
  ttlInvalid: (): ApiError => error(400, 10191, "message schedules invalid per-message TTL"),
  /** JSMessageSchedulesRollupInvalidErr */
  rollupInvalid: (): ApiError => error(400, 10192, "message schedules invalid rollup"),
  /** JSMessageSchedulesSourceInvalidErr */
  sourceInvalid: (): ApiError => error(400, 10203, "message schedules source is invalid"),
  /** JSMessageSchedulesSchedulerInvalidErr */
  schedulerInvalid: (): ApiError => error(400, 10212, "message schedules invalid scheduler"),
  /** JSMessageSchedulesTimeZoneInvalidErr */
  timeZoneInvalid: (): ApiError => error(400, 10223, "message schedules time zone is invalid"),
  /** JSMirrorWithMsgSchedulesErr */
  mirror: (): ApiError => error(400, 10186, "stream mirrors can not also schedule messages"),
  /** JSSourceWithMsgSchedulesErr */
  source: (): ApiError => error(400, 10187, "stream source can not also schedule messages"),
} as const;

/** Cron aliases (scheduler.go parseMsgSchedule). */
const PREDEFINED: Readonly<Record<string, string>> = {
  "@yearly": "0 0 0 1 1 *",
  "@annually": "0 0 0 1 1 *",
  "@monthly": "0 0 0 1 * *",
  "@weekly": "0 0 0 * * 0",
  "@daily": "0 0 0 * * *",
  "@midnight": "0 0 0 * * *",
  "@hourly": "0 0 * * * *",
};

/**
 * When a pattern fires next after `fromNs`: the time (ns) and whether it repeats; undefined
 * when invalid (scheduler.go parseMsgSchedule). `zone` is `Nats-Schedule-Time-Zone`.
 */
export function nextFire(pattern: string, zone: string | undefined, fromNs: bigint, nowNs: bigint): { atNs: bigint; repeat: boolean } | undefined {
  // Neither @at nor @every takes a time zone.
  if (pattern.startsWith("@at ")) {
    if (zone !== undefined) return undefined;
    // Go's time.RFC3339 layout: seconds required, fraction optional.
    const atNs = parseNanos(pattern.slice(4));
    return atNs === undefined ? undefined : { atNs, repeat: false };
  }
  if (pattern.startsWith("@every ")) {
    if (zone !== undefined) return undefined;
    const ns = parseGoDuration(pattern.slice(7));
    if (ns === undefined || ns < 1e9) return undefined;
    const every = BigInt(Math.round(ns));
    // From the whole second nearest the last firing; a schedule that fell behind (a restart)
    // fires once, a period from now, rather than catching up.
    let atNs = roundToSecond(fromNs) + every;
    if (atNs < nowNs) atNs = roundToSecond(nowNs) + every;
    return { atNs, repeat: true };
  }
  const cron = parseCron(PREDEFINED[pattern] ?? pattern);
  if (cron === undefined) return undefined;
  let next = nextCron(cron, zone, Number(fromNs / 1_000_000n));
  if (next === undefined) return undefined;
  // Behind (a restart): once, at the next match from now.
  if (BigInt(next) * 1_000_000n < nowNs) {
    next = nextCron(cron, zone, Number(roundToSecond(nowNs) / 1_000_000n));
    if (next === undefined) return undefined;
  }
  return { atNs: BigInt(next) * 1_000_000n, repeat: true };
}

function roundToSecond(ns: bigint): bigint {
  return ((ns + 500_000_000n) / 1_000_000_000n) * 1_000_000_000n;
}

/** A time zone the runtime knows (Go's `time.LoadLocation`). */
function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The schedule checks of a published message (stream.go processJetStreamMsg, "Message
 * scheduling"): a refusal, or the rollup to add (a schedule is kept as its subject's last
 * message), or nothing to do.
 */
export function checkSchedule(parsed: MsgHeaders, subject: string, cfg: StreamConfig, store: StreamStore): { error: ApiError } | { addRollup: boolean } {
  const allowed = cfg.allow_msg_schedules === true;
  let addRollup = false;
  const pattern = parsed.get(ScheduleHeader.Pattern);
  let scheduleError: ApiError | undefined;
  if (parsed.has(ScheduleHeader.TimeZone)) {
    const zone = parsed.get(ScheduleHeader.TimeZone);
    if (zone === "" || !isKnownTimeZone(zone)) scheduleError = ScheduleErrors.timeZoneInvalid();
  }
  const zone = parsed.has(ScheduleHeader.TimeZone) ? parsed.get(ScheduleHeader.TimeZone) : undefined;
  if (scheduleError === undefined && pattern !== "" && nextFire(pattern, zone, BigInt(Date.now()) * 1_000_000n, BigInt(Date.now()) * 1_000_000n) === undefined) {
    scheduleError = ScheduleErrors.patternInvalid();
  }
  if (scheduleError !== undefined) return { error: allowed ? scheduleError : ScheduleErrors.disabled() };
  if (pattern !== "") {
    if (!allowed) return { error: ScheduleErrors.disabled() };
    const ttl = parsed.get(ScheduleHeader.Ttl);
    if (ttl !== "" && parseMsgTtl(ttl) === "invalid") return { error: ScheduleErrors.ttlInvalid() };
    const rollup = parsed.get(ScheduleHeader.Rollup);
    if (rollup !== "" && rollup !== "sub") return { error: ScheduleErrors.rollupInvalid() };
    if (ttl !== "" && cfg.allow_msg_ttl !== true) return { error: JsErrors.msgTtlDisabled() };
    const target = parsed.get(ScheduleHeader.Target);
    if (target === "" || !isValidLiteralSubject(target) || target === subject) return { error: ScheduleErrors.targetInvalid() };
    const source = parsed.get(ScheduleHeader.Source);
    if (source !== "" && (source === target || source === subject || !isValidLiteralSubject(source))) return { error: ScheduleErrors.sourceInvalid() };
    if (!cfg.subjects.some((s) => subjectsCollide(s, target))) return { error: ScheduleErrors.targetInvalid() };
    if (source !== "" && !cfg.subjects.some((s) => subjectsCollide(s, source))) return { error: ScheduleErrors.sourceInvalid() };
    const msgRollup = parsed.get("Nats-Rollup");
    if (msgRollup === "") addRollup = true;
    else if (msgRollup !== "sub") return { error: ScheduleErrors.rollupInvalid() };
  }
  if (parsed.has(ScheduleHeader.Next)) {
    // Publishers may only use it to remove a schedule, naming it in Nats-Scheduler.
    if (parsed.get(ScheduleHeader.Next) !== SCHEDULE_NEXT_PURGE) return { error: ScheduleErrors.schedulerInvalid() };
    const scheduler = parsed.get(ScheduleHeader.Scheduler);
    if (scheduler === "" || scheduler === subject || !isValidLiteralSubject(scheduler)) return { error: ScheduleErrors.schedulerInvalid() };
    if (!allowed) return { error: ScheduleErrors.disabled() };
    const last = store.loadLast(scheduler);
    if (last !== undefined && rawHeaderValue(last.headers, ScheduleHeader.Pattern) === "") return { error: ScheduleErrors.schedulerInvalid() };
  } else if (parsed.has(ScheduleHeader.Scheduler)) {
    return { error: ScheduleErrors.schedulerInvalid() };
  }
  return { addRollup };
}

/** What the schedules need of their stream. */
export interface ScheduleHost {
  readonly store: StreamStore;
  /** Stores a message the way a sourced one is (its schedule headers are not refused). */
  publishScheduled(subject: string, headers: Uint8Array, data: Uint8Array): void;
  now(): bigint;
}

/** Header names removed from the copy (scheduler.go getScheduledMessages). */
function strippedFromCopy(key: string): boolean {
  return key.startsWith("Nats-Schedule") || key.startsWith("Nats-Expected-") || key === "Nats-Msg-Id" || key === MSG_TTL_HEADER || key === "Nats-Rollup";
}

/**
 * One stream's schedules: the schedule message's sequence by subject, and when each is due in a
 * min-heap (the TTL index the stores use), so the stream keeps one timer however many there are.
 */
export class MsgSchedules {
  readonly #host: ScheduleHost;
  /** Schedule subject → the sequence of its schedule message. */
  readonly #bySubject = new Map<string, number>();
  readonly #subjectOf = new Map<number, string>();
  /** When each schedule (by sequence) is due next, ms since the epoch. */
  readonly #due = new TtlIndex();
  readonly #dueMs = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  #timerAtMs = 0;
  #stopped = false;

  constructor(host: ScheduleHost) {
    this.#host = host;
  }

  /** Reads the schedules back from the stored messages (after a restart, or when turned on). */
  rebuild(): void {
    const store = this.#host.store;
    for (let msg = store.loadNext(">", 0); msg !== undefined; msg = store.loadNext(">", msg.seq + 1)) this.#observe(msg.seq, msg.subject, msg.headers, msg.timeNs);
    this.#arm();
  }

  /** After a message is stored on the stream. */
  stored(seq: number): void {
    const msg = this.#host.store.load(seq);
    if (msg === undefined) return;
    this.#observe(seq, msg.subject, msg.headers, msg.timeNs);
    this.#arm();
  }

  #set(subject: string, seq: number, atNs: bigint): void {
    const old = this.#bySubject.get(subject);
    if (old !== undefined && old !== seq) this.#forget(subject);
    this.#bySubject.set(subject, seq);
    this.#subjectOf.set(seq, subject);
    const dueMs = Number(atNs / 1_000_000n);
    this.#dueMs.set(seq, dueMs);
    this.#due.addDue(seq, dueMs);
  }

  #forget(subject: string): void {
    const seq = this.#bySubject.get(subject);
    if (seq === undefined) return;
    this.#bySubject.delete(subject);
    this.#subjectOf.delete(seq);
    this.#dueMs.delete(seq);
    this.#due.delete(seq);
  }

  /** memstore.go storeRawMsg, "Message scheduling". */
  #observe(seq: number, subject: string, headers: Uint8Array | undefined, timeNs: bigint): void {
    const pattern = rawHeaderValue(headers, ScheduleHeader.Pattern);
    const scheduler = rawHeaderValue(headers, ScheduleHeader.Scheduler);
    const next = pattern === "" ? undefined : nextFire(pattern, zoneOf(headers), timeNs, this.#host.now());
    if (next !== undefined) this.#set(subject, seq, next.atNs);
    else if (scheduler === "") this.#forget(subject);
    // A repeating schedule's copy says when it fires next.
    const nextText = rawHeaderValue(headers, ScheduleHeader.Next);
    if (nextText !== "" && nextText !== SCHEDULE_NEXT_PURGE && scheduler !== "") {
      const atNs = parseNanos(nextText);
      const scheduleSeq = this.#bySubject.get(scheduler);
      if (atNs !== undefined && scheduleSeq !== undefined) this.#set(scheduler, scheduleSeq, atNs);
    }
  }

  #arm(): void {
    if (this.#stopped) return;
    const earliest = this.#due.nextDueMs();
    if (earliest === undefined) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    // Not more often than every 250 ms, so that firing never crowds out publishing (scheduler.go resetTimer).
    const nowMs = Number(this.#host.now() / 1_000_000n);
    const delayMs = Math.max(250, earliest - nowMs);
    const atMs = nowMs + delayMs;
    if (this.#timer !== undefined && this.#timerAtMs <= atMs) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(this.#fire, delayMs);
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    // Taken out of the heap; each one fired is put back by its copy, or a period on.
    for (const seq of this.#due.takeDue(Number(this.#host.now() / 1_000_000n))) {
      const subject = this.#subjectOf.get(seq);
      const dueMs = this.#dueMs.get(seq);
      if (subject === undefined || dueMs === undefined) continue;
      this.#fireOne(subject, seq, BigInt(dueMs) * 1_000_000n);
    }
    this.#arm();
  };

  #fireOne(subject: string, seq: number, atNs: bigint): void {
    const store = this.#host.store;
    const msg = store.load(seq);
    // Removed since (deleted, purged, replaced): the schedule goes with it.
    if (msg === undefined || msg.subject !== subject) {
      this.#forget(subject);
      return;
    }
    const headers = msg.headers;
    const pattern = rawHeaderValue(headers, ScheduleHeader.Pattern);
    const target = rawHeaderValue(headers, ScheduleHeader.Target);
    const next = pattern === "" ? undefined : nextFire(pattern, zoneOf(headers), atNs, this.#host.now());
    const ttl = rawHeaderValue(headers, ScheduleHeader.Ttl);
    if (next === undefined || target === "" || (ttl !== "" && parseMsgTtl(ttl) === "invalid")) {
      this.#forget(subject);
      return;
    }
    const rollup = rawHeaderValue(headers, ScheduleHeader.Rollup);
    const sourceSubject = rawHeaderValue(headers, ScheduleHeader.Source);
    // The source's last message, or the schedule's own content when the source has none.
    const from = (sourceSubject !== "" ? store.loadLast(sourceSubject) : undefined) ?? msg;
    const lines: string[] = [];
    for (const [key, values] of headerLines(from.headers)) if (!strippedFromCopy(key)) for (const v of values) lines.push(`${key}: ${v}`);
    lines.push(`${ScheduleHeader.Scheduler}: ${subject}`);
    lines.push(`${ScheduleHeader.Next}: ${next.repeat ? formatNanos(next.atNs) : SCHEDULE_NEXT_PURGE}`);
    if (ttl !== "") lines.push(`${MSG_TTL_HEADER}: ${ttl}`);
    if (rollup !== "") lines.push(`Nats-Rollup: ${rollup}`);
    const block = Buffer.from(`NATS/1.0\r\n${lines.join("\r\n")}\r\n\r\n`, "latin1");
    // Until its copy is stored (which moves or removes it), the schedule waits a period
    // (a one-off: a second, should its copy be refused).
    this.#set(subject, seq, next.repeat ? next.atNs : this.#host.now() + 1_000_000_000n);
    this.#host.publishScheduled(target, block, Buffer.from(from.data));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#bySubject.clear();
    this.#subjectOf.clear();
    this.#dueMs.clear();
    this.#due.clear();
  }
}

/** `Nats-Schedule-Time-Zone` of a stored schedule, undefined when absent. */
function zoneOf(headers: Uint8Array | undefined): string | undefined {
  if (headers === undefined || !Buffer.from(headers.buffer, headers.byteOffset, headers.byteLength).includes(`\r\n${ScheduleHeader.TimeZone}:`)) return undefined;
  return rawHeaderValue(headers, ScheduleHeader.TimeZone);
}

/** The lines of a raw header block, key → values, in order. */
function headerLines(block: Uint8Array | undefined): Array<[string, string[]]> {
  if (block === undefined || block.length === 0) return [];
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("latin1");
  const out = new Map<string, string[]>();
  for (const line of text.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    const values = out.get(key);
    if (values === undefined) out.set(key, [value]);
    else values.push(value);
  }
  return [...out.entries()];
}
