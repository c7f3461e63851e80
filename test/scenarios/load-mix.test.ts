/**
 * A real `seamless serve` (embedded DuckDB and coordinator, the synthetic demo datasets) under
 * the load mix of issue 12 (test/harness/load-mix.ts): 8 clients of warm cache hits, storage
 * hits and cold reads, then the three mixed while bursts of three-week backfills are submitted
 * every 3 s and one unrelated 9-bar cold read is timed. What the user must see: `/readyz`
 * answering every probe throughout (goal 100 ms, asserted as a 2 s stall guard), the 9-bar read complete within its budget
 * (`seamless.backfill.syncBudgetMs`, 10 s here) however many weeks others backfill, the
 * gateway's RSS under 768 MiB (about twice the 400 MiB measured at the peak of this mix, with a
 * 32 MiB response cache). The figures table (req/s, p50, p99, max per kind) is printed; speeds
 * are never asserted, only these responsiveness guards.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { formatFigures } from '../harness/load-driver.js';
import { COLD_READ_BUDGET_MS, loadMixConfig, runLoadMix } from '../harness/load-mix.js';
import { killSeamlessProcesses, processReport, startSeamless, waitForLine } from '../harness/seamless-processes.js';

/**
 * Issue 12's goal is every `/readyz` probe within 100 ms under this load. Measured on the shared
 * 2-core development machine the slowest probe is 0.2–0.6 s (issue 12 stays open for it), so the
 * goal is printed, not asserted; the assertion is a stall guard: before the fixes of issue 12 a
 * whole-range backfill left `/readyz` unanswered for 5 s and more.
 */
const READYZ_GOAL_MS = 100;
const READYZ_BOUND_MS = 2_000;
/** About twice the peak RSS measured under this mix (≈ 400 MiB: 210 MiB idle, 32 MiB cache, buffers). */
const RSS_BOUND_BYTES = 768 * 2 ** 20;

/** Whether a slowest probe met issue 12's goal, for the printed figures. */
function readyzVerdict(maxMs: number): string {
  return maxMs < READYZ_GOAL_MS ? 'met' : `missed by ${(maxMs - READYZ_GOAL_MS).toFixed(0)} ms`;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killSeamlessProcesses();
  for (const cleanup of cleanups) await cleanup();
});

describe('a gateway under a read mix with concurrent backfill bursts', () => {
  it('keeps /readyz fast, serves an unrelated cold read within its budget and stays under its memory bound', async () => {
    const dir = await tempDir('seamless-load-mix-');
    cleanups.push(dir.remove);
    const configFile = join(dir.path, 'seamless.yml');
    await writeFile(configFile, loadMixConfig(join(dir.path, 'data')));
    const gateway = startSeamless(['serve', '--port', '0', '--config', configFile], dir.path, 'gateway');
    const url = (await waitForLine(gateway, /listening on (http:\/\/\S+)/, 60_000))[1];

    const result = await runLoadMix(url, { pid: gateway.process.pid ?? 0, clients: 8, phaseMs: 4_000, mixMs: 10_000 });
    const n = result.nineBar;
    console.log([
      formatFigures(result.figures), '', formatFigures(result.readyz), '',
      `9-bar cold read during the bursts: ${n.status} in ${n.ms.toFixed(0)} ms (budget ${COLD_READ_BUDGET_MS} ms), rows ${n.rows}, downgraded ${String(n.downgraded)}`,
      `gateway RSS: idle ${(result.rss.idleBytes / 2 ** 20).toFixed(0)} MiB, max ${(result.rss.maxBytes / 2 ** 20).toFixed(0)} MiB (bound ${RSS_BOUND_BYTES / 2 ** 20} MiB); `
        + `load process event-loop delay p99 ${result.clientLoop.p99Ms.toFixed(1)} ms, max ${result.clientLoop.maxMs.toFixed(1)} ms`,
    ].join('\n'));

    expect(gateway.running(), processReport(gateway)).toBe(true);
    // The measurement is what it claims: cache hits were cache hits, storage hits read storage.
    for (const kind of ['cache', 'storage']) {
      expect.soft(result.figures.find((f) => f.kind === kind)?.errors, `${kind} reads answered otherwise`).toEqual({});
    }
    for (const probe of result.readyz) {
      expect.soft(probe.errorCount, `${probe.kind}: failed probes`).toBe(0);
      expect.soft(probe.maxMs, `${probe.kind}: slowest /readyz (p100) stalled past ${READYZ_BOUND_MS} ms (goal ${READYZ_GOAL_MS} ms: ${readyzVerdict(probe.maxMs)})`).toBeLessThan(READYZ_BOUND_MS);
    }
    // Fair shares: three-week backfills queued first must not starve a 9-bar read.
    expect.soft(n, 'the 9-bar cold read during the bursts: complete, not downgraded').toMatchObject({ status: 200, rows: 9, downgraded: false });
    expect.soft(n.ms, 'the 9-bar cold read during the bursts answers within its budget').toBeLessThan(COLD_READ_BUDGET_MS);
    expect.soft(result.rss.maxBytes, 'gateway RSS').toBeLessThan(RSS_BOUND_BYTES);
  }, 150_000);
});
