/**
 * A stream configuration from a STREAM.CREATE/UPDATE request: decoded with Go's rules (a
 * value of the wrong type is `invalid JSON`, unknown keys are ignored), then checked and
 * completed as nats-server's `checkStreamCfg` does, and compared with the old one on update
 * as `configUpdateCheck`. Every message text is nats-server's.
 */
import type { ApiError } from "../shared/contracts.ts";
import { BatchErrors } from "../shared/batch-errors.ts";
import { ScheduleErrors } from "./schedules.ts";
import { JsErrors } from "../shared/api-errors.ts";
import { isValidLiteralSubject, isValidSubject } from "../../subjects/subject.ts";
import { subjectIsSubsetMatch, subjectsCollide } from "../shared/subject-overlap.ts";
import type { DiscardPolicy, RePublish, RetentionPolicy, StorageType, StreamConfig, StreamSource, SubjectTransformConfig } from "../shared/types.ts";
import { SubjectTransform, TransformError, validateMapping } from "../../subjects/subject-transform.ts";
import type { StoreLimits } from "../store/stream-store.ts";
import { comparableMetadata, staticMetadata, streamRequiredLevel } from "../shared/version-metadata.ts";

export type Checked<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const MS = 1_000_000;
/** `StreamDefaultDuplicatesWindow`: two minutes. */
export const DEFAULT_DUPLICATE_WINDOW = 120_000 * MS;
/** `JSMaxNameLen`, `JSMaxDescriptionLen`, `JSMaxMetadataLen`. */
const MAX_NAME_LEN = 255;
const MAX_DESCRIPTION_LEN = 4 * 1024;
const MAX_METADATA_LEN = 128 * 1024;

/** Thrown inside decoding only, turned into `invalid JSON` at the edge (with `reason` when nats-server's decoder gives one). */
class DecodeError extends Error {
  readonly reason: string | undefined;

  constructor(key: string, reason?: string) {
    super(key);
    this.reason = reason;
  }
}

type Json = Record<string, unknown>;

function field<T>(obj: Json, key: string, kind: "string" | "boolean" | "integer", fallback: T): T {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (kind === "integer") {
    if (typeof value !== "number" || !Number.isInteger(value)) throw new DecodeError(key);
    return value as T;
  }
  if (typeof value !== kind) throw new DecodeError(key);
  return value as T;
}

function oneOf<T extends string>(obj: Json, key: string, allowed: readonly T[], fallback: T): T {
  const value = field<string>(obj, key, "string", fallback);
  // Go's enum UnmarshalJSON refuses anything else: nats-server answers `invalid JSON`.
  if (!(allowed as readonly string[]).includes(value)) throw new DecodeError(key);
  return value as T;
}

/** Stream `compression`: a string other than "s2" or "none" is refused with the words of nats-server's StoreCompression decoder. */
function compression(obj: Json): "none" | "s2" {
  // Go hands even a JSON null to that decoder, which finds no algorithm in it.
  if (obj.compression === null) throw new DecodeError("compression", "unknown compression algorithm");
  const value = field<string>(obj, "compression", "string", "none");
  if (value !== "none" && value !== "s2") throw new DecodeError("compression", "unknown compression algorithm");
  return value;
}

/** `persist_mode` as nats-server's PersistModeType decoder reads it: "default", "" or "async"; anything else (null too) fails. */
function persistModeOf(obj: Json): "default" | "async" {
  if (!("persist_mode" in obj)) return "default";
  const value = obj["persist_mode"];
  if (value === "default" || value === "") return "default";
  if (value === "async") return "async";
  throw new DecodeError("persist_mode");
}

/** Is this a name nats-server accepts for a stream (`isValidAssetName`)? */
export function isValidName(name: string): boolean {
  return name !== "" && !/[.*>\s\\/]/.test(name);
}

interface Decoded {
  config: StreamConfig;
}

