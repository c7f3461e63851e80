/**
 * `seamless datasets` (with its coverage summary) and `seamless datasets condition`, as real
 * `seamless` child processes (bin/seamless.js): on their own data directory after an embedded
 * `seamless backfill`, and with `--url` against a gateway served in-process. Bad input exits 1
 * naming the field. Each test has the CLI tests' deadline (cli-timeout.ts).
 */
import { beforeAll, describe, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { cliWorkspaces, runSeamless as seamless } from '../helpers/cli-run.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const ETH = 'ohlcv:demo:ETH-USD';
const DEFECTS = 'ohlcv:demo:DEFECTS';
const TWO_DAYS = ['--interval', '1m', '--start', '2024-01-01', '--end', '2024-01-03'];
/** Backfills write whole shards: the two days lie in one default 1m shard of 4,320 bars (2023-12-31 to 2024-01-03). */
const SHARD_ROWS = 4_320;

const workspace = cliWorkspaces('seamless-cli-catalog-');

describe('seamless datasets and datasets condition (embedded)', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('after a backfill, prints the coverage summary per interval and the condition per day', async ({ expect }) => {
    const cwd = await workspace();
    const backfill = await seamless(cwd, ['backfill', '--node', ETH, ...TWO_DAYS]);
    expect(backfill.code).toBe(0);

    const list = await seamless(cwd, ['datasets']);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^node\s+interval\s+first bar\s+last bar\s+stored\s+known empty\s+failed\s+last write\s+base\s+calendar$/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(
      `^ohlcv:demo:ETH-USD\\s+1m\\s+2023-12-31T00:00:00\\.000Z\\s+2024-01-02T23:59:00\\.000Z\\s+${SHARD_ROWS}\\s+0\\s+0\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+1m\\s+24/7$`,
    )));
    // 1h is derived from 1m: its line summarises the 1m bars, first and last bar in hours.
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(
      `^ohlcv:demo:ETH-USD\\s+1h\\s+2023-12-31T00:00:00\\.000Z\\s+2024-01-02T23:00:00\\.000Z\\s+${SHARD_ROWS}\\s+0\\s+0\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+1m\\s+24/7$`,
    )));
    expect(lines.at(-1)).toMatch(/^\d+ dataset\(s\)$/);

    const condition = await seamless(cwd, ['datasets', 'condition', '--node', ETH, '--interval', '1m', '--start', '2024-01-02', '--end', '2024-01-04']);
    expect(condition.stderr).toBe('');
    expect(condition.code).toBe(0);
    const rows = condition.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^day\s+condition\s+last change\s+reason$/);
    expect(rows[1]).toMatch(/^2024-01-02\s+available\s+\d{4}-\S+\s+all 1440 bars stored \(1440\) or known empty \(0\)$/);
    expect(rows[2]).toMatch(/^2024-01-03\s+missing\s+-\s+not stored$/);
    expect(rows.at(-1)).toBe('ohlcv:demo:ETH-USD 1m: 2 day(s); 1 available, 0 degraded, 0 pending, 1 missing');
  });

  it('refuses bad input naming the field, and an unknown dataset', async ({ expect }) => {
    const cwd = await workspace();
    const inverted = await seamless(cwd, ['datasets', 'condition', '--node', ETH, '--interval', '1m', '--start', '2024-01-03', '--end', '2024-01-01']);
    expect(inverted.code).toBe(1);
    expect(inverted.stderr).toContain('end: must be after start');
    const badInterval = await seamless(cwd, ['datasets', 'condition', '--node', ETH, '--interval', '7q', '--start', '2024-01-01', '--end', '2024-01-02']);
    expect(badInterval.code).toBe(1);
    expect(badInterval.stderr).toContain('interval');
    const unknown = await seamless(cwd, ['datasets', 'condition', '--node', 'ohlcv:demo:NOPE', '--interval', '1m', '--start', '2024-01-01', '--end', '2024-01-02']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no dataset "ohlcv:demo:NOPE"');
  });
});

describe('seamless datasets and datasets condition through a gateway (--url)', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  const gateway = gatewayForSuite((dir) => ({ config: { ...demoConfig(), dataDir: dir } }));
  let cwd: string;
  beforeAll(async () => {
    cwd = await workspace();
    const job = await gateway.seamless.backfill({ nodeId: DEFECTS, interval: '1m', start: '2024-01-01', end: '2024-01-03' });
    await gateway.seamless.waitBackfill(job.id);
  }, CLI_TEST_TIMEOUT_MS);

  it('prints the gateway\'s listing with its coverage and the condition of the defective days', async ({ expect }) => {
    const list = await seamless(cwd, ['datasets', '--url', gateway.url, '--json']);
    expect(list.code).toBe(0);
    const body = JSON.parse(list.stdout) as { datasets: { nodeId: string; coverage: { interval: string; barsStored: number }[] }[] };
    expect(body).toEqual({ datasets: await gateway.seamless.datasets() });
    expect(body.datasets.find((d) => d.nodeId === DEFECTS)?.coverage[0].barsStored).toBeGreaterThan(0);

    const json = await seamless(cwd, ['datasets', 'condition', '--url', gateway.url, '--node', DEFECTS, ...TWO_DAYS, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await gateway.seamless.condition(DEFECTS, '1m', '2024-01-01', '2024-01-03'));

    const table = await seamless(cwd, ['datasets', 'condition', '--url', gateway.url, '--node', DEFECTS, ...TWO_DAYS]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^2024-01-01\s+degraded\s+\S+\s+partly stored: \d+ of 1440 bars not stored; ingest findings: duplicate_ts ×\d+$/m);
    expect(table.stdout).toMatch(/: 2 day\(s\); 0 available, 2 degraded, 0 pending, 0 missing$/m);

    const tooLong = await seamless(cwd, ['datasets', 'condition', '--url', gateway.url, '--node', DEFECTS, '--interval', '1m', '--start', '2000-01-01', '--end', '2024-01-01']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('end: start..end spans');
  });
});
