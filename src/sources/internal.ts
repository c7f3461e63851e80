// The internal door of sources, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { reconnectCap, checkReconnectPolicy, reconnectDelay } from './live/reconnect-backoff.js';
export { MAX_IMPORT_ISSUES, ExchangeRequestError } from './errors.js';
export { MAX_RETRY_AFTER_MS, parseRetryAfter, translateExchangeError } from './exchange/exchange-errors.js';
export { exchangeNodePrefix, symbolOfNode } from './exchange/exchange-node.js';
export { gridTimeframes, timeframeFor, timeframeMs } from './exchange/timeframes.js';
export { loadCcxt } from './exchange/ccxt-exchange.js';
export { closedEnd, fetchPaged, pageRequest } from './exchange/ohlcv-pages.js';
export { DEFECT_WINDOW } from './synthetic/defects.js';
export { DEMO_NODE_BTC, DEMO_NODE_DEFECTS, DEMO_NODE_EQUITY, createDemoSource } from './synthetic/demo-nodes.js';
export { decidePause, decidePermit } from './upstream-budget/gcra.js';
export { createBarCloser } from './live/bar-closer.js';
export { checkTemplate, compileMessageMapping, renderTemplate, templateVars } from './live/message-mapping.js';
export { createMessageRouter } from './live/message-router.js';

export type { MessageMapping, TsUnit } from './live/message-mapping.js';
export type { SourceRequest } from './bar-source.js';
export type { LiveSubscription } from './live/live-feed.js';
export type { CsvImportIssue, ParquetImportIssue } from './errors.js';
export type { ImportOptions } from './file-import/import-file.js';
export type { OhlcvRow, PageFetcher } from './exchange/ohlcv-pages.js';
