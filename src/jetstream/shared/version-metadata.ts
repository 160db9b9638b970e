/**
 * The version keys nats-server 2.11+ puts in a stream's or consumer's `metadata`
 * (server/jetstream_versioning.go):
 * - `_nats.req.level`, the API level the asset's features need, is worked out on every create
 *   and update (and consumer PAUSE) from the request's config and stored with it, replacing any
 *   value the client sent (`setStaticStreamMetadata`, `setStaticConsumerMetadata`);
 * - `_nats.ver` and `_nats.level`, this server's version and API level, are never stored: a
 *   client's own are dropped, and they are added to copies of the config in the answers to
 *   STREAM.CREATE/UPDATE/INFO and CONSUMER.CREATE/INFO/RESET only (`setDynamic…Metadata`);
 *   STREAM.LIST and CONSUMER.LIST show the stored config.
 * A create of what exists compares configs with the stored `_nats.req.level` in place of the
 * request's (`copyStreamMetadata`, `copyConsumerMetadata`).
 */
import { SERVER_VERSION } from "../../base/constants.ts";
import { JS_API_LEVEL } from "./api-level.ts";
import { GO_ZERO_TIME } from "./rfc3339.ts";

export const REQUIRED_LEVEL_KEY = "_nats.req.level";
export const SERVER_VERSION_KEY = "_nats.ver";
export const SERVER_LEVEL_KEY = "_nats.level";

type Metadata = Record<string, string>;

/** The stream config fields the required level depends on. */
export interface StreamLevelFields {
  allow_msg_ttl?: boolean;
  subject_delete_marker_ttl?: number;
  allow_msg_counter?: boolean;
  allow_atomic?: boolean;
  allow_msg_schedules?: boolean;
  allow_batched?: boolean;
  persist_mode?: string;
}

/** The consumer config fields the required level depends on. */
export interface ConsumerLevelFields {
  pause_until?: string;
  priority_policy?: string;
  priority_timeout?: number;
  priority_groups?: readonly string[];
}

/**
 * The level a stream config needs: TTLs and delete markers 1 (2.11); counters, atomic batches
 * and schedules 2 (2.12), as does the async `persist_mode` (2.12); fast-ingest batches 4 (2.14).
 */
export function streamRequiredLevel(cfg: StreamLevelFields): number {
  if (cfg.allow_batched === true) return 4;
  if (cfg.allow_msg_counter === true || cfg.allow_atomic === true || cfg.allow_msg_schedules === true || cfg.persist_mode === "async") return 2;
  if (cfg.allow_msg_ttl === true || (cfg.subject_delete_marker_ttl ?? 0) > 0) return 1;
  return 0;
}

/**
 * The level a consumer config needs: a pause or priority groups 1 (2.11). nats-server 2.14's
 * `flow_control` ack policy needs 4; this broker does not have it.
 */
export function consumerRequiredLevel(cfg: ConsumerLevelFields): number {
  const paused = cfg.pause_until !== undefined && cfg.pause_until !== "" && cfg.pause_until !== GO_ZERO_TIME;
  const priority = (cfg.priority_policy !== undefined && cfg.priority_policy !== "" && cfg.priority_policy !== "none") || (cfg.priority_timeout ?? 0) !== 0 || (cfg.priority_groups?.length ?? 0) > 0;
  return paused || priority ? 1 : 0;
}

/** The metadata to store: the client's keys without the dynamic ones, plus the required level. */
export function staticMetadata(metadata: Metadata | undefined, level: number): Metadata {
  const out: Metadata = { ...metadata };
  delete out[SERVER_VERSION_KEY];
  delete out[SERVER_LEVEL_KEY];
  out[REQUIRED_LEVEL_KEY] = String(level);
  return sortedKeys(out);
}

/**
 * The request's metadata as a create of an existing asset compares it: without the dynamic
 * keys, with the stored `_nats.req.level` (or none, and no metadata once empty).
 */
export function comparableMetadata(metadata: Metadata | undefined, stored: Metadata | undefined): Metadata | undefined {
  const out: Metadata = { ...metadata };
  delete out[SERVER_VERSION_KEY];
  delete out[SERVER_LEVEL_KEY];
  const level = stored?.[REQUIRED_LEVEL_KEY];
  if (level !== undefined) out[REQUIRED_LEVEL_KEY] = level;
  else delete out[REQUIRED_LEVEL_KEY];
  return Object.keys(out).length === 0 ? undefined : out;
}

/** A copy of `info` whose config's metadata also has this server's version and API level. */
export function withServerVersion<T extends object>(info: T): T {
  const config = (info as { config?: { metadata?: Metadata } }).config;
  if (config === undefined) return info;
  const metadata: Metadata = { ...config.metadata, [SERVER_VERSION_KEY]: SERVER_VERSION, [SERVER_LEVEL_KEY]: String(JS_API_LEVEL) };
  return { ...info, config: { ...config, metadata: sortedKeys(metadata) } };
}

/** Go writes a map's keys sorted. */
function sortedKeys(metadata: Metadata): Metadata {
  const out: Metadata = {};
  for (const key of Object.keys(metadata).sort()) out[key] = metadata[key]!;
  return out;
}
