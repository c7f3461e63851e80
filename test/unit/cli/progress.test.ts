import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, progressLine } from '../../../src/cli/progress.js';
import type { JobView } from '../../../src/cli/progress.js';

function job(completed: number, state = 'running'): JobView {
  return { id: 'job_1', state, shards: { completed, pending: 4 - completed }, totalShards: 4, rowsWritten: completed * 1_000, errors: [] };
}

/** A writable that keeps what it is given, as a terminal or a pipe would receive it. */
function sink(): { stream: Writable & { text(): string }; } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk.toString('utf8')); done(); } }) as Writable & { text(): string };
  stream.text = () => chunks.join('');
  return { stream };
}

/** The same, claiming to be an 80-column terminal (cli-progress draws only there). */
function terminal(): { stream: Writable & { text(): string } } {
  const { stream } = sink();
  Object.assign(stream, { isTTY: true, columns: 80 });
  return { stream };
}

describe('backfill progress', () => {
  it('draws a bar on a terminal (cli-progress, loaded on first use) with shards, rows and the job id', () => {
    const { stream } = terminal();
    const reporter = createProgressReporter(stream as never, true);
    reporter.update(job(1));
    reporter.finish(job(4, 'completed'));
    const text = stream.text();
    expect(text).toContain('backfill job_1');
    expect(text).toContain('4/4 shards');
    expect(text).toContain('4000 rows');
  });

  it('writes plain lines off a terminal, at most one a second, and the last state at the end', () => {
    const { stream } = sink();
    let now = 0;
    const reporter = createProgressReporter(stream as never, false, () => now);
    reporter.update(job(1));
    now = 10;
    reporter.update(job(2));
    reporter.finish(job(4, 'completed'));
    const lines = stream.text().trim().split('\n');
    expect(lines).toEqual([progressLine(job(1)), progressLine(job(4, 'completed'))]);
  });
});
