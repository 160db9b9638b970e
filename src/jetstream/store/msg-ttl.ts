/**
 * The per-message TTL header (`Nats-TTL`, nats-server 2.11) as nats-server reads it
 * (stream.go `parseMessageTTL`): "never" (any case) is -1; a Go duration of at least one second
 * is its whole seconds; otherwise digits only are seconds. Anything else is invalid. The store
 * reads it back from stored headers (recovery, enabling TTLs by update), the publish path to
 * check it, so it lives here, below both.
 */

export const MSG_TTL_HEADER = "Nats-TTL";

/** The header's value: seconds (> 0), -1 for never, 0 for none; "invalid" when nats-server refuses it. */
export type MsgTtl = number | "invalid";

/** A Map, not an object: a unit such as `__proto__` must find nothing. */
const NS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ["ns", 1],
  ["us", 1e3],
  ["\u00b5s", 1e3],
  ["\u03bcs", 1e3],
  ["ms", 1e6],
  ["s", 1e9],
  ["m", 60e9],
  ["h", 3600e9],
]);

/** Go's `time.ParseDuration` in nanoseconds, or undefined where Go returns an error (overflow included). */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (s !== "") {
    const m = part.exec(s);
    if (m === null) return undefined;
    const [whole, int = "", frac = "", unit = ""] = m;
    if (int === "" && frac === "") return undefined;
    const scale = NS_PER_UNIT.get(unit);
    if (scale === undefined) return undefined;
    total += Number(int || "0") * scale + (frac === "" ? 0 : Number(`0.${frac}`) * scale);
    s = s.slice(whole.length);
  }
  // Go's Duration is an int64 of nanoseconds: larger is an error there.
  if (total > 9.223372036854775e18) return undefined;
  return negative ? -total : total;
}

/** nats-server's `parseMessageTTL` on a header value. */
export function parseMsgTtl(value: string): MsgTtl {
  if (value.toLowerCase() === "never") return -1;
  const ns = parseGoDuration(value);
  if (ns !== undefined) return ns < 1e9 ? "invalid" : Math.floor(ns / 1e9);
  if (!/^\d+$/.test(value)) return "invalid";
  // Go's parseInt64 wraps past int64: a wrapped negative is a parse failure there, which it refuses.
  const wrapped = BigInt.asIntN(64, BigInt(value));
  if (wrapped < 0n) return "invalid";
  // Seconds beyond what a Number holds exactly mean "not in this universe's lifetime" anyway.
  return wrapped > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(wrapped);
}

/**
 * The value of `key` in a raw header block, "" when absent. Case-sensitive, as nats-server's
 * `getHeader`, which looks for the name as written.
 */
export function rawHeaderValue(block: Uint8Array | undefined, key: string): string {
  if (block === undefined || block.length === 0) return "";
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("latin1");
  const at = text.indexOf(`\r\n${key}:`);
  if (at < 0) return "";
  const end = text.indexOf("\r\n", at + 2);
  return text.slice(at + 2 + key.length + 1, end < 0 ? undefined : end).trim();
}

/** The TTL a stored message carries: seconds, -1 for never, 0 for none (an invalid one counts as none). */
export function storedMsgTtl(headers: Uint8Array | undefined): number {
  const value = rawHeaderValue(headers, MSG_TTL_HEADER);
  if (value === "") return 0;
  const ttl = parseMsgTtl(value);
  return ttl === "invalid" ? 0 : ttl;
}

/**
 * Is this a subject delete marker (sdm.go `isSubjectDeleteMarker`): one the server placed
 * (`Nats-Marker-Reason`) or a KV purge marker? Expiring one never places another.
 */
export function isSubjectDeleteMarker(headers: Uint8Array | undefined): boolean {
  return rawHeaderValue(headers, "Nats-Marker-Reason") !== "" || rawHeaderValue(headers, "KV-Operation") === "PURGE";
}
