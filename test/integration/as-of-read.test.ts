/**
 * Point-in-time reads through the gateway (in-process instance, DuckDB): `as_of` answers with the
 * bars known at that time, never backfills, lists the versions that served, and is reproducible;
 * a restated bar reads old before its restatement and new after, whatever the cache holds.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame, encodeCsv } from '../../src/core/index.js';
import { demoConfig } from '../../src/config/internal.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/until.js';

const BTC = 'ohlcv:demo:BTC-USD';
const ETH = 'ohlcv:demo:ETH-USD';
const MIN = 60_000;

interface BarsJson {
  data: { ts: number[]; open: (number | null)[]; high: (number | null)[]; low: (number | null)[]; close: (number | null)[]; volume: (number | null)[] };
  metadata: Record<string, unknown> & {
    rows: number; partial: boolean; fingerprint: string; cacheHit: boolean; asOf: number | null;
    backfill: unknown; missingRanges: { start: number; end: number }[];
    versions: { ids: number[]; newestAt: number | null } | null;
  };
}
interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

describe('as_of reads through the gateway', () => {
  const gateway = gatewayForSuite((dataDir) => ({ config: demoConfig(), overrides: { dataDir } }));
  const get = async (query: string): Promise<Response> => await fetch(`${gateway.url}/v1/bars?${query}`);
  const bars = async (query: string): Promise<BarsJson> => {
    const res = await get(query);
    expect(res.status, await res.clone().text()).toBe(200);
    return await res.json() as BarsJson;
  };

  it('answers as_of=2020-01-01 with nothing known then: no 2024 bars, no backfill, the bars reported missing', async () => {
    const range = '&start=2024-01-10T00:00:00Z&end=2024-01-10T01:00:00Z';
    const now = await bars(`node=${BTC}&interval=1m${range}`);
    expect(now.metadata.rows).toBe(60);
    const then = await bars(`node=${BTC}&interval=1m${range}&as_of=2020-01-01T00:00:00Z&partial_ok=true`);
    expect(then.metadata.rows).toBe(0);
    expect(then.metadata.partial).toBe(true);
    expect(then.metadata.backfill).toBeNull();
    expect(then.metadata.missingRanges).toEqual([{ start: Date.parse('2024-01-10T00:00:00Z'), end: Date.parse('2024-01-10T01:00:00Z') }]);
    expect(then.metadata.versions).toEqual({ ids: [], newestAt: null });
    expect(then.metadata.fingerprint).not.toBe(now.metadata.fingerprint);
  });

  it('refuses a fail_fast as_of read of bars not known then with data_unavailable, and never backfills them', async () => {
    const range = '&start=2024-03-05T00:00:00Z&end=2024-03-05T00:30:00Z';
    const res = await get(`node=${ETH}&interval=1m${range}&as_of=${Date.now() - 1}&strategy=fail_fast`);
    expect(res.status).toBe(404);
    expect((await res.json() as ErrorJson).error.code).toBe('data_unavailable');
    // A seamless as_of read answers partial from what was known: it starts no backfill either.
    const seamless = await bars(`node=${ETH}&interval=1m${range}&as_of=${Date.now() - 1}`);
    expect(seamless.metadata).toMatchObject({ rows: 0, partial: true, backfill: null });
    const plain = await bars(`node=${ETH}&interval=1m${range}&strategy=fail_fast&partial_ok=true`);
    expect(plain.metadata.rows).toBe(0);
  });

  it('reads a restated bar old as of before the restatement (old fingerprint, cached or not) and new without as_of', async () => {
    const t0 = Date.UTC(2024, 4, 2);
    const range = `&start=${t0}&end=${t0 + 30 * MIN}`;
    const first = await bars(`node=${BTC}&interval=1m${range}`);
    const known = Date.now();
    await until(() => Date.now() > known + 1, 'the clock to move past the first write');
    const cached = await bars(`node=${BTC}&interval=1m${range}`);
    expect(cached.metadata.cacheHit).toBe(true);
    // The upstream corrects bar 3 (a re-import with another volume).
    const restated = createFrame(OHLCV_SCHEMA, Float64Array.of(first.data.ts[3]), [first.data.open, first.data.high, first.data.low, first.data.close, first.data.volume]
      .map((c, i) => Float64Array.of(i === 4 ? (first.data.volume[3] as number) + 1 : (c[3] as number))));
    const file = join(gateway.dir, 'restated.csv');
    await writeFile(file, encodeCsv(restated));
    await gateway.seamless.import({ path: file, nodeId: BTC, interval: '1m' });

    const plain = await bars(`node=${BTC}&interval=1m${range}`);
    expect(plain.data.volume[3]).toBe((first.data.volume[3] as number) + 1);
    expect(plain.metadata.fingerprint).not.toBe(first.metadata.fingerprint);
    const before = await bars(`node=${BTC}&interval=1m${range}&as_of=${known}`);
    expect(before.data.volume).toEqual(first.data.volume);
    expect(before.metadata.fingerprint).toBe(first.metadata.fingerprint);
    expect(before.metadata.asOf).toBe(known);
    expect(before.metadata.versions?.ids.length).toBeGreaterThan(0);
    expect(before.metadata.versions?.newestAt).toBeLessThanOrEqual(known);
    const again = await bars(`node=${BTC}&interval=1m${range}&as_of=${known}`);
    expect(again.metadata.fingerprint).toBe(first.metadata.fingerprint);
    const after = await bars(`node=${BTC}&interval=1m${range}&as_of=${Date.now() - 1}`);
    expect(after.data.volume).toEqual(plain.data.volume);
    expect(after.metadata.versions?.ids.length).toBe((before.metadata.versions?.ids.length ?? 0) + 1);
    // A derived interval reads its base bars as of the same time.
    const hourBefore = await bars(`node=${BTC}&interval=1h&start=${t0}&end=${t0 + 60 * MIN}&as_of=${known}&partial_ok=true`);
    const hourNow = await bars(`node=${BTC}&interval=1h&start=${t0}&end=${t0 + 60 * MIN}&partial_ok=true&strategy=fail_fast`);
    expect(hourBefore.data.volume[0]).toBeCloseTo((hourNow.data.volume[0] as number) - 1, 6);
  });
});
