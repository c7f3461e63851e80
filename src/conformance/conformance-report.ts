/**
 * The conformance report of one answer: counts per flag, warnings naming column, count and
 * first offending ts, the gaps found, completeness per window, and the regression digest
 * against the previous report of the dataset.
 */
import type { TimeRange } from '../core/index.js';
import type { FlagLevel, FlagType } from './flags.js';

export interface ConformanceWarning {
  readonly flag: FlagType;
  readonly level: FlagLevel;
  /** Column the finding is about (`ts` for temporal findings, `*` for whole rows). */
  readonly column: string;
  /** Rows (or bars, for gaps) affected. */
  readonly count: number;
  /** First offending bar's ts (epoch ms), when there is one. */
  readonly firstTs: number | null;
  readonly message: string;
}

export interface CompletenessWindow {
  readonly start: number;
  readonly end: number;
  /** Bars expected on the grid, known-empty bars excluded. */
  readonly expected: number;
  readonly present: number;
  readonly ratio: number;
}

export interface RegressionDigest {
  /** Id of the report compared against; null for the dataset's first report. */
  readonly previousReportId: string | null;
  /** Flags present now and absent before. */
  readonly newFlags: readonly FlagType[];
  /** Flags whose rate (count / rows) grew, with both rates. */
  readonly increased: readonly { readonly flag: FlagType; readonly previousRate: number; readonly rate: number }[];
  /** Flags present before and absent now. */
  readonly resolved: readonly FlagType[];
  readonly regressed: boolean;
}

export type ConformanceMode = 'blocking' | 'shadow';

export interface ConformanceReport {
  /** Assigned when archived (reports without findings are not archived). */
  readonly id: string | null;
  /** `qmtl://observability/seamless/<nodeId>/<reportId>` once archived. */
  readonly uri: string | null;
  readonly nodeId: string;
  readonly intervalMs: number;
  /** Where the checked rows came from: a read answer, an upstream batch, an import. */
  readonly origin: 'read' | 'ingest' | 'import';
  readonly createdAt: number;
  readonly mode: ConformanceMode;
  readonly range: TimeRange;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly flags: Readonly<Partial<Record<FlagType, number>>>;
  readonly warnings: readonly ConformanceWarning[];
  readonly gaps: readonly TimeRange[];
  readonly completeness: { readonly windowMs: number; readonly windows: readonly CompletenessWindow[] };
  /** True when any error-level finding is present. */
  readonly hasErrors: boolean;
  readonly regression: RegressionDigest | null;
  /** Registry subject and version the schema rollup checked against, when any. */
  readonly schema: { readonly subject: string; readonly version: number; readonly mode: 'canary' | 'strict' } | null;
}
