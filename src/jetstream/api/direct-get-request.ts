/**
 * A DIRECT.GET request body (jetstream_api.go `JSApiMsgGetRequest`), decoded with Go's rules:
 * a field of the wrong type, a negative unsigned one, or a time that is not RFC 3339 fails the
 * whole decode, which nats-server answers `408 Malformed Request`. Unknown keys are ignored.
 */
import { parseNanos } from "../shared/rfc3339.ts";

export interface DirectGetRequest {
  seq: number;
  last_by_subj: string;
  next_by_subj: string;
  /** 0 = not a batch. Go's `int`: a negative one is accepted (and sends nothing but the EOB). */
  batch: number;
  /** 0 = the server's max pending bytes. */
  max_bytes: number;
  start_time: bigint | undefined;
  multi_last: string[];
  up_to_seq: number;
  up_to_time: bigint | undefined;
  no_hdr: boolean;
}

type Json = Record<string, unknown>;

function int(obj: Json, key: string, unsigned: boolean): number | null {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isInteger(value)) return null;
  if (unsigned && value < 0) return null;
  return value;
}

function str(obj: Json, key: string): string | null {
  const value = obj[key];
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : null;
}

/** A Go `*time.Time`: absent, or RFC 3339. */
function time(obj: Json, key: string): bigint | undefined | null {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return null;
  return parseNanos(value) ?? null;
}

/** The request, or undefined when Go's decoder would fail on it. */
export function decodeDirectGet(obj: Json): DirectGetRequest | undefined {
  const seq = int(obj, "seq", true);
  const batch = int(obj, "batch", false);
  const maxBytes = int(obj, "max_bytes", false);
  const upToSeq = int(obj, "up_to_seq", true);
  const last = str(obj, "last_by_subj");
  const next = str(obj, "next_by_subj");
  const start = time(obj, "start_time");
  const upToTime = time(obj, "up_to_time");
  const noHdr = obj["no_hdr"];
  if (noHdr !== undefined && noHdr !== null && typeof noHdr !== "boolean") return undefined;
  const multiValue = obj["multi_last"];
  let multi: string[] = [];
  if (multiValue !== undefined && multiValue !== null) {
    if (!Array.isArray(multiValue) || multiValue.some((s) => typeof s !== "string")) return undefined;
    multi = multiValue as string[];
  }
  if (seq == null || batch == null || maxBytes == null || upToSeq == null || last === null || next === null || start === null || upToTime === null) return undefined;
  return {
    seq,
    last_by_subj: last,
    next_by_subj: next,
    batch,
    max_bytes: maxBytes,
    start_time: start,
    multi_last: multi,
    up_to_seq: upToSeq,
    up_to_time: upToTime,
    no_hdr: noHdr === true,
  };
}
