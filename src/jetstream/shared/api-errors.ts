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
  /**
   * JSInvalidJSONErr with the words of a field's own decoder, which Go's json passes through
   * unwrapped: a bad stream `compression` is `invalid JSON: unknown compression algorithm`
   * (filestore.go StoreCompression.UnmarshalJSON) from every release that has the field.
   */
  invalidJsonBecause: (reason: string): ApiError => error(400, 10025, `invalid JSON: ${reason}`),
  /** JSInvalidJSONErr with the decoder's words, as nats-server 2.12's strict validation sends it. */
  unknownField: (name: string): ApiError => error(400, 10025, `invalid JSON: json: unknown field ${JSON.stringify(name)}`),
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
  /** JSMaximumConsumersLimitErr: also a stream's `max_consumers` above the account's. */
  maximumConsumersLimit: (): ApiError => error(400, 10026, "maximum consumers limit reached"),
  /** JSStreamMaxBytesRequired: the account's `max_bytes_required`. */
  maxBytesRequired: (): ApiError => error(400, 10113, "account requires a stream config to have max bytes set"),
  /** JSStreamMaxStreamBytesExceeded: above the account's `memory/storage_max_stream_bytes`. */
  maxStreamBytesExceeded: (): ApiError => error(400, 10122, "stream max bytes exceeds account limit max stream bytes"),
  /** JSRequiredApiLevelErr: `Nats-Required-Api-Level` above this broker's API level. */
  requiredApiLevel: (): ApiError => error(412, 10185, "JetStream minimum api level required"),
  /** JSNotEnabledForAccountErr: JetStream is on, but not for the requester's account. */
  notEnabledForAccount: (): ApiError => error(503, 10039, "JetStream not enabled for account"),
  /** JSStreamCreateErrF */
  streamCreate: (why: string): ApiError => error(500, 10049, why),
  /** JSStreamUpdateErrF */
  streamUpdate: (why: string): ApiError => error(500, 10069, why),
  /** JSStreamDeleteErrF */
  streamDelete: (why: string): ApiError => error(500, 10050, why),
  /** JSStreamGeneralErrorF */
  streamGeneral: (why: string): ApiError => error(500, 10051, why),

  /** JSMessageTTLInvalidErr: a `Nats-TTL` nats-server cannot read, or under one second. */
  msgTtlInvalid: (): ApiError => error(400, 10165, "invalid per-message TTL"),
  /** JSMessageTTLDisabledErr: a `Nats-TTL` on a stream without `allow_msg_ttl`. */
  msgTtlDisabled: (): ApiError => error(400, 10166, "per-message TTL is disabled"),

  /** JSMessageIncrDisabledErr: `Nats-Incr` on a stream without `allow_msg_counter`. */
  counterDisabled: (): ApiError => error(400, 10168, "message counters is disabled"),
  /** JSMessageIncrMissingErr: a counter stream takes only increments. */
  counterIncrMissing: (): ApiError => error(400, 10169, "message counter increment is missing"),
  /** JSMessageIncrPayloadErr */
  counterHasPayload: (): ApiError => error(400, 10170, "message counter has payload"),
  /** JSMessageIncrInvalidErr: not an integer, or with rollup or expectation headers. */
  counterIncrInvalid: (): ApiError => error(400, 10171, "message counter increment is invalid"),
  /** JSMessageCounterBrokenErr: the subject's last message is no counter. */
  counterBroken: (): ApiError => error(400, 10172, "message counter is broken"),
  /** JSMirrorWithCountersErr */
  mirrorWithCounters: (): ApiError => error(400, 10173, "stream mirrors can not also calculate counters"),

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
  /** The mirror and source refusals of checkStreamCfg (JSMirror…, JSSource…): all 400. */
  sourcing: (errCode: number, description: string): ApiError => error(400, errCode, description),
  /** JSStreamTransformInvalidSource. */
  transformInvalidSource: (why: string): ApiError => error(400, 10155, `stream transform source: ${why}`),
  /** JSStreamTransformInvalidDestination. */
  transformInvalidDestination: (why: string): ApiError => error(400, 10156, `stream transform: ${why}`),
} as const;

/** The store's refusals under `discard: "new"` (server/store.go), sent inside `storeFailed`. */
export const DiscardNewRefusal = {
  maxMsgs: "maximum messages exceeded",
  maxBytes: "maximum bytes exceeded",
  maxMsgsPerSubject: "maximum messages per subject exceeded",
} as const;

/**
 * The errors of the consumer API (server/errors.json), appended by the consumer side; the ones
 * both sides send come from {@link JsErrors}.
 */