function decode(input: unknown): Decoded {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new DecodeError("config");
  const obj = input as Json;
  const subjectsValue = obj["subjects"];
  let subjects: string[] = [];
  if (subjectsValue !== undefined && subjectsValue !== null) {
    if (!Array.isArray(subjectsValue) || subjectsValue.some((s) => typeof s !== "string")) throw new DecodeError("subjects");
    subjects = [...(subjectsValue as string[])];
  }
  const limitsValue = obj["consumer_limits"];
  let consumerLimits: StreamConfig["consumer_limits"] = {};
  if (limitsValue !== undefined && limitsValue !== null) {
    if (typeof limitsValue !== "object" || Array.isArray(limitsValue)) throw new DecodeError("consumer_limits");
    const l = limitsValue as Json;
    const inactive = field<number>(l, "inactive_threshold", "integer", 0);
    const maxAckPending = field<number>(l, "max_ack_pending", "integer", 0);
    consumerLimits = { ...(inactive !== 0 && { inactive_threshold: inactive }), ...(maxAckPending !== 0 && { max_ack_pending: maxAckPending }) };
  }
  const metadataValue = obj["metadata"];
  let metadata: Record<string, string> | undefined;
  if (metadataValue !== undefined && metadataValue !== null) {
    if (typeof metadataValue !== "object" || Array.isArray(metadataValue)) throw new DecodeError("metadata");
    metadata = {};
    for (const [k, v] of Object.entries(metadataValue as Json)) {
      if (typeof v !== "string") throw new DecodeError("metadata");
      metadata[k] = v;
    }
  }
  const mirrorValue = obj["mirror"];
  const mirror = mirrorValue === undefined || mirrorValue === null ? undefined : decodeSource(mirrorValue, "mirror");
  const sourcesValue = obj["sources"];
  let sources: StreamSource[] | undefined;
  if (sourcesValue !== undefined && sourcesValue !== null) {
    if (!Array.isArray(sourcesValue)) throw new DecodeError("sources");
    // A null entry is kept as such: nats-server refuses it as an invalid name.
    sources = sourcesValue.map((v) => (v === null ? (null as unknown as StreamSource) : decodeSource(v, "sources")));
  }
  const transformValue = obj["subject_transform"];
  let subjectTransform: StreamConfig["subject_transform"];
  if (transformValue !== undefined && transformValue !== null) {
    if (typeof transformValue !== "object" || Array.isArray(transformValue)) throw new DecodeError("subject_transform");
    const st = transformValue as Json;
    subjectTransform = { src: field<string>(st, "src", "string", ""), dest: field<string>(st, "dest", "string", "") };
  }
  const republishValue = obj["republish"];
  let republish: StreamConfig["republish"];
  if (republishValue !== undefined && republishValue !== null) {
    if (typeof republishValue !== "object" || Array.isArray(republishValue)) throw new DecodeError("republish");
    const r = republishValue as Json;
    const headersOnly = field<boolean>(r, "headers_only", "boolean", false);
    republish = { src: field<string>(r, "src", "string", ""), dest: field<string>(r, "dest", "string", ""), ...(headersOnly && { headers_only: true }) };
  }
  const description = field<string>(obj, "description", "string", "");
  const noAck = field<boolean>(obj, "no_ack", "boolean", false);
  const firstSeq = field<number>(obj, "first_seq", "integer", 0);
  if (firstSeq < 0) throw new DecodeError("first_seq");
  const discardNewPer = field<boolean>(obj, "discard_new_per_subject", "boolean", false);
  const allowMsgTtl = field<boolean>(obj, "allow_msg_ttl", "boolean", false);
  const allowMsgCounter = field<boolean>(obj, "allow_msg_counter", "boolean", false);
  const allowAtomic = field<boolean>(obj, "allow_atomic", "boolean", false);
  const allowSchedules = field<boolean>(obj, "allow_msg_schedules", "boolean", false);
  const allowBatched = field<boolean>(obj, "allow_batched", "boolean", false);
  const persistMode = persistModeOf(obj);
  const markerTtl = field<number>(obj, "subject_delete_marker_ttl", "integer", 0);
  const config: StreamConfig = {
    name: field<string>(obj, "name", "string", ""),
    ...(description !== "" && { description }),
    subjects,
    retention: oneOf<RetentionPolicy>(obj, "retention", ["limits", "interest", "workqueue"], "limits"),
    max_consumers: field<number>(obj, "max_consumers", "integer", 0),
    max_msgs: field<number>(obj, "max_msgs", "integer", 0),
    max_bytes: field<number>(obj, "max_bytes", "integer", 0),
    max_age: field<number>(obj, "max_age", "integer", 0),
    max_msgs_per_subject: field<number>(obj, "max_msgs_per_subject", "integer", 0),
    max_msg_size: field<number>(obj, "max_msg_size", "integer", 0),
    discard: oneOf<DiscardPolicy>(obj, "discard", ["old", "new"], "old"),
    storage: oneOf<StorageType>(obj, "storage", ["file", "memory"], "file"),
    num_replicas: field<number>(obj, "num_replicas", "integer", 0),
    ...(noAck && { no_ack: true }),
    duplicate_window: field<number>(obj, "duplicate_window", "integer", 0),
    ...(mirror !== undefined && { mirror }),
    ...(sources !== undefined && sources.length > 0 && { sources }),
    compression: compression(obj),
    ...(firstSeq > 0 && { first_seq: firstSeq }),
    ...(subjectTransform !== undefined && { subject_transform: subjectTransform }),
    ...(republish !== undefined && { republish }),
    allow_direct: field<boolean>(obj, "allow_direct", "boolean", false),
    mirror_direct: field<boolean>(obj, "mirror_direct", "boolean", false),
    ...(discardNewPer && { discard_new_per_subject: true }),
    sealed: field<boolean>(obj, "sealed", "boolean", false),
    deny_delete: field<boolean>(obj, "deny_delete", "boolean", false),
    deny_purge: field<boolean>(obj, "deny_purge", "boolean", false),
    allow_rollup_hdrs: field<boolean>(obj, "allow_rollup_hdrs", "boolean", false),
    consumer_limits: consumerLimits,
    // Written only when set, unlike nats-server 2.11's `allow_msg_ttl` (always there): the
    // answers stay those of the 2.10 this broker reports.
    ...(allowMsgTtl && { allow_msg_ttl: true }),
    ...(markerTtl !== 0 && { subject_delete_marker_ttl: markerTtl }),
    ...(allowMsgCounter && { allow_msg_counter: true }),
    // omitempty in nats-server's StreamConfig: absent unless on.
    ...(allowAtomic && { allow_atomic: true }),
    ...(allowSchedules && { allow_msg_schedules: true }),
    ...(allowBatched && { allow_batched: true }),
    // omitempty: "default" (or "") is written as nothing, as nats-server's PersistModeType.
    ...(persistMode === "async" && { persist_mode: "async" as const }),
  };
  // The required API level is worked out from the request as sent, before any default
  // (jetstream_api.go calls setStaticStreamMetadata right after decoding).
  config.metadata = staticMetadata(metadata, streamRequiredLevel(config));
  return { config };
}

