/**
 * The JetStream API errors we send, with nats-server's HTTP-like `code`, its stable `err_code`
 * and its description (server/errors.json). Clients branch on `err_code` (nats.js checks 10059
 * stream not found, 10014 consumer not found, 10071 wrong last sequence, 10037 no message
 * found), so these numbers must never drift. Texts with a placeholder are functions.
 */
import type { ApiError } from "./contracts.ts";

const error = (code: number, err_code: number, description: string): ApiError => ({ code, err_code, description });

export const JsErrors = {
  /** JSBadRequestErr */
  badRequest: (): ApiError => error(400, 10003, "bad request"),
  /**
   * JSInvalidJSONErr. nats-server 2.9 sends the bare text; later releases append the Go decoder's
   * message, which no client parses.
   */
  invalidJson: (): ApiError => error(400, 10025, "invalid JSON"),
  /** JSNotEmptyRequestErr */
  notEmptyRequest: (): ApiError => error(400, 10038, "expected an empty request payload"),
  /** JSInsufficientResourcesErr */
  insufficientResources: (): ApiError => error(503, 10023, "insufficient resources"),
  /** JSMemoryResourcesExceededErr: a stream's max_bytes does not fit the server's max memory. */
  memoryResourcesExceeded: (): ApiError => error(500, 10028, "insufficient memory resources available"),
  /** JSStorageResourcesExceededErr: the same for file storage. */
  storageResourcesExceeded: (): ApiError => error(500, 10047, "insufficient storage resources available"),
  /** JSNotEnabledErr: an API subject we do not serve. */
  notEnabled: (): ApiError => error(503, 10076, "JetStream not enabled"),

  /** JSStreamNotFoundErr */
  streamNotFound: (): ApiError => error(404, 10059, "stream not found"),
  /** JSStreamMismatchErr */
  streamNameMismatch: (): ApiError => error(400, 10056, "stream name in subject does not match request"),
  /** JSStreamNameExistErr */
  streamNameExists: (): ApiError => error(400, 10058, "stream name already in use with a different configuration"),
  /** JSStreamSubjectOverlapErr */
  subjectsOverlap: (): ApiError => error(400, 10065, "subjects overlap with an existing stream"),
  /** JSStreamInvalidConfigF: every validation failure of a stream configuration. */
  invalidConfig: (why: string): ApiError => error(500, 10052, why),
  /** JSStreamNameContainsPathSeparatorsErr */
  nameHasPathSeparators: (): ApiError => error(400, 10128, "Stream name can not contain path separators"),
  /** JSStreamReplicasNotSupportedErr */
  replicasNotSupported: (): ApiError => error(500, 10074, "replicas > 1 not supported in non-clustered mode"),
  /** JSMaximumStreamsLimitErr */
  maxStreams: (): ApiError => error(400, 10027, "maximum number of streams reached"),
  /** JSStreamCreateErrF */
  streamCreate: (why: string): ApiError => error(500, 10049, why),
  /** JSStreamUpdateErrF */
  streamUpdate: (why: string): ApiError => error(500, 10069, why),
  /** JSStreamDeleteErrF */
  streamDelete: (why: string): ApiError => error(500, 10050, why),
  /** JSStreamGeneralErrorF */
  streamGeneral: (why: string): ApiError => error(500, 10051, why),

  /** JSStreamSealedErr */
  sealed: (): ApiError => error(400, 10109, "invalid operation on sealed stream"),
  /** JSStreamPurgeFailedF */
  purgeFailed: (why: string): ApiError => error(500, 10110, why),
  /** JSStreamMsgDeleteFailedF */
  msgDeleteFailed: (why: string): ApiError => error(500, 10057, why),
  /** JSSequenceNotFoundErrF */
  sequenceNotFound: (seq: number): ApiError => error(400, 10043, `sequence ${seq} not found`),
  /** JSNoMessageFoundErr */
  noMessageFound: (): ApiError => error(404, 10037, "no message found"),

  /** JSStreamNotMatchErr: Nats-Expected-Stream names another stream. */
  streamNotMatch: (): ApiError => error(400, 10060, "expected stream does not match"),
  /** JSStreamWrongLastSequenceErrF */
  wrongLastSequence: (seq: number): ApiError => error(400, 10071, `wrong last sequence: ${seq}`),
  /** JSStreamWrongLastMsgIDErrF */
  wrongLastMsgId: (id: string): ApiError => error(400, 10070, `wrong last msg ID: ${id}`),
  /** JSStreamMessageExceedsMaximumErr */
  messageTooLarge: (): ApiError => error(400, 10054, "message size exceeds maximum allowed"),
  /** JSStreamHeaderExceedsMaximumErr */
  headerTooLarge: (): ApiError => error(400, 10097, "header size exceeds maximum allowed of 64k"),
  /** JSStreamRollupFailedF */
  rollupFailed: (why: string): ApiError => error(500, 10111, why),
  /** JSStreamStoreFailedF: discard new refusals carry the store's text. */
  storeFailed: (why: string): ApiError => error(503, 10077, why),
  /** JSStreamExpectedLastSeqPerSubjectInvalid */
  expectedLastSubjectSeqInvalid: (): ApiError => error(400, 10193, "missing sequence for expected last sequence per subject"),
} as const;

/** The store's refusals under `discard: "new"` (server/store.go), sent inside `storeFailed`. */
export const DiscardNewRefusal = {
  maxMsgs: "maximum messages exceeded",
  maxBytes: "maximum bytes exceeded",
  maxMsgsPerSubject: "maximum messages per subject exceeded",
} as const;
