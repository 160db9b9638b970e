/**
 * The refusals of batch publishing (nats-server 2.12 atomic batches, 2.14 fast batches), with
 * nats-server's `code`, `err_code` and description (server/errors.json). Kept apart from
 * {@link JsErrors} so the publish-side catalogue grows without touching the shared one.
 */
import type { ApiError } from "./contracts.ts";

const error = (code: number, err_code: number, description: string): ApiError => ({ code, err_code, description });

export const BatchErrors = {
  /** JSAtomicPublishDisabledErr: `Nats-Batch-Id` on a stream without `allow_atomic`. */
  atomicDisabled: (): ApiError => error(400, 10174, "atomic publish is disabled"),
  /** JSAtomicPublishMissingSeqErr: no (readable) `Nats-Batch-Sequence`. */
  atomicMissingSeq: (): ApiError => error(400, 10175, "atomic publish sequence is missing"),
  /** JSAtomicPublishIncompleteBatchErr: a gap, an unknown batch, a batch that timed out. */
  atomicIncomplete: (): ApiError => error(400, 10176, "atomic publish batch is incomplete"),
  /** JSAtomicPublishUnsupportedHeaderBatchErr */
  atomicUnsupportedHeader: (header: string): ApiError => error(400, 10177, `atomic publish unsupported header used: ${header}`),
  /** JSAtomicPublishInvalidBatchIDErr: longer than 64 characters. */
  atomicInvalidId: (): ApiError => error(400, 10179, "atomic publish batch ID is invalid"),
  /** JSAtomicPublishTooLargeBatchErrF */
  atomicTooLarge: (size: number): ApiError => error(400, 10199, `atomic publish batch is too large: ${size}`),
  /** JSAtomicPublishInvalidBatchCommitErr: `Nats-Batch-Commit` neither "1" nor "eob". */
  atomicInvalidCommit: (): ApiError => error(400, 10200, "atomic publish batch commit is invalid"),
  /** JSAtomicPublishContainsDuplicateMessageErr */
  atomicDuplicate: (): ApiError => error(400, 10201, "atomic publish batch contains duplicate message id"),
  /** JSAtomicPublishTooManyInflight */
  atomicTooManyInflight: (): ApiError => error(429, 10210, "atomic publish too many inflight"),
  /** JSStreamWrongLastSequenceConstantErr: an expected-sequence check a batch cannot honour. */
  wrongLastSequenceConstant: (): ApiError => error(400, 10164, "wrong last sequence"),
  /** JSMirrorWithAtomicPublishErr */
  mirrorWithAtomic: (): ApiError => error(400, 10198, "stream mirrors can not also use atomic publishing"),

  /** JSBatchPublishDisabledErr: a fast-batch reply on a stream without `allow_batched`. */
  fastDisabled: (): ApiError => error(400, 10205, "batch publish is disabled"),
  /** JSBatchPublishInvalidPatternErr: a `.$FI` reply that does not parse. */
  fastInvalidPattern: (): ApiError => error(400, 10206, "batch publish pattern is invalid"),
  /** JSBatchPublishInvalidBatchIDErr */
  fastInvalidId: (): ApiError => error(400, 10207, "batch publish ID is invalid"),
  /** JSBatchPublishUnknownBatchIDErr: a later message of a batch this stream does not know. */
  fastUnknownId: (): ApiError => error(400, 10208, "batch publish ID unknown"),
  /** JSMirrorWithBatchPublishErr */
  mirrorWithFast: (): ApiError => error(400, 10209, "stream mirrors can not also use batch publishing"),
  /** JSBatchPublishTooManyInflight */
  fastTooManyInflight: (): ApiError => error(429, 10211, "batch publish too many inflight"),
} as const;
