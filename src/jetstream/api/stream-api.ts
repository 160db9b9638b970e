/**
 * The `$JS.API.STREAM.…` requests, each as nats-server's handler in server/jetstream_api.go:
 * the same checks in the same order, the same response shapes (including the zero fields
 * nats-server's structs carry next to an error, such as STREAM.INFO's `total/offset/limit`).
 */
import {
  canonicalFields,
  decodeFields,
  MSG_DELETE_REQUEST,
  MSG_GET_REQUEST,
  STREAM_CONFIG_REQUEST,
  STREAM_INFO_REQUEST,
  STREAM_NAMES_REQUEST,
  STREAM_PURGE_REQUEST,
  unknownField,
  type Schema,
} from "../shared/strict-fields.ts";
import type { ApiReply } from "./dispatcher.ts";
import { JsErrors } from "../shared/api-errors.ts";
import { asObject, type ParsedBody } from "./request-body.ts";
import { checkAgainstOtherStreams, checkStreamConfig, checkStreamUpdate, sameConfig } from "../stream/config.ts";
import { Stream } from "../stream/stream.ts";
import { subjectsCollide } from "../shared/subject-overlap.ts";
import { LIST_LIMIT, MAX_SUBJECT_DETAILS, NAMES_LIMIT, ResponseType, type StreamConfig } from "../shared/types.ts";
import { parseNanos } from "../shared/rfc3339.ts";
import type { ApiError } from "../shared/contracts.ts";
import { withServerVersion } from "../shared/version-metadata.ts";

/** What the stream handlers need of the JetStream service. */
export interface StreamApiHost {
  /** Strict API validation (nats-server 2.12): unknown fields are refused. */
  readonly strict: boolean;
  stream(name: string): Stream | undefined;
  /** Every stream, sorted by name. */
  streams(): Stream[];
  /**
   * The streams that answer `$JS.API.DIRECT.GET.<name>[.>]`, the members of nats-server's
   * `_zz_` queue group for it: the stream itself when it has `allow_direct`, and its caught-up
   * `mirror_direct` mirrors.
   */
  directResponders(name: string): Stream[];
  /** Opens the store and starts the stream; throws when the store cannot be opened. */
  createStream(config: StreamConfig): Promise<Stream>;
  /**
   * Whether `config.max_bytes`, with what the other streams of its storage type reserve, fits
   * the server's `maxMemory`/`maxStore` (nats-server `checkBytesLimits`); an error if not.
   */
  checkReservation(config: StreamConfig): ApiError | undefined;
  /** Applies a checked update and records it. */
  updateStream(stream: Stream, config: StreamConfig): void;
  /** Stops consumers, deletes the stream and its data. */
  deleteStream(stream: Stream): Promise<void>;
}

export interface StreamHandler {
  readonly type: string;
  /** Zero fields that accompany an error in this response's Go struct. */
  readonly errorExtra?: Record<string, unknown>;
  run(host: StreamApiHost, body: ParsedBody, reply: ApiReply): Promise<void> | void;
}

/** Finds the handler for the tokens after `STREAM.`, or undefined (no answer, as nats-server). */
export function streamApi(tokens: readonly string[]): StreamHandler | undefined {
  const [op, a, b, extra] = tokens;
  if (op === "NAMES" && a === undefined) return names;
  if (op === "LIST" && a === undefined) return list;
  if (op === "MSG" && b !== undefined && extra === undefined) {
    if (a === "GET") return msgGet(b);
    if (a === "DELETE") return msgDelete(b);
    return undefined;
  }
  if (a === undefined || b !== undefined) return undefined;
  switch (op) {
    case "CREATE":
      return create(a);
    case "UPDATE":
      return update(a);
    case "INFO":
      return info(a);
    case "DELETE":
      return remove(a);
    case "PURGE":
      return purge(a);
    default:
      return undefined;
  }
}

