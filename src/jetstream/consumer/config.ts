/**
 * Consumer configuration: the wire shape (nats-server's ConsumerConfig JSON, snake_case), its
 * validation and defaults (consumer.go setConsumerConfigDefaults + checkConsumerCfg), and which
 * fields an update may change (checkNewConsumerConfig). Pure functions: no timers, no I/O.
 */
import { ConsumerErrors } from "../shared/api-errors.ts";
import type { ApiError } from "../shared/contracts.ts";
import { isValidSubject, subjectHasWildcard } from "../../subjects/subject.ts";
import { parseNanos } from "../shared/rfc3339.ts";
import { subjectIsSubsetMatch } from "../shared/subject-overlap.ts";

export type DeliverPolicy = "all" | "last" | "new" | "by_start_sequence" | "by_start_time" | "last_per_subject";
export type AckPolicy = "none" | "all" | "explicit";
export type ReplayPolicy = "instant" | "original";
/** nats-server 2.11 `priority_policy` (2.12 adds `prioritized`); `none` is the omitted default. */
export type PriorityPolicy = "overflow" | "pinned_client" | "prioritized";

/** A consumer's configuration as nats-server reports it (durations in nanoseconds). */
export interface ConsumerConfig {
  durable_name?: string;
  name?: string;
  description?: string;
  deliver_policy: DeliverPolicy;
  opt_start_seq?: number;
  opt_start_time?: string;
  ack_policy: AckPolicy;
  ack_wait?: number;
  max_deliver?: number;
  backoff?: number[];
  filter_subject?: string;
  filter_subjects?: string[];
  replay_policy: ReplayPolicy;
  rate_limit_bps?: number;
  sample_freq?: string;
  max_waiting?: number;
  max_ack_pending?: number;
  flow_control?: boolean;
  headers_only?: boolean;
  max_batch?: number;
  max_expires?: number;
  max_bytes?: number;
  deliver_subject?: string;
  deliver_group?: string;
  idle_heartbeat?: number;
  inactive_threshold?: number;
  num_replicas: number;
  mem_storage?: boolean;
  /**
   * A server-internal consumer (a mirror's or a source's, consumer.go `Direct`): not listed,
   * not counted, not stored, not bound by work-queue rules; push and ephemeral only.
   */
  direct?: boolean;
  metadata?: Record<string, string>;
  /** RFC 3339; until then the consumer delivers nothing (nats-server 2.11). */
  pause_until?: string;
  priority_groups?: string[];
  priority_policy?: PriorityPolicy;
  /** Nanoseconds a pin lasts without a request from its client (`PinnedTTL`). */
  priority_timeout?: number;
}

export { ConsumerErrors };

/** nats-server defaults (consumer.go, jetstream_api.go). */
export const ConsumerDefaults = {
  /** JsAckWaitDefault. */
  ACK_WAIT_NS: 30_000_000_000,
  /** JSWaitQueueDefaultMax: pull requests waiting at once. */
  MAX_WAITING: 512,
  /** JsDefaultMaxAckPending. */
  MAX_ACK_PENDING: 1000,
  /** JsDeleteWaitTimeDefault: an ephemeral with no inactive_threshold is deleted after this long idle. */
  EPHEMERAL_INACTIVE_NS: 5_000_000_000,
  /** JsFlowControlMaxPending: bytes a push consumer may have outstanding under flow control. */
  FLOW_CONTROL_MAX_PENDING: 32 * 1024 * 1024,
  /** JSMaxNameLen. */
  MAX_NAME_LEN: 255,
  /** JSMaxDescriptionLen. */
  MAX_DESCRIPTION_LEN: 4 * 1024,
  /** JSMaxMetadataLen. */
  MAX_METADATA_LEN: 128 * 1024,
  /** JsDefaultPinnedTTL: how long a pinned client may go without asking before the pin moves. */
  PINNED_TTL_NS: 120_000_000_000,
} as const;

/** consumer.go validGroupName: a priority group's name (config and CONSUMER.UNPIN). */
export const VALID_GROUP_NAME = /^[a-zA-Z0-9/_=-]{1,16}$/;