function decodeTransforms(value: unknown, key: string): SubjectTransformConfig[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new DecodeError(key);
  return value.map((t) => {
    if (typeof t !== "object" || t === null || Array.isArray(t)) throw new DecodeError(key);
    return { src: field<string>(t as Json, "src", "string", ""), dest: field<string>(t as Json, "dest", "string", "") };
  });
}

/** A `StreamSource` as Go decodes it: wrong types are `invalid JSON`, unknown keys ignored. */
function decodeSource(value: unknown, key: string): StreamSource {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DecodeError(key);
  const o = value as Json;
  const optStartSeq = field<number>(o, "opt_start_seq", "integer", 0);
  if (optStartSeq < 0) throw new DecodeError(key);
  const optStartTime = field<string>(o, "opt_start_time", "string", "");
  if (optStartTime !== "" && Number.isNaN(Date.parse(optStartTime))) throw new DecodeError(key);
  const filter = field<string>(o, "filter_subject", "string", "");
  const transforms = decodeTransforms(o["subject_transforms"], key);
  let external: StreamSource["external"];
  const ext = o["external"];
  if (ext !== undefined && ext !== null) {
    if (typeof ext !== "object" || Array.isArray(ext)) throw new DecodeError(key);
    const deliver = field<string>(ext as Json, "deliver", "string", "");
    external = { api: field<string>(ext as Json, "api", "string", ""), ...(deliver !== "" && { deliver }) };
  }
  return {
    name: field<string>(o, "name", "string", ""),
    ...(optStartSeq > 0 && { opt_start_seq: optStartSeq }),
    ...(optStartTime !== "" && { opt_start_time: optStartTime }),
    ...(filter !== "" && { filter_subject: filter }),
    ...(transforms !== undefined && transforms.length > 0 && { subject_transforms: transforms }),
    ...(external !== undefined && { external }),
  };
}

