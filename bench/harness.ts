/**
 * A tiny benchmark harness: run a function several times, keep the median, and print figures
 * with their ratio to a baseline measured in the same run. Never asserts a time.
 */
import { performance } from 'node:perf_hooks';

export interface Sample {
  readonly name: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly runs: number;
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times, and returns the median wall time. */
export async function measure(name: string, fn: () => unknown, options: { runs?: number; warmup?: number } = {}): Promise<Sample> {
  const runs = options.runs ?? 7;
  const warmup = options.warmup ?? 2;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { name, medianMs: times[Math.floor(times.length / 2)], minMs: times[0], runs };
}

export function formatMs(ms: number): string {
  if (ms < 0.1) return `${(ms * 1000).toFixed(1)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(0)} ms`;
}

/** Prints `subject` against `baseline`, with the ratio and the goal when one is given. */
export function report(subject: Sample, baseline: Sample, goal?: { maxRatio?: number; minSpeedup?: number }): void {
  const ratio = subject.medianMs / baseline.medianMs;
  let verdict = '';
  if (goal?.maxRatio !== undefined) verdict = ratio <= goal.maxRatio ? `  (goal ≤ ${goal.maxRatio}: met)` : `  (goal ≤ ${goal.maxRatio}: MISSED)`;
  if (goal?.minSpeedup !== undefined) {
    const speedup = 1 / ratio;
    verdict = speedup >= goal.minSpeedup ? `  (goal ≥ ${goal.minSpeedup}× faster: met)` : `  (goal ≥ ${goal.minSpeedup}× faster: MISSED)`;
  }
  console.log(`  ${subject.name.padEnd(48)} ${formatMs(subject.medianMs).padStart(10)}`);
  console.log(`  ${baseline.name.padEnd(48)} ${formatMs(baseline.medianMs).padStart(10)}   ratio ${ratio.toFixed(2)}${verdict}`);
}

export function heading(title: string): void {
  console.log(`\n${title}`);
}