/** Whether `subjects` collide with another stream's (nats-server `subjectsOverlap`). */
function overlapsOtherStream(host: StreamApiHost, config: StreamConfig): boolean {
  for (const other of host.streams()) {
    if (other.name === config.name) continue;
    for (const subject of config.subjects) {
      for (const theirs of other.config.subjects) if (subjectsCollide(subject, theirs)) return true;
    }
  }
  return false;
}

function create(name: string): StreamHandler {
  return {
    type: ResponseType.StreamCreate,
    async run(host, body, reply) {
      if (body.json === undefined) return reply.error(JsErrors.invalidJson());
      const unknown = host.strict ? unknownField(body.json, STREAM_CONFIG_REQUEST) : undefined;
      if (unknown !== undefined) return reply.error(JsErrors.unknownField(unknown));
      const checked = checkStreamConfig(canonicalFields(body.json, STREAM_CONFIG_REQUEST), (decoded) => {
        if (decoded.name !== name) return JsErrors.streamNameMismatch();
        if (/[\\/]/.test(name)) return JsErrors.nameHasPathSeparators();
        if (decoded.sealed) return JsErrors.invalidConfig("stream configuration for create can not be sealed");
        return undefined;
      });
      if (!checked.ok) return reply.error(checked.error);
      const config = checked.value;
      const sourcing = checkAgainstOtherStreams(config, (other) => host.stream(other)?.config);
      if (sourcing !== undefined) return reply.error(sourcing);
      const existing = host.stream(name);
      if (existing !== undefined) {
        // Creating what exists is fine when nothing differs (nats-server `addStream`).
        if (!sameConfig(existing.config, config)) return reply.error(JsErrors.streamNameExists());
        return reply.ok({ ...withServerVersion(createInfo(existing)), did_create: true });
      }
      if (overlapsOtherStream(host, config)) return reply.error(JsErrors.subjectsOverlap());
      const reservation = host.checkReservation(config);
      if (reservation !== undefined) return reply.error(reservation);
      let stream: Stream;
      try {
        stream = await host.createStream(config);
      } catch (err) {
        return reply.error(JsErrors.streamCreate(err instanceof Error ? err.message : String(err)));
      }
      reply.ok({ ...withServerVersion(createInfo(stream)), did_create: true });
    },
  };
}

/** A create response's stream info: nats-server leaves the domain out of this one. */
function createInfo(stream: Stream): Omit<ReturnType<Stream["info"]>, "domain"> {
  const { domain: _domain, ...info } = stream.info();
  return info;
}

function update(name: string): StreamHandler {
  return {
    type: ResponseType.StreamUpdate,
    run(host, body, reply) {
      if (body.json === undefined) return reply.error(JsErrors.invalidJson());
      const unknown = host.strict ? unknownField(body.json, STREAM_CONFIG_REQUEST) : undefined;
      if (unknown !== undefined) return reply.error(JsErrors.unknownField(unknown));
      const checked = checkStreamConfig(canonicalFields(body.json, STREAM_CONFIG_REQUEST));
      if (!checked.ok) return reply.error(checked.error);
      if (checked.value.name !== name) return reply.error(JsErrors.streamNameMismatch());
      const stream = host.stream(name);
      if (stream === undefined) return reply.error(JsErrors.streamNotFound());
      const allowed = checkStreamUpdate(stream.config, checked.value);
      if (!allowed.ok) return reply.error(allowed.error);
      const sourcing = checkAgainstOtherStreams(allowed.value, (other) => host.stream(other)?.config);
      if (sourcing !== undefined) return reply.error(sourcing);
      if (overlapsOtherStream(host, allowed.value)) return reply.error(JsErrors.subjectsOverlap());
      const reservation = host.checkReservation(allowed.value);
      if (reservation !== undefined) return reply.error(reservation);
      host.updateStream(stream, allowed.value);
      reply.ok(withServerVersion(stream.info()));
    },
  };
}

