// The door of core: time & intervals, range algebra, frames and their encoders, errors, clock.
export {
  ERROR_STATUS, ERROR_CODES, SeamlessError, InvalidRequestError, InvertedRangeError, UnauthorizedError,
  ForbiddenError, NotFoundError, ConflictError, StaleFencingTokenError, DataUnavailableError,
  UpstreamUnavailableError, SeamlessSLAExceeded, InternalError, OverloadedError, AbortedError, isSeamlessError, toSeamlessError,
} from './errors.js';
export { ERROR_REASONS, ERROR_REASON_CODES } from './error-reasons.js';
export { OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA, FRAME_SCHEMAS, frameSchemaByName, columnNames } from './frame-schema.js';
export { createFrame, allocateFrame, emptyFrame, concatFrames, lowerBound, sliceByTime } from './frame.js';
export { systemClock, createManualClock } from './clock.js';
export { delay, abortable } from './delay.js';
export { parseInterval, formatInterval, INTERVAL_NAMES } from './interval.js';
export { MAX_TIME_MS, parseTime, formatTime } from './time.js';
export {
  alignDown, alignUp, alignRange, isAlignedRange, barCount, normaliseRanges, unionRanges, intersectRanges,
  subtractRanges, missingRanges, shardsCovering, totalLength,
} from './range.js';
export { encodeColumnarJson, columnarJsonSlices, JSON_SLICE_VALUES, encodeCsv, csvSlices, CSV_SLICE_ROWS, encodeArrowIpc, decodeArrowIpc } from './encode/index.js';
export { fingerprintFrame, fingerprintFrameAsync } from './fingerprint.js';
export { ResourceStack, ResourceStackDisposedError } from './resource-stack.js';
export { RETRY_POLICIES, isRetryable, backoffCap, backoffDelay, retry } from './retry-policy.js';

export type { ErrorCode, ErrorBody } from './errors.js';
export type { ErrorReason, ErrorDetails, ReasonedCode } from './error-reasons.js';
export type { ColumnSpec, FrameSchema, FrameSchemaName } from './frame-schema.js';
export type { Frame } from './frame.js';
export type { Clock, ManualClock } from './clock.js';
export type { TimeRange } from './range.js';
export type { DecodedArrow } from './encode/index.js';
export type { DisposeFn, WithSuppressed } from './resource-stack.js';
export type { IngestFinding } from './ingest-finding.js';
export type { Backoff, Jitter, RetryPolicy, RetryOptions } from './retry-policy.js';
