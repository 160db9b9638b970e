/**
 * One stream: its configuration, its store, the subscriptions that capture publishes on its
 * subjects, and the operations the API asks of it (info, purge, message get and delete, direct
 * get). Retention beyond the store's own limits lives here: under interest and workqueue
 * retention a message goes once no consumer still needs it.
 */
import type { BusApi, ConsumerHandle, StreamHandle } from "../shared/contracts.ts";
import type { ConsumerStore, PurgeRequest, StreamStore } from "../store/stream-store.ts";
import type { StreamConfig, StreamInfo, StreamSourceInfo, StreamStateJson, StoredMsgJson } from "../shared/types.ts";
import type { DirectMsg } from "../../direct/direct-message.ts";
import { capture, DuplicateWindow, type Inbound } from "./publish.ts";
import { AtomicBatches, BatchHeader, BatchInflight, type BatchAbandonReason, type BatchTarget } from "./atomic-batch.ts";
import { FastBatches, parseFastBatchReply } from "./fast-batch.ts";
import { MsgSchedules } from "./schedules.ts";
import { MsgHeaders } from "../../direct/headers.ts";
import { ADVISORY_PREFIX, ADVISORY_TYPE, publishAdvisory } from "../shared/advisories.ts";
import { formatNanos } from "../shared/rfc3339.ts";
import { sourceIndexName, storeLimits } from "./config.ts";
import { SourceFeed } from "./source-feed.ts";
import { subjectMatches } from "../../subjects/subject.ts";
import { nowNs } from "../store/clock.ts";
import { memoryStoreMessageSize } from "../store/memory-store.ts";
import { fileStoreMessageSize } from "../store/file-store.ts";
import { SubjectTransform } from "../../subjects/subject-transform.ts";
import { logCaught } from "../shared/log-caught.ts";
import type { Logger } from "../../base/logger.ts";

/** What a stream needs from the JetStream service around it. */
export interface StreamHost {
  readonly bus: BusApi;
  readonly domain: string | undefined;
  readonly logger: Logger;
  /** The consumers of this stream (the consumer side owns them). */
  consumersOf(stream: string): readonly ConsumerHandle[];
  /** Server-wide limits (maxMemory/maxStore): false once this storage type's are exceeded. */
  hasRoomFor(storage: StreamConfig["storage"]): boolean;
  /** Open batches counted across the account's streams (a stream alone counts its own when absent). */
  readonly batchInflight?: BatchInflight;
}

/** Bytes a message counts for, as nats-server's memStoreMsgSize and fileStoreMsgSize. */
export function messageSize(storage: StreamConfig["storage"], subject: string, headers: Uint8Array | undefined, data: Uint8Array): number {
  return storage === "memory" ? memoryStoreMessageSize(subject, headers, data) : fileStoreMessageSize(subject, headers, data);
}

/** A request of STREAM.MSG.GET and DIRECT.GET (`JSApiMsgGetRequest`). */
export interface MsgGetRequest {
  seq?: number;
  last_by_subj?: string;
  next_by_subj?: string;
}

export class Stream implements StreamHandle, BatchTarget {
  readonly name: string;
  readonly store: StreamStore;
  /** When the stream was created (ns since epoch): STREAM.INFO `created`. */
  readonly createdNs: bigint;
  lastSeq: number;
  lastMsgId = "";
  readonly duplicates: DuplicateWindow;
  #config: StreamConfig;
  readonly #ackPrefix: string;
  #republisher: SubjectTransform | undefined;
  #inputTransform: SubjectTransform | undefined;
  readonly #host: StreamHost;
  #captures: Array<{ unsubscribe(): void }> = [];
  #feeds: SourceFeed[] = [];
  /** Per source (by index name): the origin sequence to read next. */
  readonly #sourceNext = new Map<string, number>();
  readonly #storedListeners = new Set<(seq: number, subject: string) => void>();
  #closed = false;
  readonly inflight: BatchInflight;
  readonly #atomicBatches: AtomicBatches;
  readonly #fastBatches: FastBatches;
  #schedules: MsgSchedules | undefined;

  constructor(host: StreamHost, config: StreamConfig, store: StreamStore, createdNs: bigint) {
    this.#host = host;
    this.name = config.name;
    this.#config = config;
    this.store = store;
    this.createdNs = createdNs;
    this.lastSeq = store.state().lastSeq;
    this.duplicates = new DuplicateWindow(config.duplicate_window);
    this.#ackPrefix = ackPrefix(config.name, host.domain);
    this.#republisher = republisher(config);
    this.#inputTransform = inputTransform(config);
    this.#rebuildDuplicates();
    this.#watchForMarkers();
    this.inflight = host.batchInflight ?? new BatchInflight();
    this.#atomicBatches = new AtomicBatches(this);
    this.#fastBatches = new FastBatches(this);
    this.#startSchedules();
  }