const INFO_EXTRA = { total: 0, offset: 0, limit: 0 };

function info(name: string): StreamHandler {
  return {
    type: ResponseType.StreamInfo,
    errorExtra: INFO_EXTRA,
    run(host, body, reply) {
      let deletedDetails = false;
      let subjectsFilter = "";
      let offset = 0;
      if (body.looksLikeJson) {
        const req = requestFields(host, body, STREAM_INFO_REQUEST);
        if ("error" in req) return reply.error(req.error, INFO_EXTRA);
        const f = req.fields;
        if (!optional(f, "deleted_details", "boolean") || !optional(f, "subjects_filter", "string") || !optional(f, "offset", "number")) {
          return reply.error(JsErrors.invalidJson(), INFO_EXTRA);
        }
        deletedDetails = f["deleted_details"] === true;
        subjectsFilter = (f["subjects_filter"] as string | undefined) ?? "";
        offset = Math.max(0, Math.trunc((f["offset"] as number | undefined) ?? 0));
      }
      const stream = host.stream(name);
      if (stream === undefined) return reply.error(JsErrors.streamNotFound(), INFO_EXTRA);
      const streamInfo = stream.info({ deletedDetails });
      let paging = INFO_EXTRA;
      if (subjectsFilter !== "") {
        const all = stream.store.subjectsState(subjectsFilter);
        if (all.size > 0) {
          paging = { total: all.size, offset, limit: MAX_SUBJECT_DETAILS };
          const names = [...all.keys()].sort();
          const page = offset === 0 && all.size <= MAX_SUBJECT_DETAILS ? names : names.slice(offset, offset + MAX_SUBJECT_DETAILS);
          if (page.length > 0) {
            const subjects = Object.fromEntries(page.map((s) => [s, all.get(s)!]));
            streamInfo.state = insertSubjects(streamInfo.state, subjects);
          }
        }
      }
      reply.ok({ ...paging, ...withServerVersion(streamInfo) });
    },
  };
}

/** STREAM.INFO state with `subjects` in nats-server's key position (after `num_subjects`). */
function insertSubjects<T extends object>(state: T, subjects: Record<string, number>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) {
    if (key === "num_deleted" || key === "deleted" || key === "consumer_count") out["subjects"] ??= subjects;
    out[key] = value;
  }
  return out as T;
}

function remove(name: string): StreamHandler {
  return {
    type: ResponseType.StreamDelete,
    async run(host, body, reply) {
      if (!body.blank && !body.empty) return reply.error(JsErrors.notEmptyRequest());
      const stream = host.stream(name);
      if (stream === undefined) return reply.error(JsErrors.streamNotFound());
      try {
        await host.deleteStream(stream);
      } catch (err) {
        return reply.error(JsErrors.streamDelete(err instanceof Error ? err.message : String(err)));
      }
      reply.ok({ success: true });
    },
  };
}

const PURGE_EXTRA = { purged: 0 };

function purge(name: string): StreamHandler {
  return {
    type: ResponseType.StreamPurge,
    errorExtra: PURGE_EXTRA,
    run(host, body, reply) {
      let request: { filter?: string; seq?: number; keep?: number } | undefined;
      if (body.looksLikeJson) {
        const decoded = requestFields(host, body, STREAM_PURGE_REQUEST);
        if ("error" in decoded) return reply.error(decoded.error, PURGE_EXTRA);
        const req = decoded.fields;
        if (!optional(req, "filter", "string") || !optional(req, "seq", "integer") || !optional(req, "keep", "integer")) {
          return reply.error(JsErrors.invalidJson(), PURGE_EXTRA);
        }
        const seq = (req["seq"] as number | undefined) ?? 0;
        const keep = (req["keep"] as number | undefined) ?? 0;
        const filter = (req["filter"] as string | undefined) ?? "";
        if (seq < 0 || keep < 0) return reply.error(JsErrors.invalidJson(), PURGE_EXTRA);
        if (seq > 0 && keep > 0) return reply.error(JsErrors.badRequest(), PURGE_EXTRA);
        request = { ...(filter !== "" && { filter }), ...(seq > 0 && { seq }), ...(keep > 0 && { keep }) };
      }
      const stream = host.stream(name);
      if (stream === undefined) return reply.error(JsErrors.streamNotFound(), PURGE_EXTRA);
      if (stream.config.sealed) return reply.error(JsErrors.sealed(), PURGE_EXTRA);
      if (stream.config.deny_purge) return reply.error(JsErrors.purgeFailed("stream purge not permitted"), PURGE_EXTRA);
      const purged = stream.purge(request);
      reply.ok({ success: true, purged });
    },
  };
}

