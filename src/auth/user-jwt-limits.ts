/**
 * The limits of a user JWT that decide whether a connection may come in at all: `src` (the
 * networks it may come from) and `times` with `times_location` (the hours of the day it may
 * connect in), as nats-server jwt.go `validateSrc` and `validateTimes` check them.
 */
import type { BlockList } from "node:net";
import { requireOnUse } from "../base/require-on-use.ts";


/** `src`: a list of CIDRs (older JWTs: one comma-separated string); absent or empty allows any source. */
export function sourceList(value: unknown): string[] {
  if (typeof value === "string") return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string" && s.trim() !== "").map((s) => s.trim());
  return [];
}

/**
 * Whether `host` lies in one of the CIDRs. A connection without an address (in-process) or a
 * CIDR that does not parse is refused, as nats-server refuses them.
 */
export function sourceAllowed(cidrs: readonly string[], host: string | undefined): boolean {
  if (cidrs.length === 0) return true;
  if (host === undefined || host === "") return false;
  // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; Go's net.IP treats both as one.
  const address = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1] ?? host;
  // node:net only when a JWT names networks: an in-process bus never loads it.
  const net = requireOnUse("node:net") as typeof import("node:net");
  const family = net.isIP(address);
  if (family === 0) return false;
  const list: BlockList = new net.BlockList();
  for (const cidr of cidrs) {
    const slash = cidr.indexOf("/");
    const base = slash < 0 ? cidr : cidr.slice(0, slash);
    const baseFamily = net.isIP(base);
    const prefix = slash < 0 ? (baseFamily === 6 ? 128 : 32) : Number(cidr.slice(slash + 1));
    if (baseFamily === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (baseFamily === 6 ? 128 : 32)) return false;
    list.addSubnet(base, prefix, baseFamily === 6 ? "ipv6" : "ipv4");
  }
  return list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/** One `times` entry: `HH:MM:SS` wall-clock times in the JWT's location. */
export interface TimeRange {
  start: string;
  end: string;
}

/** `times`: the ranges that are well-formed records; anything else counts as an empty range. */
export function timeRanges(value: unknown): TimeRange[] {
  if (!Array.isArray(value)) return [];
  return value.map((r) => {
    const record = typeof r === "object" && r !== null ? (r as Record<string, unknown>) : {};
    return { start: typeof record["start"] === "string" ? record["start"] : "", end: typeof record["end"] === "string" ? record["end"] : "" };
  });
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Whether `now` falls in one of the ranges, and for how many more milliseconds (the longest
 * stay among the ranges it falls in: the connection is closed as expired then). No ranges
 * allow any time, for ever (`validFor` undefined). A range past midnight (22:00:00-06:00:00)
 * covers both sides of it. An unknown `location`, or a time that does not parse, refuses.
 */
export function connectWindow(ranges: readonly TimeRange[], location: string, now: number): { allowed: boolean; validForMs: number | undefined } {
  if (ranges.length === 0) return { allowed: true, validForMs: undefined };
  const clock = secondOfDay(now, location);
  if (clock === undefined) return { allowed: false, validForMs: undefined };
  let best: number | undefined;
  for (const range of ranges) {
    const start = parseClock(range.start);
    const end = parseClock(range.end);
    if (start === undefined || end === undefined) return { allowed: false, validForMs: undefined };
    const left = secondsLeft(start, end, clock);
    if (left !== undefined && (best === undefined || left > best)) best = left;
  }
  return best === undefined ? { allowed: false, validForMs: undefined } : { allowed: true, validForMs: best * 1000 };
}

/** Seconds from `now` to `end` when `now` is strictly inside start..end (jwt.go `validateTimeRangeAt`). */
function secondsLeft(start: number, end: number, now: number): number | undefined {
  if (start < now && now < end) return end - now;
  if (start > end) {
    // Past midnight: after it, until end; before it, until end tomorrow.
    if (now < end) return end - now;
    if (start < now) return end + DAY_SECONDS - now;
  }
  return undefined;
}

function parseClock(text: string): number | undefined {
  const m = /^(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (h > 23 || min > 59 || s > 59) return undefined;
  return h * 3600 + min * 60 + s;
}

/** The wall-clock second of the day at `now` in `location` (an IANA zone), or the server's own zone when empty. */
function secondOfDay(now: number, location: string): number | undefined {
  const date = new Date(now);
  if (location === "") return date.getHours() * 3600 + date.getMinutes() * 60 + date.getSeconds();
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-GB", { timeZone: location, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).formatToParts(date);
  } catch {
    return undefined;
  }
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? Number.NaN);
  const seconds = part("hour") * 3600 + part("minute") * 60 + part("second");
  return Number.isFinite(seconds) ? seconds : undefined;
}
