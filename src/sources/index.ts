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
export { ImportError, MAX_IMPORT_ISSUES, describeIssue } from './errors.js';

export type { BarSource, SourceBatch, SourceHealth, SourceRequest } from './bar-source.js';
export type { SyntheticSourceOptions } from './synthetic/synthetic-source.js';
export type { DemoSourceOptions } from './synthetic/demo-nodes.js';
export type { DefectKind } from './synthetic/defects.js';
export type { ImportFormat, ImportOptions, ImportReport } from './file-import/import-file.js';
export type { CsvImportIssue, ImportIssue, ParquetImportIssue } from './errors.js';