export const ConsumerErrors = {
  badRequest: JsErrors.badRequest,
  invalidJson: JsErrors.invalidJson,
  unknownField: JsErrors.unknownField,
  streamNotFound: JsErrors.streamNotFound,
  streamMismatch: JsErrors.streamNameMismatch,
  invalidConfig: JsErrors.invalidConfig,
  replicasNotSupported: JsErrors.replicasNotSupported,
  notEnabled: JsErrors.notEnabled,
  /** JSReplicasCountCannotBeNegative */
  replicasNegative: () => error(400, 10133, "replicas count cannot be negative"),
  consumerNotFound: () => error(404, 10014, "consumer not found"),
  filterNotSubset: () => error(400, 10093, "consumer filter subject is not a valid subset of the interest subjects"),
  configRequired: () => error(400, 10078, "consumer config required"),
  nameExists: () => error(400, 10013, "consumer name already in use"),
  alreadyExists: () => error(400, 10148, "consumer already exists"),
  doesNotExist: () => error(400, 10149, "consumer does not exist"),
  createError: (detail: string) => error(500, 10012, detail),
  durableNameNotInSubject: () => error(400, 10016, "consumer expected to be durable but no durable name set in subject"),
  durableNameNotSet: () => error(400, 10018, "consumer expected to be durable but a durable name was not set"),
  durableNameNotMatchSubject: () => error(400, 10017, "consumer name in subject does not match durable name in request"),
  ephemeralWithDurableName: () => error(400, 10020, "consumer expected to be ephemeral but a durable name was set in request"),
  nameContainsPathSeparators: () => error(400, 10127, "Consumer name can not contain path separators"),
  nameTooLong: () => error(400, 10102, "consumer name is too long, maximum allowed is 255"),
  badDurableName: () => error(400, 10103, "durable name can not contain '.', '*', '>'"),
  descriptionTooLong: () => error(400, 10107, "consumer description is too long, maximum allowed is 4096"),
  metadataTooLong: () => error(400, 10135, "consumer metadata exceeds maximum size of 128KB"),
  deliverToWildcards: () => error(400, 10079, "consumer deliver subject has wildcards"),
  invalidDeliverSubject: () => error(400, 10112, "invalid push consumer deliver subject"),
  deliverCycle: () => error(400, 10081, "consumer deliver subject forms a cycle"),
  pushMaxWaiting: () => error(400, 10080, "consumer in push mode can not set max waiting"),
  maxPendingAckPolicyRequired: () => error(400, 10082, "consumer requires ack policy for max ack pending"),
  smallHeartbeat: () => error(400, 10083, "consumer idle heartbeat needs to be >= 100ms"),
  pullRequiresAck: () => error(400, 10084, "consumer in pull mode requires explicit ack policy on workqueue stream"),
  pullWithRateLimit: () => error(400, 10086, "consumer in pull mode can not have rate limit set"),
  maxWaitingNegative: () => error(400, 10087, "consumer max waiting needs to be positive"),
  heartbeatRequiresPush: () => error(400, 10088, "consumer idle heartbeat requires a push based consumer"),
  flowControlRequiresPush: () => error(400, 10089, "consumer flow control requires a push based consumer"),
  maxRequestBatchNegative: () => error(400, 10114, "consumer max request batch needs to be > 0"),
  maxRequestExpiresTooSmall: () => error(400, 10115, "consumer max request expires needs to be >= 1ms"),
  maxDeliverBackoff: () => error(400, 10116, "max deliver is required to be > length of backoff values"),
  flowControlNeedsHeartbeats: () => error(400, 10108, "consumer with flow control also needs heartbeats"),
  durableAndNameMismatch: () => error(400, 10132, "Consumer Durable and Name have to be equal if both are provided"),
  createFilterSubjectMismatch: () => error(400, 10131, "Consumer create request did not match filtered subject from create subject"),
  multipleFiltersNotAllowed: () => error(400, 10137, "consumer with multiple subject filters cannot use subject based API"),
  duplicateFilterSubjects: () => error(400, 10136, "consumer cannot have both FilterSubject and FilterSubjects specified"),
  overlappingFilterSubjects: () => error(400, 10138, "consumer subject filters cannot overlap"),
  emptyFilter: () => error(400, 10139, "consumer filter in FilterSubjects cannot be empty"),
  invalidPolicy: (detail: string) => error(400, 10094, detail),
  invalidSampling: (detail: string) => error(400, 10095, `failed to parse consumer sampling configuration: ${detail}`),
  ackWaitNegative: () => error(400, 10183, "consumer ack wait needs to be positive"),
  backoffNegative: () => error(400, 10184, "consumer backoff needs to be positive"),
  maxPendingAckExcess: (limit: number) => error(400, 10121, `consumer max ack pending exceeds system limit of ${limit}`),
  inactiveThresholdExcess: (limit: string) => error(400, 10153, `consumer inactive threshold exceeds system limit of ${limit}`),
  wqRequiresExplicitAck: () => error(400, 10098, "workqueue stream requires explicit ack"),
  wqMultipleUnfiltered: () => error(400, 10099, "multiple non-filtered consumers not allowed on workqueue stream"),
  wqConsumerNotUnique: () => error(400, 10100, "filtered consumer not unique on workqueue stream"),
  wqConsumerNotDeliverAll: () => error(400, 10101, "consumer must be deliver all on workqueue stream"),
  maximumConsumersLimit: JsErrors.maximumConsumersLimit,
  existingActive: () => error(400, 10105, "consumer already exists and is still active"),
  replacementWithDifferentName: () => error(400, 10106, "consumer replacement durable config not the same"),
  replicasExceedStream: () => error(400, 10126, "consumer config replica count exceeds parent stream"),
  /** JSPedanticErrF: `pedantic: true` and the server would have changed the config. */
  pedantic: (detail: string) => error(400, 10157, `pedantic mode: ${detail}`),
  priorityPolicyWithoutGroup: () => error(400, 10159, "Setting PriorityPolicy requires at least one PriorityGroup to be set"),
  invalidPriorityGroup: () => error(400, 10160, "Provided priority group does not exist for this consumer"),
  emptyGroupName: () => error(400, 10161, "Group name cannot be an empty string"),
  invalidGroupName: () => error(400, 10162, "Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters"),
  pushWithPriorityGroup: () => error(400, 10178, "priority groups can not be used with push consumers"),
  priorityGroupWithPolicyNone: () => error(400, 10196, "consumer can not have priority groups when policy is none"),
  pinnedTtlWithPolicyNone: () => error(400, 10197, "PinnedTTL cannot be set when PriorityPolicy is none"),
  /** JSConsumerInvalidResetErr */
  invalidReset: (detail: string) => error(400, 10204, `invalid reset: ${detail}`),
} as const;
