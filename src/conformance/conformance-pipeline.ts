/**
 * The conformance pipeline: schema rollup, temporal rollup (timestamp normalisation, order,
 * duplicates, grid, future bars, gaps, completeness) and quality flags over one batch, giving the
 * normalised frame and its report (ARCHITECTURE.md §4).
 *
 * Cost model: the common read — a clean, sorted, aligned float64 frame from storage — takes one
 * magnitude pass over `ts`, one equality pass over `ts` and one fused pass over the value
 * columns, allocates nothing proportional to rows, and returns the very frame it was given.
 * Copies happen only where the batch had to change: a converted column, a dropped or reordered
 * row (a contiguous run of kept rows is still a view).
 */
import { InternalError, createFrame } from '../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../core/index.js';
import type { ParsedSchema } from '../schema/index.js';
import { completenessWindows } from './completeness.js';
import type { ConformanceMode, ConformanceReport } from './conformance-report.js';
import { createFindings } from './findings.js';
import { qualityFlags } from './quality-flags.js';
import type { RawBatch } from './raw-batch.js';
import { schemaRollup } from './schema-rollup.js';
import { temporalRollup } from './temporal-rollup.js';
import type { RowSelection } from './temporal-rollup.js';
import { normaliseTimestamps } from './timestamp-normaliser.js';

/** Resolved pipeline options (validated by config/). */
export interface ConformanceOptions {
  /** `|ln(close_i / close_{i-1})|` above it → `price_jump`. */
  readonly priceJumpMaxAbsLogReturn: number;
  /** Runs of at least this many identical closes → `stale_price` (the runs' bars are counted). */
  readonly stalePriceMinRun: number;
  /** `(ask - bid) / mid` above it → `wide_spread`. */
  readonly wideSpreadMaxRelative: number;
  /** Bars per completeness window. */
  readonly completenessWindowBars: number;
}

export const DEFAULT_CONFORMANCE_OPTIONS: ConformanceOptions = Object.freeze({
  priceJumpMaxAbsLogReturn: 0.25,
  stalePriceMinRun: 120,
  wideSpreadMaxRelative: 0.05,
  completenessWindowBars: 1440,
});

export interface CheckInput {
  readonly nodeId: string;
  readonly intervalMs: number;
  /** The columnar shape to produce (ohlcv, tick, quote). */
  readonly frameSchema: FrameSchema;
  /** The registry schema of the dataset's subject; without it the batch is checked against `frameSchema`. */
  readonly registry?: { readonly subject: string; readonly version: number; readonly schema: ParsedSchema; readonly mode: 'canary' | 'strict' };
  readonly batch: RawBatch;
  /** The aligned range the rows should cover (gaps, completeness). Rows outside it are dropped, not flagged. */
  readonly expected: TimeRange;
  /** Known-empty ranges from coverage: never gaps, excluded from completeness. */
  readonly knownEmpty: readonly TimeRange[];
  /** Bars with `ts + interval > now` have not closed: `future_ts`. */
  readonly now: number;
  readonly origin: 'read' | 'ingest' | 'import';
  readonly mode: ConformanceMode;
}

export interface CheckResult {
  /** Normalised: sorted, deduplicated (last wins), on the grid, inside `expected`, float64. */
  readonly frame: Frame;
  /** `id`, `uri` and `regression` are null: the caller fills them when it archives. */
  readonly report: ConformanceReport;
  /** Messages of schema-stage error findings (for canary recording / strict rejection). */
  readonly schemaViolations: readonly string[];
  /** Rows dropped because they lie outside `expected` (not a finding). */
  readonly outOfRangeRows: number;
}

export interface ConformancePipeline {
  check(input: CheckInput): CheckResult;
}

class ConformancePipelineImpl implements ConformancePipeline {
  readonly #options: ConformanceOptions;

  constructor(options: ConformanceOptions) {
    this.#options = options;
  }

  check(input: CheckInput): CheckResult {
    const { batch, frameSchema, intervalMs, expected } = input;
    if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
      throw new InternalError(`conformance check needs a positive integer interval in ms, got ${intervalMs}`, { details: { intervalMs } });
    }
    const n = Number.isSafeInteger(batch.length) && batch.length > 0 ? batch.length : 0;
    const findings = createFindings();

    const ts = normaliseTimestamps(batch.columns.get('ts'), n, { intervalMs, expected }, findings);
    const schema = schemaRollup(batch, frameSchema, input.registry?.schema, ts, findings);
    const temporal = temporalRollup({ ts, intervalMs, expected, knownEmpty: input.knownEmpty, now: input.now }, findings);
    const frame = buildFrame(batch, frameSchema, ts, schema.columns, temporal.rows);
    qualityFlags(frame, schema.checkFinite, this.#options, findings);

    const completeness = completenessWindows({
      expected,
      grid: temporal.grid,
      knownEmpty: temporal.knownEmptyBars,
      gaps: temporal.gaps,
      intervalMs,
      windowBars: this.#options.completenessWindowBars,
    });
    const registry = input.registry;
    const report: ConformanceReport = {
      id: null,
      uri: null,
      nodeId: input.nodeId,
      intervalMs,
      origin: input.origin,
      createdAt: input.now,
      mode: input.mode,
      range: { start: expected.start, end: expected.end },
      rowsIn: n,
      rowsOut: frame.length,
      flags: findings.counts(),
      warnings: findings.warnings(),
      gaps: temporal.gaps,
      completeness,
      hasErrors: findings.hasErrors(),
      regression: null,
      schema: registry ? { subject: registry.subject, version: registry.version, mode: registry.mode } : null,
    };
    return { frame, report, schemaViolations: findings.messages('schema'), outOfRangeRows: temporal.outOfRange };
  }
}

/** A pipeline with `options` over the defaults. */
export function createConformancePipeline(options: Partial<ConformanceOptions> = {}): ConformancePipeline {
  return new ConformancePipelineImpl(Object.freeze({ ...DEFAULT_CONFORMANCE_OPTIONS, ...options }));
}

/**
 * The output frame from the selected rows. Returns the batch's own frame when the selection is
 * every row and every column is the frame's own array (the clean read: no copy, no new object);
 * a contiguous selection becomes subarray views; only a reordered or holed one is gathered.
 */
function buildFrame(batch: RawBatch, schema: FrameSchema, ts: Float64Array, columns: readonly Float64Array[], rows: RowSelection): Frame {
  if (rows.kind === 'all') {
    const src = batch.frame;
    if (src !== undefined && src.schema.columns.length === columns.length && src.ts === ts && sameColumns(src, schema, columns)) return src;
    return createFrame(schema, ts, columns);
  }
  if (rows.kind === 'slice') {
    return createFrame(schema, ts.subarray(rows.from, rows.to), columns.map((c) => c.subarray(rows.from, rows.to)));
  }
  const index = rows.index;
  const m = index.length;
  const outTs = new Float64Array(m);
  for (let j = 0; j < m; j++) outTs[j] = ts[index[j]];
  const out: Float64Array[] = [];
  for (let c = 0; c < columns.length; c++) {
    const from = columns[c];
    const to = new Float64Array(m);
    for (let j = 0; j < m; j++) to[j] = from[index[j]];
    out.push(to);
  }
  return createFrame(schema, outTs, out);
}

function sameColumns(src: Frame, schema: FrameSchema, columns: readonly Float64Array[]): boolean {
  for (let c = 0; c < columns.length; c++) {
    if (src.values[c] !== columns[c] || src.schema.columns[c].name !== schema.columns[c].name) return false;
  }
  return true;
}
