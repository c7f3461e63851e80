// The door of conformance: the pipeline (schema rollup, temporal rollup, quality flags), its
// report, the regression digest, ingest findings, the blocking decision, and the interfaces the
// report archive and the ingest-finding store implement (in storage/).
export { CONFORMANCE_VERSION } from './conformance-version.js';
export { frameToRawBatch } from './raw-batch.js';
export { createConformancePipeline } from './conformance-pipeline.js';
export { regressionDigest } from './regression-digest.js';
export { mergeIngestFindings } from './ingest-findings.js';
export { blockingDecision } from './blocking.js';
export {
  DEFAULT_REPORT_LIST_LIMIT, MAX_REPORT_LIST_LIMIT, archivableReportId, decodeReport, duplicateReportError, encodeReport, reportListLimit, reportListQuery,
} from './report-codec.js';

export type { FlagType } from './flags.js';
export type { ConformanceReport, ConformanceMode } from './conformance-report.js';
export type { ReportArchive, IngestFinding, IngestFindingStore, RecordedFinding } from './report-archive.js';
export type { ConformancePipeline } from './conformance-pipeline.js';