/**
 * checkStreamCfg on `mirror` and `sources`, the part that needs no other stream: returns the
 * error, or undefined. nats-server's order and texts.
 */
function checkMirrorAndSources(cfg: StreamConfig, subjectsGiven: boolean): ApiError | undefined {
  const m = cfg.mirror;
  if (m !== undefined) {
    if ((cfg.first_seq ?? 0) > 0) return JsErrors.sourcing(10143, "stream mirrors can not have first sequence configured");
    if (subjectsGiven) return JsErrors.sourcing(10034, "stream mirrors can not contain subjects");
    if ((cfg.sources ?? []).length > 0) return JsErrors.sourcing(10031, "stream mirrors can not also contain other sources");
    if (cfg.allow_msg_counter === true) return JsErrors.mirrorWithCounters();
    if (cfg.allow_atomic === true) return BatchErrors.mirrorWithAtomic();
    if (cfg.allow_batched === true) return BatchErrors.mirrorWithFast();
    if (cfg.allow_msg_schedules === true) return ScheduleErrors.mirror();
    const transforms = m.subject_transforms ?? [];
    if (m.filter_subject !== undefined && transforms.length > 0) return JsErrors.sourcing(10150, "mirror with multiple subject transforms cannot also have a single subject filter");
    // Markers would take sequences of their own and the mirror would part from its origin.
    if ((cfg.subject_delete_marker_ttl ?? 0) > 0) return JsErrors.invalidConfig("subject delete markers forbidden on mirrors");
    for (let i = 0; i < transforms.length; i++) {
      const tr = transforms[i]!;
      if (tr.src !== "" && !isValidSubject(tr.src)) return JsErrors.sourcing(10151, `mirror transform source: invalid subject ${tr.src}`);
      const refused = validateMapping(tr.src, tr.dest);
      if (refused !== undefined) return JsErrors.sourcing(10154, `mirror transform: ${refused}`);
      for (let j = 0; j < transforms.length; j++) {
        if (i !== j && subjectsCollide(tr.src, transforms[j]!.src)) return JsErrors.sourcing(10152, "mirror subject filters can not overlap");
      }
    }
    if (m.external === undefined && !isValidName(m.name)) return JsErrors.sourcing(10142, "mirrored stream name is invalid");
  }
  if ((cfg.sources ?? []).length > 0 && cfg.allow_msg_schedules === true) return ScheduleErrors.source();
  const names = new Set<string>();
  for (const src of cfg.sources ?? []) {
    if (src === null || !isValidName(src.name)) return JsErrors.sourcing(10141, "sourced stream name is invalid");
    const iname = sourceIndexName(src);
    if (names.has(iname)) return JsErrors.sourcing(10140, "duplicate source configuration detected");
    names.add(iname);
    const transforms = src.subject_transforms ?? [];
    if (src.filter_subject !== undefined && transforms.length > 0) return JsErrors.sourcing(10144, "source with multiple subject transforms cannot also have a single subject filter");
    for (const tr of transforms) {
      if (tr.src !== "" && !isValidSubject(tr.src)) return JsErrors.sourcing(10145, `source transform source: invalid subject ${tr.src}`);
      const refused = validateMapping(tr.src, tr.dest);
      if (refused !== undefined) return JsErrors.sourcing(10146, `source transform: ${refused}`);
    }
    for (let i = 0; i < transforms.length; i++) {
      for (let j = 0; j < transforms.length; j++) {
        if (i !== j && subjectIsSubsetMatch(transforms[i]!.src, transforms[j]!.src)) return JsErrors.sourcing(10147, "source filters can not overlap");
      }
    }
  }
  for (const ext of [m?.external, ...(cfg.sources ?? []).map((s) => s.external)]) {
    if (ext === undefined) continue;
    if (ext.deliver !== undefined && !isValidLiteralSubject(ext.deliver)) return JsErrors.sourcing(10024, `stream external delivery prefix ${ext.deliver} must not contain wildcards`);
    if (ext.api !== "" && !isValidLiteralSubject(ext.api)) return JsErrors.invalidConfig(`stream external api prefix ${JSON.stringify(ext.api)} must be a valid subject without wildcards`);
    if (ext.api !== "" && subjectsCollide(ext.api, "$JS.API")) return JsErrors.sourcing(10021, `stream external api prefix ${ext.api} must not overlap with $JS.API`);
  }
  return undefined;
}

