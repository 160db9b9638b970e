/**
 * The storage seam of JetStream: a stream's messages and its consumers' state live behind
 * these interfaces, so the stream and consumer logic never touches `fs`. A memory store serves
 * tests and `storage: "memory"` streams; a file store serves `storage: "file"`. Both pass one
 * shared test suite (test/jetstream-store/).
 *
 * Shapes follow nats-server's store.go: the store owns sequences, enforces the stream's
 * limits (discard old), and reports what it removed; the stream decides policy (discard new,
 * dedup, expected headers, retention) before calling `store()`.
 */

/** One stored message. `headers` is the raw header block (`NATS/1.0\r\n…\r\n\r\n`), or undefined. */
export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly headers: Uint8Array | undefined;
  readonly data: Uint8Array;
  /** Nanoseconds since the Unix epoch, as nats-server records it. */
  readonly timeNs: bigint;
}

/** The limits a store enforces itself on every append and on a timer (max_age). -1 / 0 = unlimited as in nats-server. */
export interface StoreLimits {
  /** -1 (or 0) = unlimited. */
  readonly maxMsgs: number;
  /** -1 (or 0) = unlimited. */
  readonly maxBytes: number;
  /** Nanoseconds; 0 = unlimited. */
  readonly maxAgeNs: number;
  /** -1 or 0 = unlimited. */
  readonly maxMsgsPerSubject: number;
  /** Honour `Nats-TTL` headers (stream `allow_msg_ttl`): such messages expire on their own, "never" ones outlive max_age. */
  readonly allowMsgTtl?: boolean;
  /**
   * Stream `subject_delete_marker_ttl` is set: a message that expires as the last of its subject
   * is handed to the marker handler (see `onSubjectDeleteMarker`) instead of only removed.
   */
  readonly subjectDeleteMarkers?: boolean;
  /**
   * Stream `compression` (not a limit, but a setting the store applies on open and update like
   * the limits): the file store compresses sealed segments with `s2`; the memory store, as
   * nats-server's, stores as is. Default `none`.
   */
  readonly compression?: StoreCompression;
}

/** How the file store keeps message data at rest, as nats-server's StoreCompression. */
export type StoreCompression = "none" | "s2";

/** What STREAM.INFO's `state` reports (the store computes it). */
export interface StoreState {
  messages: number;
  /** nats-server's accounting: memory store counts subject + header + data + 16 bytes a message; file store 22 + subject + header + data + 8 (with headers, +4 more). */
  bytes: number;
  firstSeq: number;
  /** 0n when the store is empty. */
  firstTimeNs: bigint;
  lastSeq: number;
  lastTimeNs: bigint;
  numSubjects: number;
  /** Interior deleted sequences (between first and last). */
  numDeleted: number;
}

export interface PurgeRequest {
  /** Only subjects matching this filter (wildcards allowed). */
  readonly filter?: string;
  /** Purge everything below this sequence (exclusive), nats-server's `seq`. */
  readonly seq?: number;
  /** Keep this many newest messages of all those matching `filter` (nats-server PurgeEx: the filter's total, not per subject). */
  readonly keep?: number;
}

/** Why a message left the store, for observers (interest retention, tests). */
export type RemovalReason = "limits" | "age" | "delete" | "purge" | "ack";

export interface StreamStore {
  /** Appends; returns the assigned sequence and time. Enforces limits (discard old) afterwards. */
  store(subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs?: bigint): { seq: number; timeNs: bigint };
  /** Skips a sequence (nats-server's SkipMsg): used when a stream is created with a first sequence. */
  skipTo(nextSeq: number): void;
  load(seq: number): StoredMessage | undefined;
  /** The first message with sequence ≥ `fromSeq` whose subject matches `filter` (wildcards; "" or ">" = all). */
  loadNext(filter: string, fromSeq: number): StoredMessage | undefined;
  /** The newest message whose subject matches `filter`. */
  loadLast(filter: string): StoredMessage | undefined;
  /** Removes one message; false when it was not there. */
  remove(seq: number, reason?: RemovalReason): boolean;
  /** Returns how many messages were purged. */
  purge(request?: PurgeRequest): number;
  state(): StoreState;
  /** Count of messages per subject among those matching `filter`. */
  subjectsState(filter: string): Map<string, number>;
  /** Messages with sequence ≥ `fromSeq` matching `filter`; with `lastPerSubject`, only the newest per subject counts. */
  numPending(filter: string, fromSeq: number, lastPerSubject: boolean): number;
  /**
   * The last sequence at or below `maxSeq` of each subject matching any of `filters`, ascending
   * and without repeats (memstore.go `multiLastSeqs`, for a multi-last direct get); "too many"
   * as soon as more than `maxAllowed` are found.
   */
  multiLastSeqs(filters: readonly string[], maxSeq: number, maxAllowed: number): number[] | "too many";
  /** The last sequence of `subject` (literal), 0 when none: for Nats-Expected-Last-Subject-Sequence. */
  lastSeqForSubject(subject: string): number;
  /** Applies new limits at once (a stream update). */
  updateLimits(limits: StoreLimits): void;
  /** Called after messages leave the store for any reason. */
  onRemoved(listener: (seq: number, subject: string, reason: RemovalReason) => void): void;
  /**
   * Who places a subject delete marker when the last message of a subject expires (max_age or
   * TTL) under `subjectDeleteMarkers`: the stream publishes it through its capture path, whose
   * rollup removes the expired message. Without a handler such a message is just removed.
   */
  onSubjectDeleteMarker(handler: ((subject: string) => void) | undefined): void;
  /** Makes everything stored so far durable (file store: fsync); memory store: no-op. */
  flush(): Promise<void>;
  /** Stops timers and closes files; the data stays. */
  close(): Promise<void>;
  /** Closes and deletes all the data. */
  destroy(): Promise<void>;
  /** Consumer state kept next to the stream (file store: a file per consumer). */
  consumerStore(name: string): ConsumerStore;
}

/** What a consumer persists: its config and its delivery/ack state, as nats-server's ConsumerState. */
export interface ConsumerState {
  /** Last delivered consumer and stream sequences. */
  delivered: { consumerSeq: number; streamSeq: number };
  /** Everything at or below these is acknowledged. */
  ackFloor: { consumerSeq: number; streamSeq: number };
  /** Outstanding deliveries: stream seq → { consumer seq, delivery time ns }. */
  pending: Array<{ streamSeq: number; consumerSeq: number; timeNs: bigint }>;
  /** Stream seq → delivery count, for messages delivered more than once. */
  redelivered: Array<{ streamSeq: number; count: number }>;
}

export interface ConsumerStore {
  /** The consumer's configuration as JSON-able data, kept so a durable survives a restart. */
  saveConfig(config: unknown): void;
  loadConfig(): unknown;
  save(state: ConsumerState): void;
  load(): ConsumerState | undefined;
  delete(): Promise<void>;
}

/** Opens and lists stream stores: one per storage kind (memory or a directory). */
export interface StoreFactory {
  /** Creates or opens the store for a stream and records its config (JSON-able) for recovery. */
  open(stream: string, config: unknown, limits: StoreLimits): Promise<StreamStore>;
  /** Streams found at start-up (file store: from the directory), with the config they were saved with. */
  recover(): Promise<Array<{ name: string; config: unknown; consumers: Array<{ name: string; config: unknown }> }>>;
  /** Re-records a stream's config after an update. */
  saveConfig(stream: string, config: unknown): void;
}

/** When the file store calls fsync: after every append, on an interval (ms), or only on close. */
export type SyncPolicy = "always" | { intervalMs: number } | "never";