  /** With `allow_msg_schedules`, the schedules come back from the stored messages. */
  #startSchedules(): void {
    if (this.#config.allow_msg_schedules !== true || this.#schedules !== undefined) return;
    this.#schedules = new MsgSchedules({
      store: this.store,
      now: () => nowNs(),
      // A copy goes through the capture path as a sourced message does (stream.go: the
      // store's callback calls processJetStreamMsg with sourced set).
      publishScheduled: (subject, headers, data) => {
        if (this.#closed) return;
        try {
          capture(this, { subject: this.#transformed(subject), reply: "", headers, data, sourced: true });
        } catch (err) {
          logCaught(this.#host.logger, `JetStream failed to store a scheduled msg on stream '${this.name}'`, err);
        }
      },
    });
    this.#schedules.rebuild();
  }

  /** `$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.<stream>` (stream.go sendStreamBatchAbandonedAdvisory). */
  batchAbandoned(id: string, reason: BatchAbandonReason): void {
    if (this.#closed) return;
    const domain = this.#host.domain;
    publishAdvisory(this.#host.bus, `${ADVISORY_PREFIX}.STREAM.BATCH_ABANDONED.${this.name}`, `${ADVISORY_TYPE}.stream_batch_abandoned`, {
      stream: this.name,
      ...(domain !== undefined && { domain }),
      batch: id,
      reason,
    });
  }

  /** Subject delete markers are placed by this stream when its store reports an expired subject. */
  #watchForMarkers(): void {
    this.store.onSubjectDeleteMarker((this.#config.subject_delete_marker_ttl ?? 0) > 0 ? this.#placeMarker : undefined);
  }

  /**
   * The marker (filestore.go `handleRemovalOrSdm`): no payload, `Nats-Marker-Reason: MaxAge`,
   * `Nats-TTL` the marker TTL as a Go duration, and a subject rollup, so storing it removes
   * the message that expired. It goes through the capture path like any publish (republish,
   * consumers), with no one to acknowledge.
   */
  readonly #placeMarker = (subject: string): void => {
    if (this.#closed) return;
    const ttlSeconds = Math.floor((this.#config.subject_delete_marker_ttl ?? 0) / 1e9);
    const block = Buffer.from(`NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\nNats-TTL: ${goDurationOfSeconds(ttlSeconds)}\r\nNats-Rollup: sub\r\n\r\n`, "latin1");
    capture(this, { subject, reply: "", headers: block, data: new Uint8Array(0) });
  };

  get config(): StreamConfig {
    return this.#config;
  }

  get ackPrefix(): string {
    return this.#ackPrefix;
  }

  // ---- capture -------------------------------------------------------------------------------

  /** Starts capturing publishes on the stream's subjects, and reading its mirror or sources. */
  startCapture(): void {
    this.#stopCapture();
    for (const subject of this.#config.subjects) {
      this.#captures.push(this.#host.bus.subscribe(subject, { callback: this.#onMessage }));
    }
    if (this.#feeds.length === 0) this.#startFeeds();
  }

  // ---- mirror and sources --------------------------------------------------------------------

  /**
   * Whether this stream answers direct gets for stream `origin` too: a mirror of it with
   * `mirror_direct`, once it has caught up with it (stream.go subscribeToMirrorDirect, called
   * from processInboundMirrorMsg when fewer than 10 messages are pending).
   */
  answersDirectFor(origin: string): boolean {
    const mirror = this.#config.mirror;
    return mirror !== undefined && mirror.name === origin && this.#config.mirror_direct && this.#feeds[0]?.caughtUp === true;
  }

  #startFeeds(): void {
    const { mirror, sources } = this.#config;
    const { bus, logger } = this.#host;
    if (mirror !== undefined) {
      this.#feeds.push(new SourceFeed(bus, logger, mirror, "mirror", { nextSeq: () => this.#mirrorNext(), take: this.#takeMirrored }));
    }
    if ((sources ?? []).length > 0) {
      const last = this.#lastSourced();
      for (const source of sources!) {
        const iname = sourceIndexName(source);
        if (!this.#sourceNext.has(iname)) this.#sourceNext.set(iname, last.get(iname) ?? 0);
        this.#feeds.push(
          new SourceFeed(bus, logger, source, "source", {
            nextSeq: () => this.#sourceNext.get(iname) ?? 0,
            take: (subject, headers, data, originSeq, _timeNs, originSubject) => this.#takeSourced(iname, subject, headers, data, originSeq, originSubject),
          }),
        );
      }
    }
    for (const feed of this.#feeds) feed.start();
  }

  #stopFeeds(): void {
    for (const feed of this.#feeds) feed.stop();
    this.#feeds = [];
  }

  /** A mirror asks for the sequence after its last one (its sequences are the origin's). */
  #mirrorNext(): number {
    const last = this.store.state().lastSeq;
    return last > 0 ? last + 1 : 0;
  }

  /** A mirrored message keeps its origin sequence and time; gaps become skipped sequences. */
  readonly #takeMirrored = (subject: string, headers: Uint8Array | undefined, data: Uint8Array, originSeq: number, timeNs: bigint): boolean => {
    if (this.#closed) return false;
    if (originSeq <= this.lastSeq) return true;
    try {
      if (originSeq > this.lastSeq + 1) this.store.skipTo(originSeq);
      subject = this.#transformed(subject);
      // Batches are the origin's business (stream.go processInboundMirrorMsg drops Nats-Batch-*).
      const kept = withoutBatchHeaders(headers);
      this.store.store(subject, kept !== undefined && kept.length > 0 ? kept : undefined, data, timeNs);
    } catch (err) {
      logCaught(this.#host.logger, `JetStream failed to store a mirrored msg on stream '${this.name}'`, err);
      return false;
    }
    this.lastSeq = originSeq;
    this.stored(originSeq, subject);
    return true;
  };

  /**
   * A sourced message is published into this stream with `Nats-Stream-Source: <name> <seq>
   * <filters> <destinations> <subject>` (stream.go `genSourceHeader`), which also tells where
   * to resume after a restart.
   */
  #takeSourced(iname: string, subject: string, headers: Uint8Array | undefined, data: Uint8Array, originSeq: number, originSubject: string): boolean {
    if (this.#closed) return false;
    const [name, filters, dests] = iname.split(" ");
    // The subject as the origin has it, before this source's transform (stream.go
    // processInboundSourceMsg writes the header first); counters key their sources on it.
    const value = `${name} ${originSeq} ${filters} ${dests} ${originSubject}`;
    const block = withHeader(withoutBatchHeaders(headers), "Nats-Stream-Source", value);
    capture(this, { subject: this.#transformed(subject), reply: "", headers: block, data, sourced: true });
    this.#sourceNext.set(iname, originSeq + 1);
    return true;
  }

  /** The origin sequence after the last message each source brought, from the stored headers. */
  #lastSourced(): Map<string, number> {
    const next = new Map<string, number>();
    for (let msg = this.store.loadNext(">", 0); msg !== undefined; msg = this.store.loadNext(">", msg.seq + 1)) {
      const value = msg.headers === undefined ? "" : headerValue(msg.headers, "Nats-Stream-Source");
      if (value === "") continue;
      const [name, seq, filters, dests] = value.split(" ");
      const n = Number(seq);
      if (Number.isInteger(n) && n > 0) next.set(`${name} ${filters} ${dests}`, n + 1);
    }
    return next;
  }

  /** STREAM.INFO `mirror` and `sources` (stream.go `sourceInfo`). */
  #sourceInfo(feed: SourceFeed): StreamSourceInfo {
    const src = feed.source;
    return {
      name: src.name,
      ...(src.external !== undefined && { external: src.external }),
      lag: feed.lag,
      active: feed.lastContactMs === 0 ? -1 : (Date.now() - feed.lastContactMs) * 1_000_000,
      ...(feed.error !== undefined && { error: feed.error }),
      ...(src.filter_subject !== undefined && { filter_subject: src.filter_subject }),
      ...(src.subject_transforms !== undefined && { subject_transforms: src.subject_transforms }),
    };
  }

  #stopCapture(): void {
    for (const sub of this.#captures) sub.unsubscribe();
    this.#captures = [];
  }

  readonly #onMessage = (_err: Error | null, msg: DirectMsg): void => {
    if (this.#closed) return;
    try {
      const inbound: Inbound = { subject: this.#transformed(msg.subject), reply: msg.reply, headers: msg.rawHeaders, data: msg.data };
      // Batches are told apart as stream.go's ingest loop does: a `.$FI` reply first, then `Nats-Batch-Id`.
      const fast = parseFastBatchReply(msg.reply);
      const raw = msg.rawHeaders;
      const parsed = raw !== undefined && raw.length > 0 && Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).includes(BatchHeader.Id) ? MsgHeaders.decode(raw) : undefined;
      if (fast !== undefined) this.#fastBatches.accept(inbound, fast, parsed ?? (raw !== undefined && raw.length > 0 ? MsgHeaders.decode(raw) : undefined));
      else if (parsed !== undefined && parsed.get(BatchHeader.Id) !== "") this.#atomicBatches.accept(inbound, parsed.get(BatchHeader.Id), parsed);
      else capture(this, inbound);
    } catch (err) {
      // A store failure must not reach the publisher's connection, let alone the host.
      logCaught(this.#host.logger, `JetStream failed to store a msg on stream '${this.name}'`, err);
    }
  };

  /**
   * The input transform rewrites what it matches and leaves the rest (stream.go `itr`, applied
   * in processJetStreamMsg: to published, mirrored and sourced messages alike).
   */
  #transformed(subject: string): string {
    return this.#inputTransform?.match(subject) ?? subject;
  }

  hasConsumerInterest(subject: string): boolean {
    for (const consumer of this.#host.consumersOf(this.name)) {
      const filters = consumer.filterSubjects;
      if (filters.length === 0) return true;
      for (const filter of filters) if (subjectMatches(subject, filter)) return true;
    }
    return false;
  }

  hasRoomFor(): boolean {
    return this.#host.hasRoomFor(this.#config.storage);
  }

  maxPayload(): number {
    return this.#host.bus.maxPayload();
  }

  messageSize(subject: string, headers: Uint8Array | undefined, data: Uint8Array): number {
    return messageSize(this.#config.storage, subject, headers, data);
  }

  stored(seq: number, subject: string): void {
    this.#schedules?.stored(seq);
    for (const listener of this.#storedListeners) {
      try {
        listener(seq, subject);
      } catch (err) {
        logCaught(this.#host.logger, `stream '${this.name}' listener`, err);
      }
    }
  }

  respond(reply: string, body: string): void {
    this.#host.bus.publish(reply, body);
  }

  get republisher(): SubjectTransform | undefined {
    return this.#republisher;
  }

  republish(subject: string, headers: Uint8Array, data: Uint8Array | undefined): void {
    this.#host.bus.publish(subject, data, { headers: { encode: () => headers } });
  }

  now(): bigint {
    return nowNs();
  }

  // ---- StreamHandle --------------------------------------------------------------------------

  onStored(listener: (seq: number, subject: string) => void): () => void {
    this.#storedListeners.add(listener);
    return () => this.#storedListeners.delete(listener);
  }

  acked(seq: number): void {
    if (this.#config.retention === "limits") return;
    const msg = this.store.load(seq);
    if (msg === undefined) return;
    if (!this.#needed(seq, msg.subject)) this.store.remove(seq, "ack");
  }

  /**
   * A consumer came or went. Under interest retention, messages no remaining consumer needs
   * are dropped at once (nats-server `checkInterestState`); a work queue keeps them for the
   * next consumer.
   */
  consumersChanged(): void {
    if (this.#config.retention !== "interest") return;
    const doomed: number[] = [];
    for (let msg = this.store.loadNext(">", 0); msg !== undefined; msg = this.store.loadNext(">", msg.seq + 1)) {
      if (!this.#needed(msg.seq, msg.subject)) doomed.push(msg.seq);
    }
    for (const seq of doomed) this.store.remove(seq, "ack");
  }

  #needed(seq: number, subject: string): boolean {
    for (const consumer of this.#host.consumersOf(this.name)) if (consumer.needsAck(seq, subject)) return true;
    return false;
  }

  consumerStore(name: string): ConsumerStore {
    return this.store.consumerStore(name);
  }

  // ---- operations ----------------------------------------------------------------------------

  /** Applies a checked, allowed update: new limits, new subjects, new dedup window. */
  update(config: StreamConfig): void {
    const subjectsChanged = config.subjects.join("\n") !== this.#config.subjects.join("\n");
    const feedsChanged = JSON.stringify([config.mirror, config.sources]) !== JSON.stringify([this.#config.mirror, this.#config.sources]);
    this.#config = config;
    this.#republisher = republisher(config);
    this.#inputTransform = inputTransform(config);
    this.duplicates.windowNs = config.duplicate_window;
    // Turning batches off drops the open ones (stream.go update: deleteAtomicBatches, deleteFastBatches).
    if (config.allow_atomic !== true) this.#atomicBatches.clear();
    if (config.allow_batched !== true) this.#fastBatches.clear();
    this.#startSchedules();
    this.#watchForMarkers();
    this.store.updateLimits(storeLimits(config));
    if (feedsChanged) this.#stopFeeds();
    if (subjectsChanged || feedsChanged) this.startCapture();
  }

  info(options: { deletedDetails?: boolean; subjectsFilter?: string } = {}): StreamInfo {
    const mirror = this.#config.mirror === undefined ? undefined : this.#feeds[0];
    const sources = this.#config.mirror === undefined && this.#feeds.length > 0 ? this.#feeds : undefined;
    return {
      config: this.#configJson(),
      created: formatNanos(this.createdNs),
      state: this.state(options),
      ...(this.#host.domain !== undefined && { domain: this.#host.domain }),
      ...(mirror !== undefined && { mirror: this.#sourceInfo(mirror) }),
      ...(sources !== undefined && { sources: sources.map((f) => this.#sourceInfo(f)) }),
      ts: formatNanos(nowNs()),
    };
  }

  /**
   * The config as nats-server writes it: no `subjects` and a zero `duplicate_window` (a
   * mirror's, a sourcing stream's) are left out (omitempty).
   */
  #configJson(): StreamConfig {
    const c = this.#config;
    if (c.duplicate_window !== 0 && c.subjects.length > 0) return c;
    const out: Record<string, unknown> = { ...c };
    if (c.duplicate_window === 0) delete out["duplicate_window"];
    if (c.subjects.length === 0) delete out["subjects"];
    return out as StreamConfig;
  }

  state(options: { deletedDetails?: boolean; subjectsFilter?: string } = {}): StreamStateJson {
    const s = this.store.state();
    // Key order and omissions as nats-server's StreamState (the optional keys are omitempty).
    const subjects = options.subjectsFilter !== undefined && options.subjectsFilter !== "" ? this.store.subjectsState(options.subjectsFilter) : undefined;
    return {
      messages: s.messages,
      bytes: s.bytes,
      first_seq: s.firstSeq,
      first_ts: formatNanos(s.firstTimeNs),
      last_seq: s.lastSeq,
      last_ts: formatNanos(s.lastTimeNs),
      ...(s.numSubjects > 0 && { num_subjects: s.numSubjects }),
      ...(subjects !== undefined && subjects.size > 0 && { subjects: Object.fromEntries(subjects) }),
      ...(s.numDeleted > 0 && { num_deleted: s.numDeleted }),
      ...(s.numDeleted > 0 && options.deletedDetails === true && { deleted: this.#deletedSequences(s.firstSeq, s.lastSeq) }),
      consumer_count: this.#host.consumersOf(this.name).filter((c) => !c.direct).length,
    };
  }

  #deletedSequences(first: number, last: number): number[] {
    const deleted: number[] = [];
    for (let seq = first; seq <= last; seq++) if (this.store.load(seq) === undefined) deleted.push(seq);
    return deleted;
  }

  purge(request: PurgeRequest | undefined): number {
    const purged = this.store.purge(request);
    this.lastSeq = Math.max(this.lastSeq, this.store.state().lastSeq);
    return purged;
  }

  deleteMessage(seq: number): boolean {
    return this.store.remove(seq, "delete");
  }

  /** STREAM.MSG.GET / DIRECT.GET lookup (the request was validated by the caller). */
  find(request: MsgGetRequest): ReturnType<StreamStore["load"]> {
    const seq = request.seq ?? 0;
    if (request.next_by_subj !== undefined && request.next_by_subj !== "") return this.store.loadNext(request.next_by_subj, seq);
    if (seq > 0) return this.store.load(seq);
    if (request.last_by_subj !== undefined && request.last_by_subj !== "") return this.store.loadLast(request.last_by_subj);
    return undefined;
  }

  /** The first sequence stored at or after `timeNs` (nats-server `GetSeqFromTime`); past the end when none. */
  seqFromTime(timeNs: bigint): number {
    for (let msg = this.store.loadNext(">", 0); msg !== undefined; msg = this.store.loadNext(">", msg.seq + 1)) {
      if (msg.timeNs >= timeNs) return msg.seq;
    }
    return this.store.state().lastSeq + 1;
  }

  /** The JSON of STREAM.MSG.GET's `message`. */
  static messageJson(msg: NonNullable<ReturnType<StreamStore["load"]>>, noHeaders = false): StoredMsgJson {
    const json: StoredMsgJson = { subject: msg.subject, seq: msg.seq, time: "" };
    if (!noHeaders && msg.headers !== undefined && msg.headers.length > 0) json.hdrs = Buffer.from(msg.headers).toString("base64");
    if (msg.data.length > 0) json.data = Buffer.from(msg.data).toString("base64");
    json.time = formatNanos(msg.timeNs);
    return json;
  }

  /** Stops capturing; the store stays open. */
  stop(): void {
    this.#closed = true;
    this.#atomicBatches.clear();
    this.#fastBatches.clear();
    this.#schedules?.stop();
    this.#stopCapture();
    this.#stopFeeds();
    this.#storedListeners.clear();
  }

  /** Rebuilds the duplicate window from stored ids, as nats-server's `rebuildDedupe` after a restart. */
  #rebuildDuplicates(): void {
    const state = this.store.state();
    if (state.messages === 0 || this.#config.duplicate_window <= 0) return;
    const cutoff = nowNs() - BigInt(this.#config.duplicate_window);
    const found: Array<{ id: string; seq: number; timeNs: bigint }> = [];
    for (let seq = state.lastSeq; seq >= state.firstSeq && seq > 0; seq--) {
      const msg = this.store.load(seq);
      if (msg === undefined) continue;
      if (msg.timeNs < cutoff) break;
      const id = msg.headers === undefined ? "" : headerValue(msg.headers, "Nats-Msg-Id");
      if (id !== "") found.push({ id, seq, timeNs: msg.timeNs });
    }
    for (let i = found.length - 1; i >= 0; i--) this.duplicates.remember(found[i]!.id, found[i]!.seq, found[i]!.timeNs);
    const last = found[0];
    if (last !== undefined && last.seq === state.lastSeq) this.lastMsgId = last.id;
  }
}

/** Go's `time.Duration.String()` for whole seconds: "30s", "5m0s", "1h0m0s". */
function goDurationOfSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The checked config's republish transform (none without a destination). */
function republisher(config: StreamConfig): SubjectTransform | undefined {
  const r = config.republish;
  return r === undefined || r.dest === "" ? undefined : new SubjectTransform(r.src, r.dest);
}

/** The checked config's `subject_transform` (none without a destination). */
function inputTransform(config: StreamConfig): SubjectTransform | undefined {
  const t = config.subject_transform;
  return t === undefined || t.dest === "" ? undefined : new SubjectTransform(t.src, t.dest);
}

/** nats-server 2.9's PubAck opening: `{"stream":"S", "seq":` (`"domain":"D", ` in between when set). */
function ackPrefix(stream: string, domain: string | undefined): string {
  return domain === undefined ? `{"stream":${JSON.stringify(stream)}, "seq":` : `{"stream":${JSON.stringify(stream)}, "domain":${JSON.stringify(domain)}, "seq":`;
}

function headerValue(block: Uint8Array, key: string): string {
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("latin1");
  const at = text.indexOf(`\r\n${key}:`);
  if (at < 0) return "";
  const end = text.indexOf("\r\n", at + 2);
  return text.slice(at + 2 + key.length + 1, end < 0 ? undefined : end).trim();
}

/** The header block without `Nats-Batch-*` headers (stream.go `removeHeaderIfPrefixPresent`). */
function withoutBatchHeaders(block: Uint8Array | undefined): Uint8Array | undefined {
  if (block === undefined || block.length === 0) return block;
  const buf = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  if (!buf.includes("\r\nNats-Batch-")) return block;
  const lines = buf.toString("latin1").slice(0, -4).split("\r\n");
  const kept = lines.filter((l, i) => i === 0 || !l.startsWith("Nats-Batch-"));
  return Buffer.from(`${kept.join("\r\n")}\r\n\r\n`, "latin1");
}

/** `block` with `key: value` set (replaced when present), or a new block with only that header. */
function withHeader(block: Uint8Array | undefined, key: string, value: string): Uint8Array {
  const line = Buffer.from(`${key}: ${value}\r\n\r\n`, "utf8");
  if (block === undefined || block.length === 0) return Buffer.concat([Buffer.from("NATS/1.0\r\n", "latin1"), line]);
  // Bytes kept as they are (latin1 maps each byte to one character and back).
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("latin1");
  const lines = text.slice(0, -4).split("\r\n").filter((l, i) => i === 0 || !l.toLowerCase().startsWith(`${key.toLowerCase()}:`));
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n`, "latin1"), line]);
}