/**
 * How nats-server tells sources apart (stream.go `composeIName`): `<name> <filters> <dests>`,
 * each list joined by form feeds, `>` for what is left empty. An external source's name
 * carries its API prefix (nats-server adds a hash of it instead).
 */
export function sourceIndexName(src: StreamSource): string {
  const name = src.external !== undefined && src.external.api !== "" ? `${src.name}:${src.external.api}` : src.name;
  const transforms = src.subject_transforms ?? [];
  if (transforms.length === 0) return `${name} ${src.filter_subject ?? ">"} >`;
  return `${name} ${transforms.map((t) => t.src || ">").join("\f")} ${transforms.map((t) => t.dest || ">").join("\f")}`;
}

/**
 * The checks on `mirror` and `sources` that read the other streams (checkStreamCfg): the
 * origin's max message size, `mirror_direct` taken from the origin's `allow_direct`, and
 * cycles. Fills `mirror_direct` in place; returns the error, or undefined.
 */
export function checkAgainstOtherStreams(cfg: StreamConfig, lookup: (name: string) => StreamConfig | undefined): ApiError | undefined {
  const m = cfg.mirror;
  if (m !== undefined && m.external === undefined) {
    const origin = lookup(m.name);
    if (origin !== undefined) {
      if (cfg.max_msg_size > 0 && origin.max_msg_size > 0 && cfg.max_msg_size < origin.max_msg_size) {
        return JsErrors.sourcing(10030, "stream mirror must have max message size >= source");
      }
      cfg.mirror_direct = origin.allow_direct;
    }
  }
  for (const src of cfg.sources ?? []) {
    if (src.external !== undefined) continue;
    const origin = lookup(src.name);
    if (origin !== undefined && cfg.max_msg_size > 0 && origin.max_msg_size > 0 && cfg.max_msg_size < origin.max_msg_size) {
      return JsErrors.sourcing(10046, "stream source must have max message size >= target");
    }
  }
  // Walk what this stream reads from, and what those read from.
  const visited = new Set<string>();
  const toVisit: StreamConfig[] = [cfg];
  const overlaps = (subjects: readonly string[], filter: string | undefined): boolean =>
    filter === undefined || filter === "" || subjects.some((s) => subjectsCollide(s, filter));
  while (toVisit.length > 0) {
    const c = toVisit.shift()!;
    visited.add(c.name);
    for (const src of c.sources ?? []) {
      if (src.external !== undefined) continue;
      if (visited.has(src.name)) {
        if (overlaps(c.subjects, src.filter_subject)) return JsErrors.invalidConfig("detected cycle");
      } else {
        const next = lookup(src.name);
        if (next !== undefined) toVisit.push(next);
      }
    }
    const mm = c.mirror;
    if (mm !== undefined && mm.external === undefined) {
      if (visited.has(mm.name)) return JsErrors.invalidConfig("detected cycle");
      const next = lookup(mm.name);
      if (next !== undefined) toVisit.push(next);
    }
  }
  return undefined;
}

/** nats-server's "unset or below -1 means unlimited". */
function unlimited(value: number): number {
  return value === 0 || value < -1 ? -1 : value;
}

/**
 * Decodes and checks a configuration, filling nats-server's defaults. `precheck` runs on the
 * decoded request before any default or rule (the API's own checks come first in nats-server).
 */
