/**
 * The conformance pipeline over 1,000,000 clean one-minute OHLCV bars against (a) a bare
 * typed-array loop doing the same checks in one fused pass (goal: ratio ≤ 2) and (b) what a
 * TypeScript user would otherwise write: a zod object schema (with a refine for OHLC) over row
 * objects built from the frame — with and without the row construction. Zod covers only the
 * per-row checks; the temporal ones (order, duplicates, grid, gaps, stale runs) would be extra.
 * Then the pipeline on frames with defects. Goal against zod: ≥ 50× faster.
 * Run: `node --expose-gc --import tsx bench/conformance/pipeline.bench.ts`.
 */
import { z } from 'zod';
import { createConformancePipeline, frameToRawBatch } from '../../src/conformance/index.js';
import type { CheckResult, RawBatch, RawColumn } from '../../src/conformance/internal.js';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import { compare, heading, measure, report } from '../harness.js';
import { randomWalkFrame } from '../fixtures.js';

const N = 1_000_000;
const I = 60_000;
const T0 = 1_704_067_200_000;
const JUMP = 0.25;
const STALE_RUN = 120;

function ohlcvFrame(n: number): Frame {
  return randomWalkFrame(n, T0, I);
}

/** The baseline: every check of the clean read path in one straightforward fused loop. */
function bareLoop(frame: Frame, start: number, end: number): number {
  const ts = frame.ts;
  const [open, high, low, close, volume] = frame.values;
  const n = ts.length;
  let unsorted = 0, dups = 0, misaligned = 0, gapBars = 0, nonFinite = 0, ohlc = 0, negVol = 0, jumps = 0, stale = 0;
  let prevTs = Number.NaN, prevClose = Number.NaN, run = 0;
  const up = Math.exp(JUMP), down = Math.exp(-JUMP);
  let expectedNext = start;
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (t < prevTs) unsorted++;
    else if (t === prevTs) dups++;
    if (t % I !== 0) misaligned++;
    else if (t > expectedNext) gapBars += (t - expectedNext) / I;
    if (t >= expectedNext) expectedNext = t + I;
    prevTs = t;
    const o = open[i], h = high[i], l = low[i], c = close[i], v = volume[i];
    const finite = Number.isFinite(o) && Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c);
    if (!finite || !Number.isFinite(v)) nonFinite++;
    if (finite && (h < Math.max(o, c) || l > Math.min(o, c) || l > h)) ohlc++;
    if (v < 0) negVol++;
    if (c > 0 && prevClose > 0 && (c > prevClose * up || c < prevClose * down)) jumps++;
    if (c === prevClose) run++;
    else {
      if (run >= STALE_RUN) stale += run;
      run = 1;
    }
    prevClose = c;
  }
  if (expectedNext < end) gapBars += (end - expectedNext) / I;
  return unsorted + dups + misaligned + gapBars + nonFinite + ohlc + negVol + jumps + stale;
}

const Row = z.object({
  ts: z.number().int(),
  open: z.number().finite(),
  high: z.number().finite(),
  low: z.number().finite(),
  close: z.number().finite(),
  volume: z.number().finite().nonnegative(),
}).refine((r) => r.high >= Math.max(r.open, r.close) && r.low <= Math.min(r.open, r.close) && r.low <= r.high, { message: 'ohlc_inconsistent' });
const Rows = z.array(Row);

interface RowObject { ts: number; open: number; high: number; low: number; close: number; volume: number }

function toRows(frame: Frame): RowObject[] {
  const [open, high, low, close, volume] = frame.values;
  const rows: RowObject[] = new Array<RowObject>(frame.length);
  for (let i = 0; i < frame.length; i++) rows[i] = { ts: frame.ts[i], open: open[i], high: high[i], low: low[i], close: close[i], volume: volume[i] };
  return rows;
}

