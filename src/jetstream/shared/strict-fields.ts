/**
 * nats-server 2.12's strict API validation (jetstream_api.go `unmarshalRequest`, on by
 * default; `jetstream { strict: false }` turns it off): a request body with a field its Go
 * struct does not have is refused with `400 10025 invalid JSON: json: unknown field "<name>"`,
 * nested objects included, matching names without regard to case as Go's decoder does. The
 * field sets are those of nats-server 2.14's structs (stream.go `StreamConfig` and what it
 * holds, consumer.go `ConsumerConfig` and `CreateConsumerRequest`, jetstream_api.go's request
 * structs). nats-server decodes these requests so; DIRECT.GET, CONSUMER.MSG.NEXT, RESET and
 * UNPIN bodies go through a plain `json.Unmarshal`, which takes any field.
 */

/** A field's value: anything (a scalar, a map of strings), an object, or an array of objects. */
type Field = true | Schema | readonly [Schema];
export interface Schema {
  readonly [lowerCaseName: string]: Field;
}

function fields(names: string, nested: Record<string, Field> = {}): Schema {
  const out: Record<string, Field> = {};
  for (const name of names.split(/\s+/).filter((n) => n !== "")) out[name] = true;
  return { ...out, ...nested };
}

const TRANSFORM = fields("src dest");
const EXTERNAL = fields("api deliver");
const SOURCE = fields("name opt_start_seq opt_start_time filter_subject consumer", { subject_transforms: [TRANSFORM], external: EXTERNAL });

const STREAM_CONFIG = fields(
  `name description subjects retention max_consumers max_msgs max_bytes max_age max_msgs_per_subject max_msg_size
   discard storage num_replicas no_ack duplicate_window compression first_seq allow_direct mirror_direct
   discard_new_per_subject sealed deny_delete deny_purge allow_rollup_hdrs allow_msg_ttl subject_delete_marker_ttl
   allow_msg_counter allow_atomic allow_msg_schedules persist_mode allow_batched metadata`,
  {
    placement: fields("cluster tags preferred"),
    mirror: SOURCE,
    sources: [SOURCE],
    subject_transform: TRANSFORM,
    republish: fields("src dest headers_only"),
    consumer_limits: fields("inactive_threshold max_ack_pending"),
  },
);

/** STREAM.CREATE and STREAM.UPDATE: the config, and `pedantic` beside it. */
export const STREAM_CONFIG_REQUEST: Schema = { ...STREAM_CONFIG, pedantic: true };

const CONSUMER_CONFIG = fields(
  `durable_name name description deliver_policy opt_start_seq opt_start_time ack_policy ack_wait max_deliver backoff
   filter_subject filter_subjects replay_policy rate_limit_bps sample_freq max_waiting max_ack_pending flow_control
   headers_only max_batch max_expires max_bytes deliver_subject deliver_group idle_heartbeat inactive_threshold
   num_replicas mem_storage direct sourcing metadata pause_until priority_groups priority_policy priority_timeout`,
);

/** CONSUMER.CREATE (and DURABLE.CREATE). */
export const CONSUMER_CREATE_REQUEST: Schema = fields("stream_name action pedantic", { config: CONSUMER_CONFIG });

/** STREAM.NAMES and STREAM.LIST (`JSApiStreamNamesRequest`, `JSApiStreamListRequest`). */
export const STREAM_NAMES_REQUEST: Schema = fields("offset subject");
/** STREAM.INFO (`JSApiStreamInfoRequest`). */
export const STREAM_INFO_REQUEST: Schema = fields("offset deleted_details subjects_filter");
/** STREAM.PURGE (`JSApiStreamPurgeRequest`). */
export const STREAM_PURGE_REQUEST: Schema = fields("seq filter keep");
/** STREAM.MSG.GET (`JSApiMsgGetRequest`, whose batch fields MSG.GET decodes and then refuses). */
export const MSG_GET_REQUEST: Schema = fields("seq last_by_subj next_by_subj batch max_bytes start_time multi_last up_to_seq up_to_time no_hdr");
/** STREAM.MSG.DELETE (`JSApiMsgDeleteRequest`). */
export const MSG_DELETE_REQUEST: Schema = fields("seq no_erase");
/** CONSUMER.NAMES and CONSUMER.LIST (`JSApiConsumersRequest`). */
export const CONSUMERS_REQUEST: Schema = fields("offset");
/** CONSUMER.PAUSE (`JSApiConsumerPauseRequest`). */
export const CONSUMER_PAUSE_REQUEST: Schema = fields("pause_until");

/**
 * A request object as nats-server's `unmarshalRequest` reads it: field names matched without
 * regard to case, and under `strict` the first unknown field refused (its name returned).
 */
export function decodeFields(value: Record<string, unknown>, schema: Schema, strict: boolean): { fields: Record<string, unknown> } | { unknown: string } {
  const unknown = strict ? unknownField(value, schema) : undefined;
  if (unknown !== undefined) return { unknown };
  return { fields: canonicalFields(value, schema) as Record<string, unknown> };
}

/** The first field of `value` (depth first, in document order) that `schema` does not have. */
export function unknownField(value: unknown, schema: Schema): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
    const field = schema[name.toLowerCase()];
    if (field === undefined) return name;
    if (field === true || inner === null) continue;
    if (Array.isArray(field)) {
      if (!Array.isArray(inner)) continue;
      for (const item of inner) {
        const found = unknownField(item, (field as readonly [Schema])[0]);
        if (found !== undefined) return found;
      }
      continue;
    }
    const found = unknownField(inner, field as Schema);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * `value` with each known field under its own name (`Name` → `name`), nested objects included:
 * Go's decoder matches field names without regard to case, so nats-server reads them so.
 * Unknown fields and the insides of free-form values (`metadata`) are left as they are.
 */
export function canonicalFields(value: unknown, schema: Schema): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
    const key = name.toLowerCase();
    const field = schema[key];
    if (field === undefined) {
      out[name] = inner;
      continue;
    }
    if (field === true) out[key] = inner;
    else if (Array.isArray(field)) out[key] = Array.isArray(inner) ? inner.map((item) => canonicalFields(item, (field as readonly [Schema])[0])) : inner;
    else out[key] = canonicalFields(inner, field as Schema);
  }
  return out;
}
