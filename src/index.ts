// seamless-data-provider: the library entry point.
export { createSeamless } from './app/index.js';
export { STRATEGIES, encodeResumeToken, positionKey } from './provider/index.js';
export { subscribe, GatewayStreamError } from './gateway/index.js';
export type { StreamBars, StreamEvent, SubscribeOptions } from './gateway/index.js';
export {
  SeamlessError, InvalidRequestError, NotFoundError, DataUnavailableError, UpstreamUnavailableError, ConflictError,
  OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA, encodeArrowIpc, decodeArrowIpc, encodeColumnarJson, encodeCsv, fingerprintFrame,
  parseInterval, parseTime, formatInterval, formatTime,
} from './core/index.js';

export type { Seamless, CreateSeamlessOptions } from './app/index.js';
export type { FetchRequest, FetchResult, ReadMetadata, Strategy } from './provider/index.js';
export type { Frame, FrameSchema, TimeRange, ErrorCode } from './core/index.js';
export type { SeamlessConfig, SeamlessConfigInput } from './config/index.js';
