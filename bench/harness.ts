/**
 * The benchmark harness. Variants of one piece of work run INTERLEAVED (A, B, A, B, …) so load
 * and garbage collection land on every variant alike, with a forced GC (`node --expose-gc`)
 * before each timed run, outside the timing. Each figure prints min / median / max; a comparison
 * prints the ratio of the medians, the goal and a verdict (met / MISSED). Every reported figure
 * is also recorded: when BENCH_RESULTS_FILE names a file (bench/run-all.ts sets it; not SEAMLESS_*, which a gateway child would refuse as an unknown setting), one JSON
 * line per figure is appended to it, {work, seamless, baseline, ratio, goal, met, unit}, for the
 * summary table and `--json`. Never asserts a time.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface Sample {
  readonly name: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

export interface Variant {
  readonly name: string;
  readonly fn: () => unknown;
}

export interface RunOptions {
  readonly runs?: number;
  readonly warmup?: number;
}

/**
 * A goal on one figure. Ratios are seamless ÷ baseline in the figure's unit (a time ratio for ms,
 * a throughput ratio for rows/s or req/s); `minSpeedup` is baseline ÷ seamless (times);
 * `max` / `min` bound the Seamless figure itself, in its unit.
 */
export interface Goal {
  readonly maxRatio?: number;
  readonly minRatio?: number;
  readonly minSpeedup?: number;
  readonly max?: number;
  readonly min?: number;
}

/** One line of the results: what `--json` writes and the summary table shows. */
export interface BenchResult {
  readonly work: string;
  readonly seamless: number;
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly goal: string | null;
  readonly met: boolean | null;
  readonly unit: string;
}

const gcFn: unknown = Reflect.get(globalThis, 'gc');
let warnedNoGc = false;

/** A full collection when node runs with --expose-gc; a one-time warning otherwise. */
export function collectGarbage(): void {
  if (typeof gcFn === 'function') {
    (gcFn as () => void)();
    return;
  }
  if (!warnedNoGc) {
    warnedNoGc = true;
    console.log('  (no global.gc: run node with --expose-gc, as `npm run bench` does, so GC stays outside the timings)');
  }
}

function median(sorted: readonly number[]): number {
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Runs the variants round-robin: `warmup` unmeasured rounds, then `runs` timed rounds, each timed
 * call preceded by a forced GC. Returns one Sample per variant, in the order given.
 */
export async function compare(variants: readonly Variant[], options: RunOptions = {}): Promise<Sample[]> {
  const runs = options.runs ?? 7;
  const warmup = options.warmup ?? 2;
  for (let i = 0; i < warmup; i++) for (const v of variants) await v.fn();
  const times = variants.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < variants.length; k++) {
      collectGarbage();
      const t0 = performance.now();
      await variants[k].fn();
      times[k].push(performance.now() - t0);
    }
  }
  return variants.map((v, k) => {
    const sorted = times[k].sort((a, b) => a - b);
    return { name: v.name, medianMs: median(sorted), minMs: sorted[0], maxMs: sorted[sorted.length - 1], runs };
  });
}

/** One variant alone (a GC before each timed run); prefer `compare` when there is a baseline. */
export async function measure(name: string, fn: () => unknown, options: RunOptions = {}): Promise<Sample> {
  const [sample] = await compare([{ name, fn }], options);
  return sample;
}

/** A duration, sign kept: 12.3 µs, -0.42 ms, 1.23 ms, 123 ms, 1.23 s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 0.1) return `${sign}${(a * 1000).toFixed(1)} µs`;
  if (a < 10) return `${sign}${a.toFixed(2)} ms`;
  if (a < 10_000) return `${sign}${a.toFixed(0)} ms`;
  return `${sign}${(a / 1000).toFixed(2)} s`;
}

/** A ratio: two decimals, or two significant digits below 0.1 (0.0049, not 0.00). */
export function formatRatio(r: number): string {
  return Math.abs(r) < 0.1 && r !== 0 ? r.toPrecision(2) : r.toFixed(2);
}