export function checkStreamConfig(input: unknown, precheck?: (decoded: StreamConfig) => ApiError | undefined): Checked<StreamConfig> {
  let decoded: Decoded;
  try {
    decoded = decode(input);
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, error: err.reason === undefined ? JsErrors.invalidJson() : JsErrors.invalidJsonBecause(err.reason) };
    throw err;
  }
  const cfg = decoded.config;
  const refused = precheck?.(cfg);
  if (refused !== undefined) return { ok: false, error: refused };
  const invalid = (why: string): Checked<StreamConfig> => ({ ok: false, error: JsErrors.invalidConfig(why) });
  if (!isValidName(cfg.name)) return invalid("stream name is required and can not contain '.', '*', '>'");
  if (cfg.name.length > MAX_NAME_LEN) return invalid(`stream name is too long, maximum allowed is ${MAX_NAME_LEN}`);
  if ((cfg.description ?? "").length > MAX_DESCRIPTION_LEN) {
    return invalid(`stream description is too long, maximum allowed is ${MAX_DESCRIPTION_LEN}`);
  }
  let metadataLen = 0;
  for (const [k, v] of Object.entries(cfg.metadata ?? {})) metadataLen += k.length + v.length;
  if (metadataLen > MAX_METADATA_LEN) return invalid(`stream metadata exceeds maximum size of ${MAX_METADATA_LEN} bytes`);

  if (cfg.num_replicas === 0) cfg.num_replicas = 1;
  if (cfg.num_replicas < 0) return { ok: false, error: { code: 400, err_code: 10133, description: "replicas count cannot be negative" } };
  if (cfg.num_replicas > 5) return invalid("maximum replicas is 5");
  cfg.max_msgs = unlimited(cfg.max_msgs);
  cfg.max_msgs_per_subject = unlimited(cfg.max_msgs_per_subject);
  cfg.max_bytes = unlimited(cfg.max_bytes);
  cfg.max_msg_size = unlimited(cfg.max_msg_size);
  cfg.max_consumers = unlimited(cfg.max_consumers);
  if (cfg.max_age < 0) return invalid("max age can not be negative");
  if (cfg.max_age !== 0 && cfg.max_age < 100 * MS) return invalid("max age needs to be >= 100ms");
  const sourcing = cfg.mirror !== undefined || (cfg.sources ?? []).length > 0;
  // A mirror or a stream with sources keeps no duplicate window unless asked (checkStreamCfg).
  if (cfg.duplicate_window === 0 && !sourcing) {
    cfg.duplicate_window = cfg.max_age !== 0 && cfg.max_age < DEFAULT_DUPLICATE_WINDOW ? cfg.max_age : DEFAULT_DUPLICATE_WINDOW;
  }
  if (cfg.duplicate_window < 0) return invalid("duplicates window can not be negative");
  if (cfg.max_age !== 0 && cfg.duplicate_window > cfg.max_age) return invalid("duplicates window can not be larger then max age");
  if (cfg.duplicate_window > 0 && cfg.duplicate_window < 100 * MS) return invalid("duplicates window needs to be >= 100ms");
  if (cfg.deny_purge && cfg.allow_rollup_hdrs) return invalid("roll-ups require the purge permission");
  if (cfg.allow_msg_counter === true) {
    if (cfg.discard === "new") return invalid("counter stream cannot use discard new");
    if (cfg.allow_msg_ttl === true) return invalid("counter stream cannot use message TTLs");
    if (cfg.allow_msg_schedules === true) return invalid("counter stream cannot use message schedules");
    if (cfg.retention !== "limits") return invalid("counter stream can only use limits retention");
  }
  if (cfg.discard_new_per_subject === true) {
    if (cfg.discard !== "new") return invalid("discard new per subject requires discard new policy to be set");
    if (cfg.max_msgs_per_subject <= 0) return invalid("discard new per subject requires max msgs per subject > 0");
  }
  // Markers need TTLs (they carry one) and subject rollups (placing one removes what expired):
  // outside pedantic mode, which this broker does not offer, nats-server switches both on.
  const markerTtl = cfg.subject_delete_marker_ttl ?? 0;
  if (markerTtl > 0) {
    if (markerTtl < 1000 * MS) return invalid("subject delete marker TTL must be at least 1 second");
    cfg.allow_msg_ttl = true;
    if (!cfg.allow_rollup_hdrs) {
      cfg.allow_rollup_hdrs = true;
      cfg.deny_purge = false;
    }
  } else if (markerTtl < 0) {
    return invalid("subject delete marker TTL must not be negative");
  }
  // A schedule is kept as its subject's last message: rollups are switched on, as nats-server
  // does outside pedantic mode.
  if (cfg.allow_msg_schedules === true) {
    if (cfg.discard === "new") return invalid("message scheduling cannot use discard new");
    if (!cfg.allow_rollup_hdrs) {
      cfg.allow_rollup_hdrs = true;
      cfg.deny_purge = false;
    }
  }
  // checkStreamCfg, right after the schedule rules.
  if (cfg.persist_mode === "async") {
    if (cfg.storage !== "file") return invalid("async persist mode is only supported on file storage");
    if (cfg.num_replicas > 1) return invalid("async persist mode is not supported on replicated streams");
    if (cfg.allow_atomic === true) return invalid("async persist mode is not supported with atomic batch publish");
  }
  if (cfg.mirror_direct && cfg.mirror === undefined) return invalid("stream has no mirror but does have mirror direct");

  const subjectsGiven = cfg.subjects.length > 0;
  if (cfg.subjects.length === 0) {
    // A mirror or a stream with sources may have no subjects of its own.
    if (!sourcing) cfg.subjects = [cfg.name];
  } else {
    const seen = new Set<string>();
    for (let i = 0; i < cfg.subjects.length; i++) {
      const subject = cfg.subjects[i]!;
      if (!isValidSubject(subject)) return invalid("invalid subject");
      if (seen.has(subject)) return invalid("duplicate subjects detected");
      if (subject === ">") {
        if (cfg.no_ack !== true) return invalid("capturing all subjects requires no-ack to be true");
      }
      if (cfg.no_ack !== true) {
        for (const namespace of ["$JS.>", "$JSC.>", "$NRG.>"]) {
          if (subjectsCollide(subject, namespace) && !subjectIsSubsetMatch(subject, "$JS.EVENT.>")) {
            return invalid("subjects that overlap with jetstream api require no-ack to be true");
          }
        }
        if (subjectsCollide(subject, "$SYS.>") && !subjectIsSubsetMatch(subject, "$SYS.ACCOUNT.>")) {
          return invalid("subjects that overlap with system api require no-ack to be true");
        }
      }
      seen.add(subject);
    }
    // After every subject passed on its own (nats-server 2.9 reports a duplicate as such).
    for (let i = 0; i < cfg.subjects.length; i++) {
      const subject = cfg.subjects[i]!;
      for (const other of cfg.subjects.slice(i + 1)) {
        if (subjectsCollide(other, subject)) return invalid(`subject ${JSON.stringify(subject)} overlaps with ${JSON.stringify(other)}`);
      }
    }
  }
  const sourcingError = checkMirrorAndSources(cfg, subjectsGiven);
  if (sourcingError !== undefined) return { ok: false, error: sourcingError };
  const st = cfg.subject_transform;
  if (st !== undefined) {
    if (st.src !== "" && !isValidSubject(st.src)) return { ok: false, error: JsErrors.transformInvalidSource(`invalid subject ${st.src}`) };
    const refused = validateMapping(st.src, st.dest);
    if (refused !== undefined) return { ok: false, error: JsErrors.transformInvalidDestination(refused) };
  }
  if (cfg.republish !== undefined) {
    const refused = checkRePublish(cfg, cfg.republish);
    if (refused !== undefined) return invalid(refused);
  }
  // A single server holds one copy: nats-server in single-server mode refuses more, once the
  // configuration is otherwise valid.
  if (cfg.num_replicas > 1) return { ok: false, error: JsErrors.replicasNotSupported() };
  return { ok: true, value: cfg };
}

