/**
 * Values as nats-server's monitoring JSON writes them with Go's encoding: times as RFC 3339 with
 * trailing zeros of the fraction dropped, durations as `time.Duration.String()`, uptimes as
 * monitor.go `myUptime`, and JSON indented by two spaces with `<`, `>`, `&` escaped as
 * `json.MarshalIndent` does. Kept in one place so every endpoint formats alike.
 */

const NS_PER_MS = 1_000_000;

/** Milliseconds to nanoseconds, the unit of Go's `time.Duration` in JSON (`ping_interval`, `write_deadline`). */
export function msToNs(ms: number): number {
  return Math.round(ms * NS_PER_MS);
}

/**
 * A time as Go's `time.Time` marshals to JSON (RFC 3339 with nanoseconds, trailing zeros of
 * the fraction removed, UTC): `2026-01-02T03:04:05.12Z`, `2026-01-02T03:04:05Z`.
 */
export function goTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits === "" ? "Z" : `.${digits}Z`));
}

/**
 * An elapsed time as monitor.go `myUptime` prints it: whole seconds broken into years (365
 * days), days, hours, minutes: `0s`, `1m2s`, `3h0m7s`, `2d1h0m0s`, `1y0d0h0m5s`.
 */
export function goUptime(ms: number): string {
  const tsecs = Math.max(0, Math.floor(ms / 1000));
  const tmins = Math.floor(tsecs / 60);
  const thrs = Math.floor(tmins / 60);
  const tdays = Math.floor(thrs / 24);
  const tyrs = Math.floor(tdays / 365);
  if (tyrs > 0) return `${tyrs}y${tdays % 365}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (tdays > 0) return `${tdays}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (thrs > 0) return `${thrs}h${tmins % 60}m${tsecs % 60}s`;
  if (tmins > 0) return `${tmins}m${tsecs % 60}s`;
  return `${tsecs}s`;
}

/** `value / 10^digits` with the fraction's trailing zeros (and a bare point) dropped. */
function fraction(value: number, digits: number): string {
  const scale = 10 ** digits;
  const whole = Math.floor(value / scale);
  const frac = String(value % scale).padStart(digits, "0").replace(/0+$/, "");
  return frac === "" ? String(whole) : `${whole}.${frac}`;
}

/**
 * A duration in nanoseconds as Go's `time.Duration.String()`: `0s`, `850ns`, `958µs`,
 * `1.5ms`, `2s`, `1m30s`, `1h0m0s`. Used for `/connz` `rtt`.
 */
export function goDuration(ns: number): string {
  let u = Math.round(Math.abs(ns));
  if (u === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  if (u < 1e9) {
    if (u < 1e3) return `${sign}${u}ns`;
    if (u < 1e6) return `${sign}${fraction(u, 3)}µs`;
    return `${sign}${fraction(u, 6)}ms`;
  }
  const hours = Math.floor(u / 3.6e12);
  u -= hours * 3.6e12;
  const minutes = Math.floor(u / 6e10);
  u -= minutes * 6e10;
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${fraction(u, 9)}s`;
}

/** Characters `encoding/json` escapes by default (HTML-safe output). */
const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

function escapeHtmlUnsafe(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Go's largest uint64, which nats-server writes for an unlimited value cast from -1 (`/jsz` account reservations). */
const MAX_UINT64_TEXT = "18446744073709551615";
/** Stands in for {@link MAX_UINT64_TEXT} during `JSON.stringify`, which cannot write it exactly. */
const MAX_UINT64_MARK = "\u0000max-uint64\u0000";
const MAX_UINT64_MARK_JSON = JSON.stringify(MAX_UINT64_MARK);

/** Numbers at or past 2^64 can only be a uint64's maximum: written as Go writes it. */
function uint64Replacer(_key: string, value: unknown): unknown {
  return typeof value === "number" && value >= 2 ** 64 ? MAX_UINT64_MARK : value;
}

function stringify(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, uint64Replacer, indent);
  return (json.includes(MAX_UINT64_MARK_JSON) ? json.replaceAll(MAX_UINT64_MARK_JSON, MAX_UINT64_TEXT) : json).replace(HTML_UNSAFE, escapeHtmlUnsafe);
}

/** JSON as Go's `json.MarshalIndent(v, "", "  ")`: two-space indent, HTML-unsafe characters escaped. */
export function goJsonIndent(value: unknown): string {
  return stringify(value, 2);
}

/** JSON as Go's `json.Marshal` (compact), HTML-unsafe characters escaped. */
export function goJson(value: unknown): string {
  return stringify(value);
}
