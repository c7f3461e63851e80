// The door of core: time & intervals, range algebra, frames and their encoders, errors, clock.
export {
  ERROR_STATUS, ERROR_CODES, SeamlessError, InvalidRequestError, InvertedRangeError, UnauthorizedError,
  ForbiddenError, NotFoundError, ConflictError, StaleFencingTokenError, DataUnavailableError,
  UpstreamUnavailableError, SeamlessSLAExceeded, InternalError, OverloadedError, AbortedError, isSeamlessError, toSeamlessError,
} from './errors.js';
export { OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA, FRAME_SCHEMAS, frameSchemaByName } from './frame-schema.js';
export { createFrame, allocateFrame, emptyFrame, concatFrames, lowerBound } from './frame.js';
export { createUniverseFrame, nodeIndexColumn } from './universe-frame.js';
export { systemClock } from './clock.js';
export { delay, abortable } from './delay.js';
export { parseInterval, formatInterval, INTERVAL_NAMES } from './interval.js';
export { MAX_TIME_MS, parseTime, formatTime } from './time.js';
export {
  alignDown, alignUp, alignRange, barCount, normaliseRanges, intersectRanges, subtractRanges, missingRanges,
  shardsCovering,
} from './range.js';
export { encodeColumnarJson, columnarJsonSlices, encodeCsv, csvSlices, encodeArrowIpc, arrowIpcChunks, decodeArrowIpc } from './encode/index.js';
export { arrowIpcByteLength, arrowSchemaMessageBytes } from './encode/index.js';
export { universeJsonSlices, universeCsvSlices, universeArrowChunks, encodeUniverseJson, encodeUniverseCsv, encodeUniverseArrow } from './encode/index.js';
export { encodeLiveBatchArrow, decodeLiveBatchArrow, liveBatchRowBytes } from './encode/index.js';
export { fingerprintFrame, fingerprintFrameAsync } from './fingerprint.js';
export { ResourceStack } from './resource-stack.js';
export { RETRY_POLICIES, isRetryable, backoffCap, backoffDelay, retry } from './retry-policy.js';
export { FILL_MODES, bucketEdges, checkAlign, edgesOnGrid, fillGaps, isTimeZone, ohlcvOutput, partialBuckets, resampleOhlcv } from './resample/index.js';

export type { ErrorCode, ErrorBody } from './errors.js';
export type { ErrorReason, ErrorDetails } from './error-reasons.js';
export type { FrameSchema } from './frame-schema.js';
export type { Frame } from './frame.js';
export type { UniverseFrame } from './universe-frame.js';
export type { LiveBatch, DecodedLiveBatch } from './encode/index.js';
export type { Clock } from './clock.js';
export type { TimeRange } from './range.js';
export type { IngestFinding } from './ingest-finding.js';
export type { Backoff, Jitter, RetryPolicy, RetryOptions } from './retry-policy.js';
export type { FillMode, Filled, OhlcvOutput, Resampled } from './resample/index.js';
export {
  ALWAYS_OPEN, CALENDAR_NAMES, DEFAULT_CALENDAR, XNYS_SPECIAL_CLOSURES, XNYS_TIME_ZONE, calendarByName, calendarSource,
  isCalendarName, isCalendarSource,
} from './calendar/index.js';
export type { CalendarName, Sessions, TradingCalendar } from './calendar/index.js';
