/**
 * Counter streams (`allow_msg_counter`, nats-server 2.12): a publish carries `Nats-Incr: <n>`
 * and no payload; the stream stores `{"val":"<total>"}`, the subject's previous total plus n,
 * arbitrary precision, and the PubAck says the new total. A counter sourced from another stream
 * arrives with its origin's total: the increment stored is the difference from the last total
 * seen from that origin subject, which `Nats-Counter-Sources` keeps
 * (`{"<stream>":{"<subject>":"<total>"}}`). Checks and texts as stream.go processJetStreamMsg.
 */
import type { ApiError } from "../shared/contracts.ts";
import { JsErrors } from "../shared/api-errors.ts";
import type { MsgHeaders } from "../../direct/headers.ts";
import { rawHeaderValue } from "../store/msg-ttl.ts";
import type { StreamStore } from "../store/stream-store.ts";

export const INCR_HEADER = "Nats-Incr";
const SOURCES_HEADER = "Nats-Counter-Sources";

/** Go's `big.Int.SetString(s, 10)`. */
function parseBig(text: string): bigint | undefined {
  return /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
}

/**
 * The first header check of a publish: a `Nats-Incr` that is no integer is refused everywhere;
 * on a message not brought by a source it must also be a counter stream's, carry no payload
 * and come without rollup or expectation headers. Returns the increment (undefined when none).
 */
export function checkIncrement(parsed: MsgHeaders, payloadLength: number, counterStream: boolean, sourced: boolean): { incr: bigint | undefined } | { error: ApiError } {
  const value = parsed.get(INCR_HEADER);
  if (value === "") return { incr: undefined };
  const incr = parseBig(value);
  if (incr === undefined) return { error: JsErrors.counterIncrInvalid() };
  if (sourced) return { incr };
  if (!counterStream) return { error: JsErrors.counterDisabled() };
  if (payloadLength > 0) return { error: JsErrors.counterHasPayload() };
  const incompatible = [
    "Nats-Rollup",
    "Nats-Expected-Stream",
    "Nats-Expected-Last-Msg-Id",
    "Nats-Expected-Last-Subject-Sequence-Subject",
    "Nats-Expected-Last-Sequence",
    "Nats-Expected-Last-Subject-Sequence",
  ];
  if (incompatible.some((name) => parsed.get(name) !== "")) return { error: JsErrors.counterIncrInvalid() };
  return { incr };
}

/** The counter body of a stored message, or undefined when it is not one. */
function counterValue(data: Uint8Array): string | undefined {
  try {
    const json: unknown = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"));
    if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
    const val = (json as Record<string, unknown>)["val"];
    // Go leaves a missing field empty and refuses one of another type.
    if (val === undefined || val === null) return "";
    return typeof val === "string" ? val : undefined;
  } catch {
    return undefined;
  }
}

type Sources = Record<string, Record<string, string>>;

function parseSources(text: string): Sources | undefined {
  try {
    const json: unknown = JSON.parse(text);
    if (json === null) return {};
    if (typeof json !== "object" || Array.isArray(json)) return undefined;
    for (const inner of Object.values(json as Record<string, unknown>)) {
      if (inner === null) continue;
      if (typeof inner !== "object" || Array.isArray(inner) || Object.values(inner as object).some((v) => typeof v !== "string")) return undefined;
    }
    return json as Sources;
  } catch {
    return undefined;
  }
}

/** `block` with `key: value` replacing any line of that name (nats-server's `setHeader`). */
function setHeader(block: Uint8Array | undefined, key: string, value: string): Uint8Array {
  const text = block === undefined || block.length === 0 ? "NATS/1.0\r\n\r\n" : Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("latin1");
  const lines = text.slice(0, -4).split("\r\n").filter((line, i) => i === 0 || !line.startsWith(`${key}:`));
  return Buffer.from(`${lines.join("\r\n")}\r\n${key}: ${value}\r\n\r\n`, "latin1");
}

/** As Go's json.Marshal writes a map: keys sorted. */
function sortedJson(sources: Sources): string {
  const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const inner = (m: Record<string, string>): string => `{${Object.keys(m).sort(byKey).map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(",")}}`;
  return `{${Object.keys(sources).sort(byKey).map((k) => `${JSON.stringify(k)}:${inner(sources[k] ?? {})}`).join(",")}}`;
}

/**
 * The message a counter stream stores for an increment on `subject`: the new total as body,
 * and for a sourced one the increment recomputed and the sources header updated.
 */
export function applyIncrement(
  store: StreamStore,
  subject: string,
  headers: Uint8Array | undefined,
  data: Uint8Array,
  incr: bigint,
): { headers: Uint8Array | undefined; data: Uint8Array; total: string } | { error: ApiError } {
  let total = 0n;
  let sources: Sources = {};
  const last = store.loadLast(subject);
  if (last !== undefined) {
    const value = counterValue(last.data);
    if (value === undefined) return { error: JsErrors.counterBroken() };
    const stored = rawHeaderValue(last.headers, SOURCES_HEADER);
    if (stored !== "") {
      const parsed = parseSources(stored);
      if (parsed === undefined) return { error: JsErrors.counterBroken() };
      sources = parsed;
    }
    // A total Go cannot read counts from zero, as big.Int.SetString leaves it.
    total = parseBig(value) ?? 0n;
  }
  let block = headers;
  const origin = rawHeaderValue(headers, "Nats-Stream-Source");
  if (origin !== "") {
    const fields = origin.split(" ");
    const originStream = fields[0] ?? "";
    const originSubject = fields.length >= 5 ? fields[4]! : subject;
    const value = counterValue(data);
    if (value === undefined) return { error: JsErrors.counterBroken() };
    const originTotal = parseBig(value) ?? 0n;
    const bySubject = (sources[originStream] ??= {});
    const previous = parseBig(bySubject[originSubject] ?? "") ?? 0n;
    bySubject[originSubject] = originTotal.toString();
    incr = originTotal - previous;
    block = setHeader(block, INCR_HEADER, incr.toString());
  }
  total += incr;
  if (Object.keys(sources).length > 0) block = setHeader(block, SOURCES_HEADER, sortedJson(sources));
  return { headers: block, data: Buffer.from(`{"val":${JSON.stringify(total.toString())}}`), total: total.toString() };
}
