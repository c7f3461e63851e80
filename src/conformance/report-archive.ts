/**
 * The append-only archive of conformance reports with findings. Conformance owns the
 * interface; the engines (src/engines/duckdb, src/engines/postgres) implement it.
 */
import type { IngestFinding, TimeRange } from '../core/index.js';
import type { ConformanceReport } from './conformance-report.js';

export interface ReportArchive {
  /** Stores a report (its `id` and `uri` set by the caller) and returns it. Never overwrites. */
  append(report: ConformanceReport): Promise<ConformanceReport>;
  get(id: string): Promise<ConformanceReport | undefined>;
  /** Newest first; filtered by node (and interval) when given. */
  list(filter: { readonly nodeId?: string; readonly intervalMs?: number; readonly limit?: number }): Promise<ConformanceReport[]>;
  /**
   * The newest report of a dataset, if any; with `overlapping`, the newest whose range overlaps
   * it (the one the regression digest compares with: like with like).
   */
  latest(nodeId: string, intervalMs: number, overlapping?: TimeRange): Promise<ConformanceReport | undefined>;
}

/** Row-level findings met when upstream batches were stored: the record is core's (storage writes it too). */
export type { IngestFinding };

/** A finding as the store keeps it: with the time a later write superseded it, if one did. */
export interface RecordedFinding extends IngestFinding {
  /**
   * When a later write replaced the rows this finding describes (a repair, a re-import): from
   * then on it is history, kept for audit, and no longer reported or blocking. Null while in force.
   */
  readonly supersededAt: number | null;
}

/**
 * Findings belong to the rows they describe: every bar write supersedes, in its transaction, the
 * findings inside the ranges it claims (before inserting the findings it carries itself).
 */
export interface IngestFindingStore {
  appendFindings(findings: readonly IngestFinding[]): Promise<void>;
  /** Findings in force (not superseded) of a dataset with start <= ts < end, by ts then arrival. */
  findings(nodeId: string, intervalMs: number, start: number, end: number): Promise<IngestFinding[]>;
  /** Every finding recorded for the dataset with start <= ts < end, superseded ones included. */
  history(nodeId: string, intervalMs: number, start: number, end: number): Promise<RecordedFinding[]>;
}
