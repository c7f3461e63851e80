/**
 * Backfill progress on stderr: a cli-progress bar on a terminal, else plain lines
 * (`backfill job_… 12/40 shards (30%) 12000 rows`) at most once a second plus one at the end.
 * cli-progress is loaded when a bar is first drawn, not with the CLI (a gateway never draws one).
 */
import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import { writeLine } from './context.js';
import type { OutputStream } from './context.js';
import { formatPercent } from './output.js';

/** The fields of a job that progress reads; embedded JobStatus and the gateway's job body both have them. */
export interface JobView {
  readonly id: string;
  readonly state: string;
  readonly shards: Readonly<Record<string, number>>;
  readonly totalShards: number;
  readonly rowsWritten: number;
  readonly errors: readonly { readonly shard: string; readonly start: number; readonly end: number; readonly reason: string }[];
}

export interface ProgressReporter {
  update(job: JobView): void;
  /** Prints the final state; call once. */
  finish(job: JobView): void;
}

/** Minimum time between two plain progress lines. */
export const PROGRESS_LINE_INTERVAL_MS = 1_000;

/** Shards that are settled: completed, known empty or failed for good. */
export function settledShards(job: JobView): number {
  return (job.shards.completed ?? 0) + (job.shards.known_empty ?? 0) + (job.shards.failed ?? 0);
}

export function progressLine(job: JobView): string {
  const done = settledShards(job);
  const ratio = job.totalShards === 0 ? 1 : done / job.totalShards;
  const failed = job.shards.failed ?? 0;
  return `backfill ${job.id} ${done}/${job.totalShards} shards (${formatPercent(ratio)}) ${job.rowsWritten} rows${failed > 0 ? `, ${failed} failed` : ''}`;
}

export function createProgressReporter(stream: OutputStream & NodeJS.WritableStream, tty: boolean, now: () => number = Date.now): ProgressReporter {
  return tty ? barReporter(stream) : lineReporter(stream, now);
}

function lineReporter(stream: OutputStream, now: () => number): ProgressReporter {
  let last = Number.NEGATIVE_INFINITY;
  let lastLine = '';
  return {
    update(job) {
      const line = progressLine(job);
      const t = now();
      if (line === lastLine || t - last < PROGRESS_LINE_INTERVAL_MS) return;
      last = t;
      lastLine = line;
      writeLine(stream, line);
    },
    finish(job) {
      writeLine(stream, progressLine(job));
    },
  };
}

function barReporter(stream: NodeJS.WritableStream): ProgressReporter {
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar({
    stream,
    format: 'backfill {job} [{bar}] {value}/{total} shards | {percentage}% | {rows} rows | ETA {eta_formatted}',
    hideCursor: true,
    etaBuffer: 20,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  const show = (job: JobView): void => {
    const payload = { job: job.id, rows: job.rowsWritten };
    if (!started) {
      bar.start(job.totalShards, settledShards(job), payload);
      started = true;
    } else {
      bar.update(settledShards(job), payload);
    }
  };
  return {
    update: show,
    finish(job) {
      show(job);
      bar.stop();
    },
  };
}
