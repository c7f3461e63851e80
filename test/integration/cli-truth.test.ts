/**
 * The CLI tells the whole truth: a fetch served with conformance findings says so (flags with
 * counts, the report URI), a repeated backfill says nothing was written, a configuration error
 * lists every problem, `--version` and `datasets` exist. Real `seamless` child processes
 * (bin/seamless.js) on temporary data directories; `--url` against a gateway served in-process.
 * Each test has the CLI tests' deadline (cli-timeout.ts): a CLI start is slow under load. The
 * tests share nothing but the gateway of --url, so the tests of each block run concurrently.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { cliWorkspaces, runSeamless as seamless } from '../helpers/cli-run.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const DEFECTS = ['--node', 'ohlcv:demo:DEFECTS', '--interval', '1m', '--start', '2024-03-01T00:00:00Z', '--end', '2024-03-01T04:00:00Z'];
const ETH_2D = ['--node', 'ohlcv:demo:ETH-USD', '--interval', '1m', '--start', '2024-01-01', '--end', '2024-01-03'];
/** Backfills write whole shards: the two days lie in one default 1m shard of 4,320 bars (3 days). */
const ETH_2D_ROWS = 4_320;

const workspace = cliWorkspaces('seamless-cli-truth-');

describe('seamless fetch summary', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('states the conformance findings with counts and the report URI when --partial-ok serves flagged bars', async ({ expect }) => {
    const cwd = await workspace();
    const run = await seamless(cwd, ['fetch', ...DEFECTS, '--partial-ok', '--limit', '2']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^239 rows · coverage /m);
    expect(run.stdout).toMatch(/^conformance: 4 error finding\(s\): duplicate_ts=1 gap=1 non_finite=1 ohlc_inconsistent=1 · served anyway \(partial_ok or shadow mode\)$/m);
    expect(run.stdout).toMatch(/^report qmtl:\/\/observability\/seamless\/ohlcv%3Ademo%3ADEFECTS\/[0-9a-f-]{36}$/m);
    expect(run.stdout).toMatch(/^ {2}error gap: 1 bar in column "ts"/m);
    expect(run.stdout).toMatch(/^ {2}error non_finite: 1 row in column "close"/m);
  });

  it('states the findings in shadow mode too, where the read is not blocked', async ({ expect }) => {
    const cwd = await workspace();
    const run = await seamless(cwd, ['fetch', ...DEFECTS, '--limit', '2'], { SEAMLESS_CONFORMANCE_MODE: 'shadow' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^conformance: 4 error finding\(s\): .*gap=1/m);
    expect(run.stdout).toMatch(/^report qmtl:\/\//m);
  });

  it('says a partial answer is partial and lists its missing ranges', async ({ expect }) => {
    const cwd = await workspace();
    const run = await seamless(cwd, ['fetch', '--node', 'ohlcv:demo:BTC-USD', '--interval', '1h', '--start', '2024-01-01', '--end', '2024-01-02', '--strategy', 'fail_fast', '--partial-ok']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^0 rows · coverage 0% · .* · partial$/m);
    // 1h of BTC-USD is derived from 1m bars: the missing range is counted in base bars.
    expect(run.stdout).toMatch(/^missing 1440 1m bar\(s\) in 1 range\(s\): \[2024-01-01T00:00:00\.000Z, 2024-01-02T00:00:00\.000Z\)$/m);
  });
});

describe('seamless backfill summary', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('says a repeated embedded backfill wrote nothing, the range being stored already', async ({ expect }) => {
    const cwd = await workspace();
    const first = await seamless(cwd, ['backfill', ...ETH_2D]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`; ${ETH_2D_ROWS} rows written in \\d+\\.\\d s$`, 'm'));
    const again = await seamless(cwd, ['backfill', ...ETH_2D]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/; 0 rows written: already stored, nothing to fetch$/m);
    expect(again.stdout).not.toContain(`${ETH_2D_ROWS} rows written`);
  });

  describe('through a gateway (--url)', () => {
    const gateway = gatewayForSuite((dir) => ({ config: { ...demoConfig(), dataDir: dir } }));
    let cwd: string;
    beforeAll(async () => { cwd = await workspace(); });

    it('says a repeated backfill wrote nothing, and the first one what it wrote', async ({ expect }) => {
      const first = await seamless(cwd, ['backfill', '--url', gateway.url, ...ETH_2D]);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(new RegExp(`; ${ETH_2D_ROWS} rows written in \\d+\\.\\d s$`, 'm'));
      const again = await seamless(cwd, ['backfill', '--url', gateway.url, ...ETH_2D]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/; 0 rows written: already stored, nothing to fetch$/m);
      // The CLI's counts are the gateway's: each job's rowsWritten counts only its own rows.
      const rowsOf = async (stdout: string): Promise<number> => {
        const id = /^backfill (\S+) completed:/m.exec(stdout)?.[1] ?? '';
        const res = await fetch(`${gateway.url}/v1/backfills/${encodeURIComponent(id)}`);
        expect(res.status).toBe(200);
        return ((await res.json()) as { job: { rowsWritten: number } }).job.rowsWritten;
      };
      expect(await rowsOf(first.stdout)).toBe(ETH_2D_ROWS);
      expect(await rowsOf(again.stdout)).toBe(0);
    });

    it('lists the gateway\'s datasets with --url', async ({ expect }) => {
      const run = await seamless(cwd, ['datasets', '--url', gateway.url, '--json']);
      expect(run.code).toBe(0);
      const body = JSON.parse(run.stdout) as { datasets: { nodeId: string; intervals: string[]; source: string | null; schemaSubject: string; slaPolicy: string | null }[] };
      const expected = await gateway.seamless.datasets();
      expect(body.datasets.map((d) => d.nodeId)).toEqual(expected.map((d) => d.nodeId));
      expect(body.datasets[0]).toMatchObject({ nodeId: expected[0].nodeId, intervals: expected[0].intervals, source: expected[0].source, schemaSubject: expected[0].schemaSubject });
    });
  });
});

describe('seamless datasets', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('prints the configured datasets as a table: node, intervals, source, schema subject, SLA policy', async ({ expect }) => {
    const cwd = await workspace();
    const run = await seamless(cwd, ['datasets']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^node\s+intervals\s+source\s+schema subject\s+sla policy$/);
    expect(lines.some((l) => /^ohlcv:demo:BTC-USD\s+\S*1m\S*\s+synthetic\s+\S+\s+\S+$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^\d+ dataset\(s\)$/);
  });
});

describe('seamless --version', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('prints the package version', async ({ expect }) => {
    const cwd = await workspace();
    const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };
    const run = await seamless(cwd, ['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(pkg.version);
  });
});

describe('configuration errors on the command line', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('lists every problem of a bad file, not only the first', async ({ expect }) => {
    const cwd = await workspace();
    const file = join(cwd, 'bad.yml');
    await writeFile(file, 'server:\n  port: "abc"\n  host: 5\ncache:\n  enabled: 7\n');
    const run = await seamless(cwd, ['datasets', '--config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/and \d+ more/);
    for (const key of ['server.port', 'server.host', 'cache.enabled']) expect(run.stderr).toContain(key);
  });
});
