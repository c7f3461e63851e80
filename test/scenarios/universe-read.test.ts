/**
 * A universe read against a deployed gateway (a `seamless serve` child) holding three datasets:
 * two from the synthetic source, one from an exchange (the real ccxt client against the Binance
 * stand-in) that answers every klines request 503. The user asks for the configured universe of
 * all three in one request and, with the CLI, for the same nodes from a file:
 *
 * - what the user sees: 200 with the two good datasets' bars in long format (a `node` column)
 *   and, in the metadata of the exchange's dataset, its own `upstream_unavailable` error; with
 *   all_or_nothing the whole read fails with that error, naming the failed node;
 * - what is stored: the good datasets' bars (coverage `stored`), nothing for the exchange's
 *   (its coverage says `failed` with the exchange's reason);
 * - what is reported: `seamless_universe_datasets_total` counts the failed dataset by code and
 *   the good ones, `seamless_universe_reads_total` the partial read.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, processReport, startSeamless } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';
import { BTCUSDT_1M, RECORDED_ERRORS } from '../harness/fake-exchange-server.js';
import { startExchangeGateway } from './exchange-gateway.js';
import type { ExchangeGateway } from './exchange-gateway.js';

const MIN = 60_000;
const BTC = 'ohlcv:demo:BTC-USD';
const ETH = 'ohlcv:demo:ETH-USD';
const EXCHANGE = 'ohlcv:binance:BTC/USDT';
const KLINES = '/api/v3/klines';
const START = BTCUSDT_1M.first;
const END = START + 60 * MIN;

interface DatasetMeta { rows?: number; error?: { code: string; message: string; details: Record<string, unknown> } }
interface UniverseBody { data: Record<string, (string | number)[]>; metadata: { rows: number; failed: string[]; datasets: Record<string, DatasetMeta> } }
interface Range { start: number; end: number; state: string; reason?: string }

let deployment: ExchangeGateway;
let dir: string;
let gateway: SeamlessProcess;
let url = '';

beforeAll(async () => {
  deployment = await startExchangeGateway({
    prefix: 'seamless-universe-read-',
    topLines: ['logging: { level: warn }', 'universes:', `  mixed: ["${BTC}", "${EXCHANGE}", "${ETH}"]`],
    otherSourceLines: ['  synthetic: { kind: synthetic, seed: 1 }'],
    timeoutMs: 10_000,
    datasetLines: [
      `  - { nodeId: "${BTC}", intervals: [1m], source: synthetic }`,
      `  - { nodeId: "${ETH}", intervals: [1m], source: synthetic }`,
      `  - { nodeId: "${EXCHANGE}", intervals: [1m], source: binance }`,
    ],
    seamlessLines: ['  backfill: { barsPerShard: 60, maxAttempts: 2, baseDelayMs: 50 }'],
    prepare: async (path, exchange) => {
      // Every klines request fails as an overloaded exchange answers (more than the read's attempts).
      exchange.script(KLINES, RECORDED_ERRORS.serviceUnavailable, 1_000);
      await writeFile(join(path, 'nodes.txt'), `# the mixed universe\n${BTC}\n\n${EXCHANGE}\n${ETH}\n`);
    },
  });
  ({ gateway, url } = deployment);
  dir = deployment.dir.path;
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
});

async function coverage(node: string): Promise<Range[]> {
  const res = await fetch(`${url}/v1/coverage?node=${encodeURIComponent(node)}&interval=1m`);
  return ((await res.json()) as { ranges: Range[] }).ranges;
}

/** The value of the sample of `name` whose labels are exactly `labels` (0 when absent). */
async function sample(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

async function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startSeamless(['fetch', '--url', url, '--interval', '1m', '--start', String(START), '--end', String(END), ...args], dir, 'cli');
  const exit = await child.exited;
  return { code: exit.code, stdout: child.stdout, stderr: child.stderr };
}

describe('universe read with one upstream down', () => {
  it('answers the good datasets and reports the exchange dataset\'s own error', async () => {
    const res = await fetch(`${url}/v1/bars/query`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ universe: 'mixed', interval: '1m', start: START, end: END }),
    });
    expect(res.status, processReport(gateway)).toBe(200);
    const body = await res.json() as UniverseBody;
    expect(body.metadata.failed).toEqual([EXCHANGE]);
    expect(body.metadata.datasets[EXCHANGE].error?.code).toBe('upstream_unavailable');
    expect(body.metadata.datasets[BTC].rows).toBe(60);
    expect(body.metadata.datasets[ETH].rows).toBe(60);
    expect(body.data.node).toEqual([...Array<string>(60).fill(BTC), ...Array<string>(60).fill(ETH)]);
    expect(body.data.ts[0]).toBe(START);

    // Stored: the good datasets' hour; the exchange's marked failed with its reason, no rows.
    for (const node of [BTC, ETH]) expect((await coverage(node)).some((r) => r.state === 'stored' && r.start <= START && r.end >= END)).toBe(true);
    const failed = await coverage(EXCHANGE);
    expect(failed.every((r) => r.state === 'failed')).toBe(true);
    expect(failed.length).toBeGreaterThan(0);

    // Reported: the failed dataset by its code, the good ones, the partial read.
    expect(await sample('seamless_universe_datasets_total', 'outcome="failed",code="upstream_unavailable"')).toBe(1);
    expect(await sample('seamless_universe_datasets_total', 'outcome="ok",code="none"')).toBe(2);
    expect(await sample('seamless_universe_reads_total', 'outcome="partial"')).toBe(1);
  });

  it('fails the whole read with all_or_nothing, naming the failed node', async () => {
    const res = await fetch(`${url}/v1/bars?universe=mixed&interval=1m&start=${START}&end=${END}&all_or_nothing=true`);
    expect(res.status).toBe(502);
    const err = await res.json() as { error: { code: string; message: string; details: { failedNodes: string[] } } };
    expect(err.error.code).toBe('upstream_unavailable');
    expect(err.error.details.failedNodes).toEqual([EXCHANGE]);
    expect(err.error.message).toContain(EXCHANGE);
    await eventually('the failed read counted', async () => (await sample('seamless_universe_reads_total', 'outcome="failed"')) >= 1 || undefined, 10_000);
  });

  it('answers the CLI with the nodes of a file as CSV, and fails it with --all-or-nothing in one line', async () => {
    const csv = await cli(['--nodes-file', 'nodes.txt', '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('node,ts,open,high,low,close,volume');
    expect(lines).toHaveLength(121);
    expect(lines[120].startsWith(`${ETH},`)).toBe(true);

    const table = await cli(['--universe', 'mixed']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('upstream_unavailable');
    expect(table.stdout).toContain('3 dataset(s), 120 row(s) at 1m, 1 failed');

    const strict = await cli(['--universe', 'mixed', '--all-or-nothing']);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr.trim().split('\n')).toHaveLength(1);
    expect(strict.stderr).toContain('upstream_unavailable');
  });
});