/** STREAM.NAMES / STREAM.LIST paging and subject filter (`JSApiStreamNamesRequest`). */
function pageRequest(host: StreamApiHost, body: ParsedBody): { offset: number; subject: string } | { error: ApiError } {
  if (!body.looksLikeJson) return { offset: 0, subject: "" };
  const decoded = requestFields(host, body, STREAM_NAMES_REQUEST);
  if ("error" in decoded) return decoded;
  const req = decoded.fields;
  if (!optional(req, "offset", "integer") || !optional(req, "subject", "string")) return { error: JsErrors.invalidJson() };
  return { offset: Math.max(0, (req["offset"] as number | undefined) ?? 0), subject: (req["subject"] as string | undefined) ?? "" };
}

/**
 * A JSON object body as nats-server's `unmarshalRequest` decodes it: names matched without
 * regard to case; with strict validation on, an unknown field is `10025 … unknown field`.
 */
function requestFields(host: StreamApiHost, body: ParsedBody, schema: Schema): { fields: Record<string, unknown> } | { error: ApiError } {
  const req = asObject(body);
  if (req === undefined) return { error: JsErrors.invalidJson() };
  const decoded = decodeFields(req, schema, host.strict);
  return "unknown" in decoded ? { error: JsErrors.unknownField(decoded.unknown) } : decoded;
}

function filtered(host: StreamApiHost, subject: string): Stream[] {
  const all = host.streams();
  if (subject === "") return all;
  return all.filter((s) => s.config.subjects.some((theirs) => subjectsCollide(subject, theirs)));
}

const names: StreamHandler = {
  type: ResponseType.StreamNames,
  run(host, body, reply) {
    const page = pageRequest(host, body);
    if ("error" in page) return reply.error(page.error);
    const matching = filtered(host, page.subject);
    const offset = Math.min(page.offset, matching.length);
    const streams = matching.slice(offset, offset + NAMES_LIMIT).map((s) => s.name);
    reply.ok({ total: matching.length, offset, limit: NAMES_LIMIT, streams });
  },
};

const list: StreamHandler = {
  type: ResponseType.StreamList,
  run(host, body, reply) {
    const page = pageRequest(host, body);
    if ("error" in page) return reply.error(page.error);
    const matching = filtered(host, page.subject);
    const offset = Math.min(page.offset, matching.length);
    // The stored config, without this server's version keys (jsStreamListRequest).
    const streams = matching.slice(offset, offset + LIST_LIMIT).map((s) => s.info());
    reply.ok({ total: matching.length, offset, limit: LIST_LIMIT, streams });
  },
};

/** `JSApiMsgGetRequest`, checked as nats-server `jsMsgGetRequest` does. */
export interface MsgGetFields {
  seq: number;
  last_by_subj: string;
  next_by_subj: string;
  batch: number;
  max_bytes: number;
  start_time: bigint | undefined;
  no_hdr: boolean;
}

