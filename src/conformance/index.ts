// The door of conformance: the pipeline (schema rollup, temporal rollup, quality flags), its
// report, the regression digest, ingest findings, the blocking decision, and the interfaces the
// report archive and the ingest-finding store implement (in storage/).
export { FLAG_CATALOGUE, FLAG_TYPES, flagLevel } from './flags.js';
export { CONFORMANCE_VERSION } from './conformance-version.js';
export { frameToRawBatch } from './raw-batch.js';
export { createConformancePipeline, DEFAULT_CONFORMANCE_OPTIONS } from './conformance-pipeline.js';
export { regressionDigest } from './regression-digest.js';
export { mergeIngestFindings } from './ingest-findings.js';
export { blockingDecision } from './blocking.js';
export { inferEpochUnit } from './timestamp-normaliser.js';

export type { FlagType, FlagLevel, FlagStage } from './flags.js';
export type { RawBatch, RawColumn } from './raw-batch.js';
export type {
  ConformanceReport, ConformanceWarning, CompletenessWindow, RegressionDigest, ConformanceMode,
} from './conformance-report.js';
export type { ReportArchive, IngestFinding, IngestFindingStore, RecordedFinding } from './report-archive.js';
export type { ConformanceOptions, CheckInput, CheckResult, ConformancePipeline } from './conformance-pipeline.js';
export type { EpochUnit } from './timestamp-normaliser.js';
