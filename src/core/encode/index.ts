// The door of core/encode: frames to columnar JSON, CSV and Arrow IPC, and Arrow back to frames.
export { encodeColumnarJson, columnarJsonSlices, JSON_SLICE_VALUES } from './columnar-json.js';
export { encodeCsv, csvSlices, CSV_SLICE_ROWS } from './csv.js';
export { encodeArrowIpc, arrowIpcChunks, ARROW_BATCH_ROWS, decodeArrowIpc, ARROW_SCHEMA_KEY, ARROW_METADATA_KEY } from './arrow-ipc.js';
export { arrowIpcByteLength, arrowSchemaMessageBytes } from './arrow-size.js';

export { universeJsonSlices, universeCsvSlices, encodeUniverseJson, encodeUniverseCsv } from './universe-text.js';
export { universeArrowChunks, encodeUniverseArrow } from './universe-arrow.js';
export { encodeLiveBatchArrow, decodeLiveBatchArrow, liveBatchRowBytes, ARROW_INTERVAL_KEY, ARROW_PHASE_KEY } from './live-batch-arrow.js';

export type { CsvOptions } from './csv.js';
export type { DecodedArrow } from './arrow-ipc.js';
export type { LiveBatch, DecodedLiveBatch } from './live-batch-arrow.js';