/** Decodes a message get request; undefined when a field has the wrong type. */
export function decodeMsgGet(req: Record<string, unknown>): MsgGetFields | undefined {
  const fields: Array<[string, "integer" | "string" | "boolean"]> = [
    ["seq", "integer"],
    ["last_by_subj", "string"],
    ["next_by_subj", "string"],
    ["batch", "integer"],
    ["max_bytes", "integer"],
    ["start_time", "string"],
    ["no_hdr", "boolean"],
  ];
  for (const [key, kind] of fields) if (!optional(req, key, kind)) return undefined;
  const startText = req["start_time"] as string | undefined;
  const start = startText === undefined ? undefined : parseNanos(startText);
  if (startText !== undefined && start === undefined) return undefined;
  const seq = (req["seq"] as number | undefined) ?? 0;
  if (seq < 0) return undefined;
  return {
    seq,
    last_by_subj: (req["last_by_subj"] as string | undefined) ?? "",
    next_by_subj: (req["next_by_subj"] as string | undefined) ?? "",
    batch: (req["batch"] as number | undefined) ?? 0,
    max_bytes: (req["max_bytes"] as number | undefined) ?? 0,
    start_time: start,
    no_hdr: req["no_hdr"] === true,
  };
}

function msgGet(name: string): StreamHandler {
  return {
    type: ResponseType.MsgGet,
    run(host, body, reply) {
      if (body.blank || body.empty) return reply.error(JsErrors.badRequest());
      const req = requestFields(host, body, MSG_GET_REQUEST);
      if ("error" in req) return reply.error(req.error);
      const get = decodeMsgGet(req.fields);
      if (get === undefined) return reply.error(JsErrors.invalidJson());
      if (get.batch > 0 || get.max_bytes > 0) return reply.error(JsErrors.badRequest());
      const hasStart = get.start_time !== undefined;
      if (
        (get.seq > 0 && get.last_by_subj !== "") ||
        (get.seq === 0 && get.last_by_subj === "" && get.next_by_subj === "" && !hasStart) ||
        (get.seq > 0 && hasStart) ||
        (hasStart && get.last_by_subj !== "") ||
        (get.last_by_subj !== "" && get.next_by_subj !== "")
      ) {
        return reply.error(JsErrors.badRequest());
      }
      const stream = host.stream(name);
      if (stream === undefined) return reply.error(JsErrors.streamNotFound());
      const seq = hasStart ? stream.seqFromTime(get.start_time!) : get.seq;
      const msg = stream.find({ seq, last_by_subj: get.last_by_subj, next_by_subj: hasStart && get.next_by_subj === "" ? ">" : get.next_by_subj });
      if (msg === undefined) return reply.error(JsErrors.noMessageFound());
      reply.ok({ message: Stream.messageJson(msg, get.no_hdr) });
    },
  };
}

function msgDelete(name: string): StreamHandler {
  return {
    type: ResponseType.MsgDelete,
    run(host, body, reply) {
      if (body.blank || body.empty) return reply.error(JsErrors.badRequest());
      const decoded = requestFields(host, body, MSG_DELETE_REQUEST);
      if ("error" in decoded) return reply.error(decoded.error);
      const req = decoded.fields;
      if (!optional(req, "seq", "integer") || !optional(req, "no_erase", "boolean")) return reply.error(JsErrors.invalidJson());
      const seq = (req["seq"] as number | undefined) ?? 0;
      const stream = host.stream(name);
      if (stream === undefined) return reply.error(JsErrors.streamNotFound());
      if (stream.config.sealed) return reply.error(JsErrors.sealed());
      if (stream.config.deny_delete) return reply.error(JsErrors.msgDeleteFailed("message delete not permitted"));
      if (seq <= 0 || !stream.deleteMessage(seq)) return reply.error(JsErrors.sequenceNotFound(seq));
      reply.ok({ success: true });
    },
  };
}

/** Go's decoder: an absent or null field is fine; present, it must have this type. */
function optional(obj: Record<string, unknown>, key: string, kind: "string" | "boolean" | "number" | "integer"): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return true;
  if (kind === "integer") return typeof value === "number" && Number.isInteger(value);
  return typeof value === kind;
}