/**
 * stream.go `checkStreamCfg` on `republish`: an empty source is `>`; the destination may not
 * collide with the stream's subjects (a cycle); source and destination must make a transform.
 * Returns nats-server's reason when refused. Fills `src` in place.
 */
function checkRePublish(cfg: StreamConfig, republish: RePublish): string | undefined {
  if (republish.src === "") republish.src = ">";
  // No destination, no transform: accepted and nothing is republished (NewSubjectTransform).
  if (republish.dest === "") return undefined;
  // `>` to `>` would be a cycle, unless the stream's one subject is transformed: then it means
  // "republish under the transformed subjects".
  const st = cfg.subject_transform;
  if (republish.src === ">" && republish.dest === ">" && st !== undefined && cfg.subjects.length === 1 && st.src === cfg.subjects[0]) {
    republish.src = st.dest;
    republish.dest = st.dest;
  }
  if (cfg.subjects.some((subject) => isValidSubject(republish.dest) && subjectsCollide(republish.dest, subject))) {
    return "stream configuration for republish destination forms a cycle";
  }
  try {
    new SubjectTransform(republish.src, republish.dest);
  } catch (err) {
    if (!(err instanceof TransformError)) throw err;
    return `stream configuration for republish with transform from '${republish.src}' to '${republish.dest}' not valid`;
  }
  return undefined;
}