/** The frame with 0.1% of each defect: duplicates, gaps, misaligned rows, NaNs, OHLC violations, negative volumes. */
function withDefects(frame: Frame, shuffled: boolean): RawBatch {
  const n = frame.length;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (i % 1000 !== 7) keep.push(i); // gaps
  for (let i = 500; i < n; i += 1000) keep.push(i); // duplicates (appended)
  if (shuffled) for (let i = keep.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [keep[i], keep[j]] = [keep[j], keep[i]];
  }
  const m = keep.length;
  const ts = new Float64Array(m);
  const cols = frame.values.map(() => new Float64Array(m));
  for (let k = 0; k < m; k++) {
    const i = keep[k];
    ts[k] = frame.ts[i] + (i % 1000 === 300 ? 1 : 0); // misaligned
    for (let c = 0; c < cols.length; c++) cols[c][k] = frame.values[c][i];
    if (i % 1000 === 100) cols[4][k] = Number.NaN;
    if (i % 1000 === 200) cols[4][k] = -1;
    if (i % 1000 === 400) cols[1][k] = cols[2][k] - 1;
  }
  const columns = new Map<string, RawColumn>();
  columns.set('ts', { kind: 'float64', values: ts });
  OHLCV_SCHEMA.columns.forEach((c, k) => columns.set(c.name, { kind: 'float64', values: cols[k] }));
  return { length: m, columns };
}

const frame = ohlcvFrame(N);
const expected = { start: T0, end: T0 + N * I };
const pipeline = createConformancePipeline();
const check = (batch: RawBatch): CheckResult => pipeline.check({
  nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: I, frameSchema: OHLCV_SCHEMA, batch, expected, knownEmpty: [], now: expected.end, origin: 'read', mode: 'blocking',
});

{
  const r = check(frameToRawBatch(frame));
  if (r.frame !== frame || Object.keys(r.report.flags).length > 0) throw new TypeError(`clean frame not clean: ${JSON.stringify(r.report.flags)}`);
  heading(`conformance pipeline, ${N.toLocaleString('en')} clean 1m OHLCV bars (baseline: a bare fused typed-array loop)`);
  const [bare, piped] = await compare([
    { name: 'bare typed-array loop (same checks)', fn: () => bareLoop(frame, expected.start, expected.end) },
    { name: 'pipeline.check (clean frame)', fn: () => check(frameToRawBatch(frame)) },
  ], { runs: 11 });
  report(piped, bare, { maxRatio: 2 }, 'conformance 1M clean bars vs bare fused loop');

  heading('against zod (what a TypeScript user would otherwise write)');
  const rows = toRows(frame);
  const zodOnly = await measure('zod: z.array(row schema).safeParse(prebuilt rows)', () => Rows.safeParse(rows), { runs: 3, warmup: 1 });
  report(piped, zodOnly, { minSpeedup: 50 }, 'conformance 1M bars vs zod on prebuilt rows');
  const zodWithRows = await measure('zod: build row objects + safeParse', () => Rows.safeParse(toRows(frame)), { runs: 3, warmup: 1 });
  report(piped, zodWithRows, { minSpeedup: 50 }, 'conformance 1M bars vs zod with rows built');
  console.log(`  speed-up: ${(zodOnly.medianMs / piped.medianMs).toFixed(0)}× over zod on prebuilt rows, ${(zodWithRows.medianMs / piped.medianMs).toFixed(0)}× with the rows built`);
}

{
  heading('pipeline on frames with defects (0.1% each of gaps, duplicates, misaligned, NaN, OHLC, negative volume)');
  const inOrder = withDefects(frame, false);
  const shuffled = withDefects(frame, true);
  const flags = check(inOrder).report.flags;
  console.log(`  flags: ${JSON.stringify(flags)}`);
  const bare = await measure('bare typed-array loop (clean frame)', () => bareLoop(frame, expected.start, expected.end), { runs: 7 });
  report(await measure('pipeline.check (defects, arrival in order)', () => check(inOrder), { runs: 7 }), bare);
  report(await measure('pipeline.check (defects, shuffled)', () => check(shuffled), { runs: 5 }), bare);
}