/** A figure in its unit. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'ms') return formatMs(value);
  if (unit === 'x') return `${value.toFixed(2)}×`;
  if (Math.abs(value) >= 1000) return `${Math.round(value).toLocaleString('en-US')} ${unit}`;
  return `${value.toFixed(Math.abs(value) >= 10 ? 0 : 2)} ${unit}`;
}

function describeGoal(goal: Goal, unit: string): string {
  const parts: string[] = [];
  if (goal.maxRatio !== undefined) parts.push(`ratio ≤ ${goal.maxRatio}`);
  if (goal.minRatio !== undefined) parts.push(`ratio ≥ ${goal.minRatio}`);
  if (goal.minSpeedup !== undefined) parts.push(`≥ ${goal.minSpeedup}× faster`);
  if (goal.max !== undefined) parts.push(`≤ ${formatValue(goal.max, unit)}`);
  if (goal.min !== undefined) parts.push(`≥ ${formatValue(goal.min, unit)}`);
  return parts.join(', ');
}

function meets(goal: Goal, seamless: number, ratio: number | null): boolean {
  if (goal.maxRatio !== undefined && !(ratio !== null && ratio <= goal.maxRatio)) return false;
  if (goal.minRatio !== undefined && !(ratio !== null && ratio >= goal.minRatio)) return false;
  if (goal.minSpeedup !== undefined && !(ratio !== null && 1 / ratio >= goal.minSpeedup)) return false;
  if (goal.max !== undefined && !(seamless <= goal.max)) return false;
  if (goal.min !== undefined && !(seamless >= goal.min)) return false;
  return true;
}

const results: BenchResult[] = [];

/** The figures recorded so far in this process. */
export function recorded(): readonly BenchResult[] {
  return results;
}

/**
 * Records one figure (Seamless, optionally against a baseline, optionally with a goal), prints
 * its ratio and verdict line, and appends it to BENCH_RESULTS_FILE when set.
 */
export function record(work: string, seamless: number, unit: string, options: { baseline?: number; goal?: Goal } = {}): BenchResult {
  const baseline = options.baseline ?? null;
  // No ratio against a baseline that is not a positive figure (a difference can be ≤ 0).
  const ratio = baseline === null || baseline <= 0 ? null : seamless / baseline;
  const goal = options.goal === undefined ? null : describeGoal(options.goal, unit);
  const met = options.goal === undefined ? null : meets(options.goal, seamless, ratio);
  const result: BenchResult = { work, seamless, baseline, ratio, goal, met, unit };
  results.push(result);
  const file = process.env.BENCH_RESULTS_FILE;
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify(result)}\n`);
  const parts = [`  → ${work}: ${formatValue(seamless, unit)}`];
  if (baseline !== null) parts.push(`baseline ${formatValue(baseline, unit)}`);
  if (ratio !== null) parts.push(`ratio ${formatRatio(ratio)}`);
  if (goal !== null) parts.push(`goal ${goal}: ${met === true ? 'met' : 'MISSED'}`);
  console.log(parts.join('   '));
  return result;
}

function sampleLine(s: Sample): string {
  return `  ${s.name.padEnd(56)} median ${formatMs(s.medianMs).padStart(9)}   min ${formatMs(s.minMs).padStart(9)}   max ${formatMs(s.maxMs).padStart(9)}   (${s.runs} runs)`;
}

/** Prints one sample's min / median / max. */
export function show(sample: Sample): void {
  console.log(sampleLine(sample));
}

/**
 * Prints `subject` against `baseline` (min / median / max each), the ratio of the medians, the
 * goal and the verdict, and records it under `work` (default: the subject's name).
 */
export function report(subject: Sample, baseline: Sample, goal?: Goal, work?: string): BenchResult {
  console.log(sampleLine(subject));
  console.log(sampleLine(baseline));
  return record(work ?? subject.name, subject.medianMs, 'ms', { baseline: baseline.medianMs, goal });
}

export function heading(title: string): void {
  console.log(`\n${title}`);
}

/** The p-th percentile (0..100) of `values` (sorted in place). */
export function percentile(values: number[], p: number): number {
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor((values.length * p) / 100))];
}