/** `configUpdateCheck`: what an update may not change. Returns the config to apply. */
export function checkStreamUpdate(old: StreamConfig, next: StreamConfig): Checked<StreamConfig> {
  const invalid = (why: string): Checked<StreamConfig> => ({ ok: false, error: JsErrors.invalidConfig(why) });
  const cfg: StreamConfig = { ...next };
  if (cfg.name !== old.name) return invalid("stream configuration name must match original");
  if (cfg.storage !== old.storage) return invalid("stream configuration update can not change storage type");
  // nats-server 2.9/2.10.0 refuse any change (later releases allow limits <-> interest).
  if (cfg.retention !== old.retention) return invalid("stream configuration update can not change retention policy");
  if (!cfg.sealed && old.sealed) return invalid("stream configuration update can not unseal a sealed stream");
  if (!cfg.deny_delete && old.deny_delete) return invalid("stream configuration update can not cancel deny message deletes");
  if (!cfg.deny_purge && old.deny_purge) return invalid("stream configuration update can not cancel deny purge");
  if (old.allow_msg_ttl === true && cfg.allow_msg_ttl !== true) return invalid("message TTL status can not be disabled");
  if (old.allow_msg_schedules === true && cfg.allow_msg_schedules !== true) return invalid("message schedules can not be disabled");
  if ((old.allow_msg_counter === true) !== (cfg.allow_msg_counter === true)) return invalid("stream configuration update can not change message counter setting");
  if (old.persist_mode !== cfg.persist_mode) return invalid("stream configuration update can not change persist mode");
  if (cfg.sealed) {
    // A sealed stream never changes again: nothing ages out, nothing is deleted or purged.
    cfg.max_age = 0;
    cfg.discard = "new";
    cfg.deny_delete = true;
    cfg.deny_purge = true;
    cfg.allow_rollup_hdrs = false;
  }
  // A mirror cannot change, nor can a stream become one; dropping the mirror promotes the
  // stream to an ordinary one (configUpdateCheck).
  if (cfg.mirror !== undefined && JSON.stringify(canonical(cfg.mirror)) !== JSON.stringify(canonical(old.mirror ?? null))) {
    return { ok: false, error: JsErrors.sourcing(10055, "stream mirror configuration can not be updated") };
  }
  // The first sequence only matters when the stream is created.
  if (old.first_seq !== undefined) cfg.first_seq = old.first_seq;
  else delete cfg.first_seq;
  return { ok: true, value: cfg };
}

/**
 * Whether a checked create request asks for what exists (STREAM.CREATE of an existing stream
 * is idempotent); the version keys of the metadata do not count (stream.go addStream's
 * copyStreamMetadata).
 */
export function sameConfig(existing: StreamConfig, requested: StreamConfig): boolean {
  const metadata = comparableMetadata(requested.metadata, existing.metadata);
  const { metadata: _ignored, ...rest } = requested;
  return JSON.stringify(canonical(existing)) === JSON.stringify(canonical({ ...rest, ...(metadata !== undefined && { metadata }) }));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value as Json)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** The limits the store enforces by itself, from a config. */
export function storeLimits(cfg: StreamConfig): StoreLimits {
  return {
    maxMsgs: cfg.max_msgs,
    maxBytes: cfg.max_bytes,
    maxAgeNs: cfg.max_age,
    maxMsgsPerSubject: cfg.max_msgs_per_subject,
    allowMsgTtl: cfg.allow_msg_ttl === true,
    subjectDeleteMarkers: (cfg.subject_delete_marker_ttl ?? 0) > 0,
    compression: cfg.compression,
  };
}
