/** The shapes of the gateway's answers the page reads (docs/http-api.md), as far as it reads them. */
export interface IntervalCoverage {
  readonly interval: string;
  readonly intervalMs: number;
  readonly derivedFrom: string | null;
  readonly firstBar: number | null;
  readonly lastBar: number | null;
  readonly barsStored: number;
  readonly knownEmptyBars: number;
  readonly failedBars: number;
  readonly lastWrite: number | null;
}

export interface Dataset {
  readonly nodeId: string;
  readonly intervals: readonly string[];
  readonly intervalsMs: readonly number[];
  readonly source: string | null;
  readonly slaPolicy: string | null;
  readonly description: string | null;
  readonly coverage: readonly IntervalCoverage[];
}

export interface DayEntry {
  readonly date: string;
  readonly start: number;
  readonly condition: 'available' | 'degraded' | 'pending' | 'missing';
  readonly reason: string;
  readonly bars: { readonly expected: number; readonly closed: number; readonly stored: number; readonly knownEmpty: number; readonly failed: number; readonly missing: number };
  readonly findings: number;
}

export interface ConditionAnswer {
  readonly days: readonly DayEntry[];
  readonly summary: Readonly<Record<string, number>>;
}

export interface Job {
  readonly id: string;
  readonly node: string;
  readonly intervalMs: number;
  readonly state: string;
  readonly totalShards: number;
  readonly completionRatio: number;
  readonly rowsWritten: number;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

export interface BarsAnswer {
  readonly data: { readonly ts: readonly number[]; readonly open: readonly number[]; readonly high: readonly number[]; readonly low: readonly number[]; readonly close: readonly number[] };
  readonly metadata: { readonly rows: number; readonly partial: boolean; readonly coverageRatio: number; readonly conformance?: { readonly flags: Readonly<Record<string, number>> } };
}

export interface ReportSummary {
  readonly id: string;
  readonly node: string;
  readonly interval: string;
  readonly origin: string;
  readonly createdAt: number;
  readonly rows: number;
  readonly flags: Readonly<Record<string, number>>;
  readonly hasErrors: boolean;
  readonly regressed: boolean;
}