/** The parts of a stream's config the consumer checks look at. */
export interface StreamConfigView {
  readonly name: string;
  readonly retention: "limits" | "interest" | "workqueue";
  readonly subjects?: readonly string[];
  readonly num_replicas?: number;
  readonly max_consumers?: number;
  readonly max_msgs_per_subject?: number;
  readonly consumer_limits?: { readonly max_ack_pending?: number; readonly inactive_threshold?: number };
}

const DELIVER_POLICIES: readonly string[] = ["all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"];
const ACK_POLICIES: readonly string[] = ["none", "all", "explicit"];
const REPLAY_POLICIES: readonly string[] = ["instant", "original"];
const PRIORITY_POLICIES: readonly string[] = ["none", "overflow", "pinned_client", "prioritized"];

type Parsed<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/**
 * Reads a client's config object as Go's json.Unmarshal would: a field of the wrong type is an
 * "invalid JSON" error, unknown fields are ignored, policies must be known names.
 */
export function parseConsumerConfig(raw: unknown): Parsed<ConsumerConfig> {
  if (raw === null || raw === undefined) return { ok: false, error: ConsumerErrors.configRequired() };
  if (typeof raw !== "object" || Array.isArray(raw)) return { ok: false, error: ConsumerErrors.invalidJson() };
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  const str = (key: string): string | undefined => {
    const v = r[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") problems.push(`json: cannot unmarshal ${typeof v} into Go struct field ConsumerConfig.${key} of type string`);
    return typeof v === "string" ? v : undefined;
  };
  const num = (key: string): number | undefined => {
    const v = r[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      problems.push(`json: cannot unmarshal ${typeof v} into Go struct field ConsumerConfig.${key} of type int64`);
      return undefined;
    }
    return v;
  };
  const bool = (key: string): boolean | undefined => {
    const v = r[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") problems.push(`json: cannot unmarshal ${typeof v} into Go struct field ConsumerConfig.${key} of type bool`);
    return typeof v === "boolean" ? v : undefined;
  };
  const policy = (key: string, allowed: readonly string[], fallback: string): string => {
    const v = r[key];
    if (v === undefined || v === null || v === "") return fallback;
    if (typeof v !== "string" || !allowed.includes(v)) {
      problems.push(`can not unmarshal ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };
  const deliverPolicy = policy("deliver_policy", DELIVER_POLICIES, "all") as DeliverPolicy;
  const ackPolicy = policy("ack_policy", ACK_POLICIES, "none") as AckPolicy;
  const replayPolicy = policy("replay_policy", REPLAY_POLICIES, "instant") as ReplayPolicy;
  const config: ConsumerConfig = { deliver_policy: deliverPolicy, ack_policy: ackPolicy, replay_policy: replayPolicy, num_replicas: num("num_replicas") ?? 0 };
  const setStr = (key: keyof ConsumerConfig): void => {
    const v = str(key);
    if (v !== undefined && v !== "") (config as unknown as Record<string, unknown>)[key] = v;
  };
  const setNum = (key: keyof ConsumerConfig): void => {
    const v = num(key);
    if (v !== undefined && v !== 0) (config as unknown as Record<string, unknown>)[key] = v;
  };
  const setBool = (key: keyof ConsumerConfig): void => {
    if (bool(key) === true) (config as unknown as Record<string, unknown>)[key] = true;
  };
  setStr("durable_name");
  setStr("name");
  setStr("description");
  setNum("opt_start_seq");
  setStr("opt_start_time");
  setNum("ack_wait");
  setNum("max_deliver");
  setStr("filter_subject");
  setNum("rate_limit_bps");
  setStr("sample_freq");
  setNum("max_waiting");
  setNum("max_ack_pending");
  setBool("flow_control");
  setBool("headers_only");
  setNum("max_batch");
  setNum("max_expires");
  setNum("max_bytes");
  setStr("deliver_subject");
  setStr("deliver_group");
  setNum("idle_heartbeat");
  setNum("inactive_threshold");
  setBool("mem_storage");
  setBool("direct");
  setStr("pause_until");
  setNum("priority_timeout");
  const priorityPolicy = policy("priority_policy", PRIORITY_POLICIES, "none");
  if (priorityPolicy !== "none") config.priority_policy = priorityPolicy as PriorityPolicy;
  for (const key of ["backoff", "filter_subjects", "priority_groups"] as const) {
    const v = r[key];
    if (v === undefined || v === null) continue;
    const itemType = key === "backoff" ? "number" : "string";
    if (!Array.isArray(v) || v.some((x) => typeof x !== itemType || (itemType === "number" && !Number.isInteger(x)))) {
      problems.push(`json: cannot unmarshal into Go struct field ConsumerConfig.${key}`);
      continue;
    }
    if (v.length > 0) (config as unknown as Record<string, unknown>)[key] = [...(v as unknown[])];
  }
  const metadata = r["metadata"];
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== "object" || Array.isArray(metadata) || Object.values(metadata).some((x) => typeof x !== "string")) {
      problems.push("json: cannot unmarshal into Go struct field ConsumerConfig.metadata of type map[string]string");
    } else if (Object.keys(metadata).length > 0) {
      config.metadata = { ...(metadata as Record<string, string>) };
    }
  }
  // Go decodes pause_until into a time.Time: anything but RFC 3339 is a decoding error.
  if (config.pause_until !== undefined && parseNanos(config.pause_until) === undefined) problems.push("pause_until");
  if (config.opt_start_time !== undefined && parseNanos(config.opt_start_time) === undefined) {
    problems.push(`parsing time ${JSON.stringify(config.opt_start_time)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  }
  if (problems.length > 0) return { ok: false, error: ConsumerErrors.invalidJson() };
  return { ok: true, value: config };
}

/** Is `config` a durable (has `durable_name`)? */
export function isDurable(config: ConsumerConfig): boolean {
  return config.durable_name !== undefined && config.durable_name !== "";
}

/** nats-server's isValidAssetName: no whitespace, `.`, `*`, `>`, or path separators. */
export function isValidConsumerName(name: string): boolean {
  return name !== "" && !/[ \t\r\n\f.*>\\/]/.test(name);
}

/** The config's filters as one list (filter_subject or filter_subjects). */
export function filtersOf(config: ConsumerConfig): string[] {
  if (config.filter_subjects !== undefined && config.filter_subjects.length > 0) return [...config.filter_subjects];
  if (config.filter_subject !== undefined && config.filter_subject !== "") return [config.filter_subject];
  return [];
}

/**
 * Fills nats-server's defaults in place (setConsumerConfigDefaults). With `pedantic` (the create
 * request's `pedantic: true`) a value the server would have to correct or fill from the stream's
 * limits is refused instead (`400 10157 pedantic mode: …`), in nats-server's order.
 */
export function applyConsumerDefaults(config: ConsumerConfig, stream: StreamConfigView, pedantic = false): ApiError | undefined {
  if (config.max_deliver === undefined || config.max_deliver === 0 || config.max_deliver < -1) {
    if (pedantic && (config.max_deliver ?? 0) < -1) return ConsumerErrors.pedantic("max_deliver must be set to -1");
    config.max_deliver = -1;
  }
  if (config.max_waiting !== undefined && config.max_waiting < 0) {
    if (pedantic) return ConsumerErrors.pedantic("max_waiting must not be negative");
    delete config.max_waiting;
  }
  if (config.max_ack_pending !== undefined && config.max_ack_pending < -1) {
    if (pedantic) return ConsumerErrors.pedantic("max_ack_pending must be set to -1");
    config.max_ack_pending = -1;
  }
  for (const key of ["max_batch", "max_expires", "max_bytes", "idle_heartbeat", "inactive_threshold", "priority_timeout"] as const) {
    if (config[key] !== undefined && config[key]! < 0) {
      if (pedantic) return ConsumerErrors.pedantic(`${key} must not be negative`);
      delete config[key];
    }
  }
  const push = config.deliver_subject !== undefined;
  if (!push && config.max_waiting === undefined) config.max_waiting = ConsumerDefaults.MAX_WAITING;
  if (config.ack_wait === undefined && (config.ack_policy === "explicit" || config.ack_policy === "all")) config.ack_wait = ConsumerDefaults.ACK_WAIT_NS;
  if (config.backoff !== undefined && config.backoff.length > 0) {
    if (pedantic && config.ack_wait !== config.backoff[0]) return ConsumerErrors.pedantic("first backoff value has to equal batch AckWait");
    config.ack_wait = config.backoff[0]!;
  }
  const limits = stream.consumer_limits;
  if (config.max_ack_pending === undefined && (limits?.max_ack_pending ?? 0) > 0) {
    if (pedantic) return ConsumerErrors.pedantic("max_ack_pending must be set if it's configured in stream limits");
    config.max_ack_pending = limits!.max_ack_pending!;
  }
  if (config.inactive_threshold === undefined && (limits?.inactive_threshold ?? 0) > 0) {
    if (pedantic) return ConsumerErrors.pedantic("inactive_threshold must be set if it's configured in stream limits");
    config.inactive_threshold = limits!.inactive_threshold!;
  }
  if (config.max_ack_pending === undefined && config.ack_policy !== "none") config.max_ack_pending = ConsumerDefaults.MAX_ACK_PENDING;
  if (config.priority_policy === "pinned_client" && config.priority_timeout === undefined) config.priority_timeout = ConsumerDefaults.PINNED_TTL_NS;
  // Ephemerals always have an inactivity threshold (consumer.go updateInactiveThreshold).
  if (!isDurable(config) && (config.inactive_threshold === undefined || config.inactive_threshold <= 0)) {
    config.inactive_threshold = ConsumerDefaults.EPHEMERAL_INACTIVE_NS;
  }
  return undefined;
}

/** nats-server's checkConsumerCfg for a single server: undefined when the config is acceptable. */
export function checkConsumerConfig(config: ConsumerConfig, stream: StreamConfigView): ApiError | undefined {
  if (config.name !== undefined && !isValidConsumerName(config.name)) {
    return ConsumerErrors.invalidConfig("consumer name can not contain '.', '*', '>', '\\', '/'");
  }
  if (config.durable_name !== undefined && !isValidConsumerName(config.durable_name)) {
    return ConsumerErrors.invalidConfig("consumer durable name can not contain '.', '*', '>', '\\', '/'");
  }
  if (config.num_replicas > 0 && config.num_replicas > (stream.num_replicas ?? 1)) return ConsumerErrors.replicasExceedStream();
  if (config.num_replicas < 0) return ConsumerErrors.replicasNegative();
  for (const b of config.backoff ?? []) if (b < 0) return ConsumerErrors.backoffNegative();
  if ((config.ack_wait ?? 0) < 0) return ConsumerErrors.ackWaitNegative();
  const backoffs = config.backoff?.length ?? 0;
  if (backoffs > 0 && config.max_deliver !== -1 && backoffs > (config.max_deliver ?? -1)) return ConsumerErrors.maxDeliverBackoff();
  if ((config.description?.length ?? 0) > ConsumerDefaults.MAX_DESCRIPTION_LEN) return ConsumerErrors.descriptionTooLong();

  if (config.deliver_subject !== undefined) {
    const ds = config.deliver_subject;
    if (subjectHasWildcard(ds)) return ConsumerErrors.deliverToWildcards();
    if (!isValidSubject(ds)) return ConsumerErrors.invalidDeliverSubject();
    if ((stream.subjects ?? []).some((s) => subjectIsSubsetMatch(ds, s))) return ConsumerErrors.deliverCycle();
    if ((config.max_waiting ?? 0) !== 0) return ConsumerErrors.pushMaxWaiting();
    if ((config.max_ack_pending ?? 0) > 0 && config.ack_policy === "none") return ConsumerErrors.maxPendingAckPolicyRequired();
    if ((config.idle_heartbeat ?? 0) > 0 && config.idle_heartbeat! < 100_000_000) return ConsumerErrors.smallHeartbeat();
  } else {
    if (config.ack_policy === "none" && stream.retention === "workqueue") return ConsumerErrors.pullRequiresAck();
    if ((config.rate_limit_bps ?? 0) > 0) return ConsumerErrors.pullWithRateLimit();
    if ((config.max_waiting ?? 0) < 0) return ConsumerErrors.maxWaitingNegative();
    if ((config.idle_heartbeat ?? 0) > 0) return ConsumerErrors.heartbeatRequiresPush();
    if (config.flow_control === true) return ConsumerErrors.flowControlRequiresPush();
    if ((config.max_batch ?? 0) < 0) return ConsumerErrors.maxRequestBatchNegative();
    if ((config.max_expires ?? 0) !== 0 && config.max_expires! < 1_000_000) return ConsumerErrors.maxRequestExpiresTooSmall();
  }
  const limits = stream.consumer_limits;
  if ((limits?.max_ack_pending ?? 0) > 0 && (config.max_ack_pending ?? 0) > limits!.max_ack_pending!) {
    return ConsumerErrors.maxPendingAckExcess(limits!.max_ack_pending!);
  }
  if ((limits?.inactive_threshold ?? 0) > 0 && (config.inactive_threshold ?? 0) > limits!.inactive_threshold!) {
    return ConsumerErrors.inactiveThresholdExcess(goDuration(limits!.inactive_threshold!));
  }
  if (config.filter_subject !== undefined && (config.filter_subjects?.length ?? 0) > 0) return ConsumerErrors.duplicateFilterSubjects();
  if (config.filter_subject !== undefined && !isValidSubject(config.filter_subject)) return ConsumerErrors.invalidConfig("invalid subject");
  for (const f of config.filter_subjects ?? []) if (f === "") return ConsumerErrors.emptyFilter();
  const filters = filtersOf(config);
  for (let i = 0; i < filters.length; i++) {
    if (!isValidSubject(filters[i]!)) return ConsumerErrors.invalidConfig("invalid subject");
    for (let j = 0; j < filters.length; j++) {
      if (i !== j && subjectIsSubsetMatch(filters[i]!, filters[j]!)) return ConsumerErrors.overlappingFilterSubjects();
    }
  }
  // Each filter must lie inside the stream's subjects, or (with wildcards) cover one of them
  // (nats-server 2.9 validFilteredSubject; a stream without subjects takes anything).
  const streamSubjects = stream.subjects ?? [];
  if (streamSubjects.length > 0) {
    for (const f of filters) {
      const wild = subjectHasWildcard(f);
      if (!streamSubjects.some((s) => subjectIsSubsetMatch(f, s) || (wild && subjectIsSubsetMatch(s, f)))) return ConsumerErrors.filterNotSubset();
    }
  }
  const policyError = checkDeliverPolicy(config, filters.length > 0);
  if (policyError !== undefined) return ConsumerErrors.invalidPolicy(policyError);
  if (config.sample_freq !== undefined) {
    const s = config.sample_freq.replace(/%$/, "");
    if (!/^\d+$/.test(s)) return ConsumerErrors.invalidSampling(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  if (config.flow_control === true && (config.idle_heartbeat ?? 0) === 0) return ConsumerErrors.flowControlNeedsHeartbeats();
  if (config.durable_name !== undefined && config.name !== undefined && config.name !== config.durable_name) return ConsumerErrors.durableAndNameMismatch();
  let metadataLength = 0;
  for (const [k, v] of Object.entries(config.metadata ?? {})) metadataLength += k.length + v.length;
  if (metadataLength > ConsumerDefaults.MAX_METADATA_LEN) return ConsumerErrors.metadataTooLong();
  if (config.priority_policy !== undefined) {
    if (config.deliver_subject !== undefined) return ConsumerErrors.pushWithPriorityGroup();
    if ((config.priority_groups?.length ?? 0) === 0) return ConsumerErrors.priorityPolicyWithoutGroup();
    for (const group of config.priority_groups!) {
      if (group === "") return ConsumerErrors.emptyGroupName();
      if (!VALID_GROUP_NAME.test(group)) return ConsumerErrors.invalidGroupName();
    }
  } else {
    if ((config.priority_groups?.length ?? 0) > 0) return ConsumerErrors.priorityGroupWithPolicyNone();
    if ((config.priority_timeout ?? 0) > 0) return ConsumerErrors.pinnedTtlWithPolicyNone();
  }
  return undefined;
}

function checkDeliverPolicy(config: ConsumerConfig, filtered: boolean): string | undefined {
  const seq = (config.opt_start_seq ?? 0) > 0;
  const time = config.opt_start_time !== undefined;
  const badStart = (dp: string, start: string): string => `consumer delivery policy is deliver ${dp}, but optional start ${start} is also set`;
  const notSet = (dp: string, what: string): string => `consumer delivery policy is deliver ${dp}, but optional ${what} is not set`;
  switch (config.deliver_policy) {
    case "all":
    case "last":
    case "new":
      if (seq) return badStart(config.deliver_policy, "sequence");
      if (time) return badStart(config.deliver_policy, "time");
      return undefined;
    case "last_per_subject":
      if (seq) return badStart("last per subject", "sequence");
      if (time) return badStart("last per subject", "time");
      if (!filtered) return notSet("last per subject", "filter subject");
      return undefined;
    case "by_start_sequence":
      if (!seq) return notSet("by start sequence", "start sequence");
      if (time) return badStart("by start sequence", "time");
      return undefined;
    case "by_start_time":
      if (!time) return notSet("by start time", "start time");
      if (seq) return badStart("by start time", "start sequence");
      return undefined;
  }
}

/**
 * Why an existing consumer cannot take `next` (consumer.go checkNewConsumerConfig), or undefined.
 * `deliverSubjectBound` says whether the old deliver subject still has a subscriber.
 */
export function checkConsumerUpdate(current: ConsumerConfig, next: ConsumerConfig, deliverSubjectBound: boolean): ApiError | string | undefined {
  if (configsEqual(current, next)) return undefined;
  if (current.deliver_policy !== next.deliver_policy) return "deliver policy can not be updated";
  if ((current.mem_storage ?? false) !== (next.mem_storage ?? false)) return "storage type can not be updated";
  if ((current.opt_start_seq ?? 0) !== (next.opt_start_seq ?? 0)) return "start sequence can not be updated";
  if (startTimeNs(current) !== startTimeNs(next)) return "start time can not be updated";
  if (current.ack_policy !== next.ack_policy) return "ack policy can not be updated";
  if (current.replay_policy !== next.replay_policy) return "replay policy can not be updated";
  if ((current.idle_heartbeat ?? 0) !== (next.idle_heartbeat ?? 0)) return "heart beats can not be updated";
  if ((current.flow_control ?? false) !== (next.flow_control ?? false)) return "flow control can not be updated";
  if (current.deliver_subject !== next.deliver_subject) {
    if (current.deliver_subject === undefined) return "can not update pull consumer to push based";
    if (next.deliver_subject === undefined) return "can not update push consumer to pull based";
    if (deliverSubjectBound) return ConsumerErrors.nameExists();
  }
  if ((current.max_waiting ?? 0) !== (next.max_waiting ?? 0)) return "max waiting can not be updated";
  const backoffs = next.backoff?.length ?? 0;
  if (backoffs > 0 && next.max_deliver !== -1 && backoffs > (next.max_deliver ?? -1)) return ConsumerErrors.maxDeliverBackoff();
  return undefined;
}

function startTimeNs(config: ConsumerConfig): bigint | undefined {
  return config.opt_start_time === undefined ? undefined : parseNanos(config.opt_start_time);
}

/** Deep equality of two configs as JSON values (Go's reflect.DeepEqual on the struct). */
export function configsEqual(a: ConsumerConfig, b: ConsumerConfig): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The config in nats-server's JSON field order, empty (omitempty) fields left out. */
export function configToJson(config: ConsumerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const order: ReadonlyArray<keyof ConsumerConfig> = [
    "durable_name", "name", "description", "deliver_policy", "opt_start_seq", "opt_start_time", "ack_policy", "ack_wait",
    "max_deliver", "backoff", "filter_subject", "filter_subjects", "replay_policy", "rate_limit_bps", "sample_freq",
    "max_waiting", "max_ack_pending", "flow_control", "headers_only", "max_batch", "max_expires", "max_bytes",
    "deliver_subject", "deliver_group", "idle_heartbeat", "inactive_threshold", "num_replicas", "mem_storage", "direct", "metadata", "pause_until",
    "priority_groups", "priority_policy", "priority_timeout",
  ];
  for (const key of order) {
    const v = config[key];
    if (v === undefined) continue;
    if (key !== "num_replicas" && (v === 0 || v === "" || v === false)) continue;
    out[key] = Array.isArray(v) ? [...v] : typeof v === "object" ? { ...v } : v;
  }
  return out;
}

/** A nanosecond count as Go prints a time.Duration (`5s`, `1m30s`, `250ms`). */
export function goDuration(ns: number): string {
  if (ns === 0) return "0s";
  if (ns < 1_000) return `${ns}ns`;
  if (ns < 1_000_000) return `${trim(ns / 1_000)}µs`;
  if (ns < 1_000_000_000) return `${trim(ns / 1_000_000)}ms`;
  let seconds = ns / 1e9;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  let out = "";
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${trim(seconds)}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}
