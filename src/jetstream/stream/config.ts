/**
 * A stream configuration from a STREAM.CREATE/UPDATE request: decoded with Go's rules (a
 * value of the wrong type is `invalid JSON`, unknown keys are ignored), then checked and
 * completed as nats-server's `checkStreamCfg` does, and compared with the old one on update
 * as `configUpdateCheck`. Every message text is nats-server's.
 */
import type { ApiError } from "../shared/contracts.ts";
import { JsErrors } from "../shared/api-errors.ts";
import { isValidSubject } from "../../subjects/subject.ts";
import { subjectIsSubsetMatch, subjectsCollide } from "../shared/subject-overlap.ts";
import type { DiscardPolicy, RePublish, RetentionPolicy, StorageType, StreamConfig } from "../shared/types.ts";
import { SubjectTransform, TransformError, validateMapping } from "../shared/subject-transform.ts";
import type { StoreLimits } from "../store/stream-store.ts";

export type Checked<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const MS = 1_000_000;
/** `StreamDefaultDuplicatesWindow`: two minutes. */
export const DEFAULT_DUPLICATE_WINDOW = 120_000 * MS;
/** `JSMaxNameLen`, `JSMaxDescriptionLen`, `JSMaxMetadataLen`. */
const MAX_NAME_LEN = 255;
const MAX_DESCRIPTION_LEN = 4 * 1024;
const MAX_METADATA_LEN = 128 * 1024;

/** Thrown inside decoding only, turned into `invalid JSON` at the edge. */
class DecodeError extends Error {}

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

/** Is this a name nats-server accepts for a stream (`isValidAssetName`)? */
export function isValidName(name: string): boolean {
  return name !== "" && !/[.*>\s\\/]/.test(name);
}

interface Decoded {
  config: StreamConfig;
  /** Set in the request at all (nats-server applies defaults to zero values). */
  hasMirrorOrSources: boolean;
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
    compression: oneOf<"none" | "s2">(obj, "compression", ["none", "s2"], "none"),
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
    ...(metadata !== undefined && Object.keys(metadata).length > 0 && { metadata }),
  };
  const present = (key: string): boolean => obj[key] !== undefined && obj[key] !== null;
  return {
    config,
    hasMirrorOrSources: present("mirror") || (Array.isArray(obj["sources"]) && obj["sources"].length > 0),
  };
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
    if (err instanceof DecodeError) return { ok: false, error: JsErrors.invalidJson() };
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
  if (decoded.hasMirrorOrSources) return invalid("mirrors and sources are not supported by this server");

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
  if (cfg.duplicate_window === 0) {
    cfg.duplicate_window = cfg.max_age !== 0 && cfg.max_age < DEFAULT_DUPLICATE_WINDOW ? cfg.max_age : DEFAULT_DUPLICATE_WINDOW;
  }
  if (cfg.duplicate_window < 0) return invalid("duplicates window can not be negative");
  if (cfg.max_age !== 0 && cfg.duplicate_window > cfg.max_age) return invalid("duplicates window can not be larger then max age");
  if (cfg.duplicate_window > 0 && cfg.duplicate_window < 100 * MS) return invalid("duplicates window needs to be >= 100ms");
  if (cfg.deny_purge && cfg.allow_rollup_hdrs) return invalid("roll-ups require the purge permission");
  if (cfg.discard_new_per_subject === true) {
    if (cfg.discard !== "new") return invalid("discard new per subject requires discard new policy to be set");
    if (cfg.max_msgs_per_subject <= 0) return invalid("discard new per subject requires max msgs per subject > 0");
  }
  if (cfg.mirror_direct) return invalid("stream has no mirror but does have mirror direct");

  if (cfg.subjects.length === 0) {
    cfg.subjects = [cfg.name];
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
  if (cfg.sealed) {
    // A sealed stream never changes again: nothing ages out, nothing is deleted or purged.
    cfg.max_age = 0;
    cfg.discard = "new";
    cfg.deny_delete = true;
    cfg.deny_purge = true;
    cfg.allow_rollup_hdrs = false;
  }
  // The first sequence only matters when the stream is created.
  if (old.first_seq !== undefined) cfg.first_seq = old.first_seq;
  else delete cfg.first_seq;
  return { ok: true, value: cfg };
}

/** Whether two checked configurations are the same (STREAM.CREATE of an existing stream is idempotent). */
export function sameConfig(a: StreamConfig, b: StreamConfig): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
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
  };
}
