/**
 * JetStream's JSON shapes, named and ordered as nats-server writes them (server/stream.go
 * `StreamConfig`, `StreamInfo`, `StreamState`; server/jetstream_api.go responses). Wire JSON
 * keeps nats-server's snake_case names; durations are nanoseconds, times RFC 3339 with ns.
 */
export type RetentionPolicy = "limits" | "interest" | "workqueue";
export type DiscardPolicy = "old" | "new";
export type StorageType = "file" | "memory";

/** A stream's configuration with every default filled, as STREAM.INFO echoes it. */
export type StreamConfig = {
  name: string;
  description?: string;
  subjects: string[];
  retention: RetentionPolicy;
  max_consumers: number;
  max_msgs: number;
  max_bytes: number;
  /** Nanoseconds; 0 = unlimited. */
  max_age: number;
  max_msgs_per_subject: number;
  max_msg_size: number;
  discard: DiscardPolicy;
  storage: StorageType;
  num_replicas: number;
  no_ack?: boolean;
  /** Nanoseconds. */
  duplicate_window: number;
  /** A copy of another stream, sequence for sequence (no subjects of its own). */
  mirror?: StreamSource;
  /** Streams whose messages this one takes in too. */
  sources?: StreamSource[];
  compression: "none" | "s2";
  first_seq?: number;
  /** Rewrites the subject of each captured message before it is stored (stream.go `SubjectTransformConfig`). */
  subject_transform?: { src: string; dest: string };
  /** Republish stored messages (stream.go `RePublish`): `src` filled with `>` when left out. */
  republish?: RePublish;
  allow_direct: boolean;
  mirror_direct: boolean;
  discard_new_per_subject?: boolean;
  sealed: boolean;
  deny_delete: boolean;
  deny_purge: boolean;
  allow_rollup_hdrs: boolean;
  consumer_limits: { inactive_threshold?: number; max_ack_pending?: number };
  /** `Nats-TTL` headers are honoured (nats-server 2.11); once on, it stays on. */
  allow_msg_ttl?: boolean;
  /** Nanoseconds a subject delete marker lives (nats-server 2.11); markers are placed only when set. */
  subject_delete_marker_ttl?: number;
  /** A counter stream (nats-server 2.12): `Nats-Incr` publishes, `{"val":"N"}` bodies. */
  allow_msg_counter?: boolean;
  /** Atomic batch publish (nats-server 2.12): `Nats-Batch-Id` messages stored all or nothing. */
  allow_atomic?: boolean;
  /** Scheduled messages (nats-server 2.12): `Nats-Schedule` publishes fire copies later; once on, it stays on. */
  allow_msg_schedules?: boolean;
  /** Fast-ingest batches (nats-server 2.14, API level 4): `.$FI` replies with flow-control acks. */
  allow_batched?: boolean;
  /**
   * nats-server 2.12's `persist_mode`: "async" lets nats-server acknowledge before its file
   * store flushes; absent is "default". Here a file stream writes each message before its
   * PubAck either way, so "async" is kept and checked but loses nothing.
   */
  persist_mode?: "async";
  metadata?: Record<string, string>;
};

/** A subject transform of a mirror or source (stream.go `SubjectTransformConfig`). */
export type SubjectTransformConfig = { src: string; dest: string };

/** Where a mirror or a source reads from (stream.go `StreamSource`). */
export type StreamSource = {
  name: string;
  opt_start_seq?: number;
  /** RFC 3339. */
  opt_start_time?: string;
  filter_subject?: string;
  subject_transforms?: SubjectTransformConfig[];
  /** Another JetStream (domain or account): its API prefix and deliver prefix. */
  external?: { api: string; deliver?: string };
};

/** STREAM.INFO `mirror` and `sources[]` (stream.go `StreamSourceInfo`). */
export type StreamSourceInfo = {
  name: string;
  external?: { api: string; deliver?: string };
  lag: number;
  /** Nanoseconds since it was last heard from; -1 when never. */
  active: number;
  error?: { code: number; err_code: number; description: string };
  filter_subject?: string;
  subject_transforms?: SubjectTransformConfig[];
};

/** A stream's `republish` (stream.go `RePublish`). */
export type RePublish = {
  src: string;
  dest: string;
  headers_only?: boolean;
};

/** STREAM.INFO `state`. */
export type StreamStateJson = {
  messages: number;
  bytes: number;
  first_seq: number;
  first_ts: string;
  last_seq: number;
  last_ts: string;
  num_subjects?: number;
  subjects?: Record<string, number>;
  num_deleted?: number;
  deleted?: number[];
  consumer_count: number;
};

/** What STREAM.INFO, STREAM.CREATE and STREAM.LIST report for one stream. */
export type StreamInfo = {
  config: StreamConfig;
  created: string;
  state: StreamStateJson;
  domain?: string;
  mirror?: StreamSourceInfo;
  sources?: StreamSourceInfo[];
  ts: string;
};

/** STREAM.MSG.GET's `message`. */
export type StoredMsgJson = {
  subject: string;
  seq: number;
  /** Base64 of the raw header block. */
  hdrs?: string;
  /** Base64 of the payload. */
  data?: string;
  time: string;
};

/** nats-server's response type strings (server/jetstream_api.go `JSApi*ResponseType`). */
export const ResponseType = {
  AccountInfo: "io.nats.jetstream.api.v1.account_info_response",
  StreamCreate: "io.nats.jetstream.api.v1.stream_create_response",
  StreamUpdate: "io.nats.jetstream.api.v1.stream_update_response",
  StreamInfo: "io.nats.jetstream.api.v1.stream_info_response",
  StreamDelete: "io.nats.jetstream.api.v1.stream_delete_response",
  StreamPurge: "io.nats.jetstream.api.v1.stream_purge_response",
  StreamNames: "io.nats.jetstream.api.v1.stream_names_response",
  StreamList: "io.nats.jetstream.api.v1.stream_list_response",
  MsgGet: "io.nats.jetstream.api.v1.stream_msg_get_response",
  MsgDelete: "io.nats.jetstream.api.v1.stream_msg_delete_response",
} as const;

/** Page sizes of STREAM.NAMES and STREAM.LIST (`JSApiNamesLimit`, `JSApiListLimit`). */
export const NAMES_LIMIT = 1024;
export const LIST_LIMIT = 256;
/** Most subjects STREAM.INFO details at once (`JSMaxSubjectDetails`). */
export const MAX_SUBJECT_DETAILS = 100_000;
