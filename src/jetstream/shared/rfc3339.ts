/**
 * Times as nats-server writes them: Go's `time.RFC3339Nano` in UTC, nanoseconds with trailing
 * zeros trimmed, and Go's zero time for "never" (STREAM.INFO `first_ts` of an empty stream).
 */
import { nowNs } from "../store/clock.ts";

export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** Nanoseconds since the epoch → `2024-05-01T10:00:00.123456789Z`; 0n → Go's zero time. */
export function formatNanos(ns: bigint): string {
  if (ns === 0n) return GO_ZERO_TIME;
  const ms = Number(ns / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  let fraction = (ns % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  if (fraction !== "") fraction = `.${fraction}`;
  return `${base}${fraction}Z`;
}

/** Parses an RFC 3339 time (any precision) to nanoseconds since the epoch; undefined if invalid. */
export function parseNanos(text: string): bigint | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (match === null) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const fraction = BigInt((match[2] ?? "").padEnd(9, "0"));
  return BigInt(ms) * 1_000_000n + fraction;
}

/** Now, in nanoseconds since the epoch, on the stores' clock (never goes backwards). */
export function nowNanos(): bigint {
  return nowNs();
}
