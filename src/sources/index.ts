// The door of sources: upstream sources behind the BarSource interface, and file import.
export { createSyntheticSource } from './synthetic/synthetic-source.js';
export { importFile } from './file-import/import-file.js';
export { ImportError, describeIssue } from './errors.js';
export { createCcxtSource } from './exchange/ccxt-source.js';
export { createMemoryBudgetStore } from './upstream-budget/budget-store.js';
export { createStorePermitAuthority } from './upstream-budget/permit-authority.js';
export { createUpstreamBudgets } from './upstream-budget/upstream-budget.js';
export { createWebSocketFeed } from './live/websocket-feed.js';
export { createCcxtProFeed } from './live/ccxt-pro-feed.js';

export type { BarSource, SourceBatch, SourcePageSize } from './bar-source.js';
export type { ImportReport } from './file-import/import-file.js';
export type { ExchangeFailureReason } from './errors.js';
export type { UpstreamMetrics } from './exchange/ccxt-exchange.js';
export type { BudgetRate, BudgetState } from './upstream-budget/gcra.js';
export type { BudgetRecord, CompareAndSetResult, UpstreamBudgetStore } from './upstream-budget/budget-store.js';
export type { BudgetView, PermitAuthority, PermitDecision } from './upstream-budget/permit-authority.js';
export type { UpstreamBudget, UpstreamBudgets } from './upstream-budget/upstream-budget.js';
export type { LiveEvent, LiveFeed, LiveFeedCommonOptions } from './live/live-feed.js';
