// The door of sources: upstream sources behind the BarSource interface, and file import.
export {
  createSyntheticSource, weekendRanges, DEFAULT_SYNTHETIC_SEED, DEFAULT_SYNTHETIC_BASE_PRICE, DEFAULT_SYNTHETIC_VOLATILITY,
  MAX_SYNTHETIC_BARS_PER_FETCH,
} from './synthetic/synthetic-source.js';
export {
  createDemoSource, DEMO_NODE_BTC, DEMO_NODE_ETH, DEMO_NODE_EQUITY, DEMO_NODE_DEFECTS, DEMO_NODES,
} from './synthetic/demo-nodes.js';
export { DEFECT_WINDOW, DEFECT_KINDS } from './synthetic/defects.js';
export { importFile } from './file-import/import-file.js';
export { ImportError, MAX_IMPORT_ISSUES, describeIssue, ExchangeRequestError } from './errors.js';
export {
  createCcxtSource, DEFAULT_CCXT_TIMEOUT_MS, DEFAULT_PAGE_LIMIT, DEFAULT_REQUESTS_PER_SECOND, MAX_RATE_LIMIT_RETRIES, MAX_RATE_LIMIT_WAIT_MS,
} from './exchange/ccxt-source.js';
export { loadCcxt, DEFAULT_RATE_LIMIT_PAUSE_MS } from './exchange/ccxt-exchange.js';
export { exchangeNodePrefix, symbolOfNode } from './exchange/exchange-node.js';
export { fetchPaged, pageRequest, closedEnd } from './exchange/ohlcv-pages.js';
export { gridTimeframes, timeframeFor, timeframeMs } from './exchange/timeframes.js';
export { translateExchangeError, parseRetryAfter, MAX_RETRY_AFTER_MS } from './exchange/exchange-errors.js';
export { checkRate, decidePause, decidePermit, emissionIntervalMs, nextPermitInMs, toleranceMs } from './upstream-budget/gcra.js';
export { createMemoryBudgetStore } from './upstream-budget/budget-store.js';
export { createStorePermitAuthority } from './upstream-budget/permit-authority.js';
export { createUpstreamBudgets } from './upstream-budget/upstream-budget.js';
export { createWebSocketFeed, DEFAULT_WS_HANDSHAKE_TIMEOUT_MS } from './live/websocket-feed.js';
export { createCcxtProFeed, CCXT_OHLCV_COLUMNS } from './live/ccxt-pro-feed.js';
export {
  compileMessageMapping, renderTemplate, checkTemplate, templateVars, TEMPLATE_PLACEHOLDERS,
} from './live/message-mapping.js';
export { reconnectDelay, reconnectCap, checkReconnectPolicy } from './live/reconnect-backoff.js';
export { createBarCloser } from './live/bar-closer.js';

export type { BarSource, SourceBatch, SourceHealth, SourceRequest } from './bar-source.js';
export type { SyntheticSourceOptions } from './synthetic/synthetic-source.js';
export type { DemoSourceOptions } from './synthetic/demo-nodes.js';
export type { DefectKind } from './synthetic/defects.js';
export type { ImportFormat, ImportOptions, ImportReport } from './file-import/import-file.js';
export type { CsvImportIssue, ImportIssue, ParquetImportIssue, ExchangeFailureReason } from './errors.js';
export type { CcxtSourceOptions } from './exchange/ccxt-source.js';
export type { Ccxt, ExchangeSettings, UpstreamMetrics } from './exchange/ccxt-exchange.js';
export type { HttpAnswer } from './exchange/exchange-errors.js';
export type { OhlcvRow, PageFetcher, PagePlan, PagedBars } from './exchange/ohlcv-pages.js';
export type { BudgetRate, BudgetState, PermitVerdict } from './upstream-budget/gcra.js';
export type { BudgetRecord, CompareAndSetResult, UpstreamBudgetStore } from './upstream-budget/budget-store.js';
export type { BudgetView, PermitAuthority, PermitDecision, StorePermitAuthorityOptions } from './upstream-budget/permit-authority.js';
export type { BudgetSnapshot, UpstreamBudget, UpstreamBudgetOptions, UpstreamBudgets } from './upstream-budget/upstream-budget.js';
export type {
  LiveEvent, LiveEventType, LiveFeed, LiveFeedCommonOptions, LiveFeedHooks, LiveFeedKind, LiveFeedLog, LiveMessageOutcome,
  LiveSubscription, ReconnectPolicy,
} from './live/live-feed.js';
export type { WebSocketFeedOptions } from './live/websocket-feed.js';
export type { CcxtProFeedOptions, CcxtStaticMarket } from './live/ccxt-pro-feed.js';
export type {
  CompiledMapping, FieldPath, MappedBar, MappingResult, MessageMapping, TemplatePlaceholder, TsUnit,
} from './live/message-mapping.js';
export type { BarCloser } from './live/bar-closer.js';
