import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame, encodeCsv } from '../../src/core/index.js';
import { demoConfig } from '../../src/config/internal.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const BTC = 'ohlcv:demo:BTC-USD';
const MIN = 60_000;
const HOUR = 60 * MIN;

interface BarsJson {
  data: { ts: number[]; open: (number | null)[]; high: (number | null)[]; low: (number | null)[]; close: (number | null)[]; volume: (number | null)[] };
  metadata: Record<string, unknown> & {
    rows: number; partial: boolean; interval: string; missingRanges: { start: number; end: number }[];
    resample: { baseInterval: string; align: string | null; buckets: number; partialBuckets: number; partialBucketStarts: number[]; baseRows: number; cached: boolean } | null;
    filled: { mode: string; bars: number; ranges: { start: number; end: number }[] } | null;
  };
}
interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

/** The demo datasets plus one of 30-bar 1m shards, so a read can store half an hour and leave the next half missing. */
const SHARDED = 'ohlcv:test:HALVES';

describe('resampled reads through the gateway', () => {
  const gateway = gatewayForSuite((dataDir) => {
    const demo = demoConfig();
    return {
      config: { ...demo, datasets: [...(demo.datasets ?? []), { nodeId: SHARDED, intervals: ['1m', '1h'], baseInterval: '1m', source: 'synthetic' }] },
      overrides: { dataDir, limits: { maxBars: 100_000 }, seamless: { backfill: { barsPerShardByInterval: { '1m': 30 } } } },
    };
  });
  const bars = async (query: string): Promise<BarsJson> => {
    const res = await fetch(`${gateway.url}/v1/bars?${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return await res.json() as BarsJson;
  };

  it('answers demo 1h with the 1m bars of the same hours resampled (open first, high max, low min, close last, volume sum)', async () => {
    const range = '&start=2024-02-01T00:00:00Z&end=2024-02-01T03:00:00Z';
    const hourly = await bars(`node=${BTC}&interval=1h${range}`);
    const minutes = await bars(`node=${BTC}&interval=1m${range}`);
    expect(hourly.data.ts).toEqual([0, 1, 2].map((h) => Date.UTC(2024, 1, 1, h)));
    expect(minutes.data.ts).toHaveLength(180);
    for (let h = 0; h < 3; h++) {
      const from = h * 60;
      const slice = (col: (number | null)[]) => col.slice(from, from + 60) as number[];
      expect(hourly.data.open[h]).toBe(minutes.data.open[from]);
      expect(hourly.data.high[h]).toBe(Math.max(...slice(minutes.data.high)));
      expect(hourly.data.low[h]).toBe(Math.min(...slice(minutes.data.low)));
      expect(hourly.data.close[h]).toBe(minutes.data.close[from + 59]);
      expect(hourly.data.volume[h]).toBeCloseTo(slice(minutes.data.volume).reduce((a, v) => a + v, 0), 6);
    }
    expect(hourly.metadata).toMatchObject({ interval: '1h', rows: 3, partial: false, resample: { baseInterval: '1m', align: null, buckets: 3, partialBuckets: 0, baseRows: 180 }, filled: null });
  });

  it('derives 5m and 1d from the same 1m bars, so every interval opens at the same price', async () => {
    const day = '&start=2024-02-02T00:00:00Z&end=2024-02-03T00:00:00Z';
    const [m1, m5, d1] = await Promise.all(['1m', '5m', '1d'].map((iv) => bars(`node=${BTC}&interval=${iv}${day}`)));
    expect(m5.data.open[0]).toBe(m1.data.open[0]);
    expect(d1.data.open[0]).toBe(m1.data.open[0]);
    expect(d1.data.close[0]).toBe(m1.data.close[1439]);
    expect(m5.data.ts).toHaveLength(288);
  });

  it('opens 1d bars at New York midnight with align, the spring-forward day holding 23 hours of 1m bars', async () => {
    const body = await bars(`node=${BTC}&interval=1d&align=America/New_York&start=2024-03-09T05:00:00Z&end=2024-03-12T04:00:00Z`);
    expect(body.data.ts).toEqual([Date.parse('2024-03-09T05:00:00Z'), Date.parse('2024-03-10T05:00:00Z'), Date.parse('2024-03-11T04:00:00Z')]);
    expect(body.metadata.resample).toMatchObject({ align: 'America/New_York', buckets: 3, baseRows: (24 + 23 + 24) * 60 });
    const minutes = await bars(`node=${BTC}&interval=1m&start=2024-03-10T05:00:00Z&end=2024-03-11T04:00:00Z`);
    expect(minutes.data.ts).toHaveLength(23 * 60);
    expect(body.data.open[1]).toBe(minutes.data.open[0]);
    expect(body.data.close[1]).toBe(minutes.data.close[23 * 60 - 1]);
  });

  it('reports a derived bar whose base bars are partly missing: partial, the bucket, and the missing base range', async () => {
    const t0 = Date.UTC(2024, 3, 1);
    await bars(`node=${SHARDED}&interval=1m&start=${t0}&end=${t0 + 30 * MIN}`);
    const body = await bars(`node=${SHARDED}&interval=1h&start=${t0}&end=${t0 + HOUR}&strategy=fail_fast&partial_ok=true`);
    expect(body.data.ts).toEqual([t0]);
    expect(body.metadata.partial).toBe(true);
    expect(body.metadata.missingRanges).toEqual([{ start: t0 + 30 * MIN, end: t0 + HOUR }]);
    expect(body.metadata.resample).toMatchObject({ buckets: 1, partialBuckets: 1, partialBucketStarts: [t0], baseRows: 30 });
  });

  it('fills missing bars with fill=prev and fill=null, flagging each filled bar in the metadata', async () => {
    const t0 = Date.UTC(2024, 4, 1);
    await bars(`node=${SHARDED}&interval=1m&start=${t0}&end=${t0 + 30 * MIN}`);
    const q = `node=${SHARDED}&interval=1m&start=${t0}&end=${t0 + HOUR}&strategy=fail_fast&partial_ok=true`;
    const prev = await bars(`${q}&fill=prev`);
    expect(prev.data.ts).toHaveLength(60);
    expect(prev.metadata.filled).toEqual({ mode: 'prev', bars: 30, ranges: [{ start: t0 + 30 * MIN, end: t0 + HOUR }] });
    expect(prev.data.open[45]).toBe(prev.data.close[29]);
    expect(prev.data.volume[45]).toBe(0);
    const nul = await bars(`${q}&fill=null`);
    expect(nul.data.close[45]).toBeNull();
    expect(nul.metadata).toMatchObject({ rows: 60, partial: true, filled: { mode: 'null', bars: 30 } });
    const none = await bars(q);
    expect(none.data.ts).toHaveLength(30);
    expect(none.metadata.filled).toBeNull();
  });

  it('caches the resampled answer, and never serves it after the base bars were rewritten', async () => {
    const t0 = Date.UTC(2024, 5, 3);
    const range = `&start=${t0}&end=${t0 + 2 * HOUR}`;
    const first = await bars(`node=${BTC}&interval=1h${range}`);
    const entries = gateway.seamless.cacheStats()?.entries ?? 0;
    const again = await bars(`node=${BTC}&interval=1h${range}`);
    expect(first.metadata.resample?.cached).toBe(false);
    expect(again.metadata.cacheHit).toBe(true);
    expect(again.metadata.resample?.cached).toBe(true);
    expect(again.metadata.fingerprint).toBe(first.metadata.fingerprint);
    expect(again.data).toEqual(first.data);
    expect(gateway.seamless.cacheStats()?.entries).toBe(entries);
    // New base bars for the first hour (every price 10% higher, within the price-jump bound) go in through an import.
    const minutes = await bars(`node=${BTC}&interval=1m&start=${t0}&end=${t0 + HOUR}`);
    const raised = createFrame(OHLCV_SCHEMA, Float64Array.from(minutes.data.ts), (['open', 'high', 'low', 'close', 'volume'] as const).map((c) => Float64Array.from(minutes.data[c] as number[], (v) => (c === 'volume' ? v : 1.1 * v))));
    const file = join(gateway.dir, 'raised.csv');
    await writeFile(file, encodeCsv(raised));
    await gateway.seamless.import({ path: file, nodeId: BTC, interval: '1m' });
    const after = await bars(`node=${BTC}&interval=1h${range}`);
    expect(after.data.open[0]).toBe(1.1 * (first.data.open[0] as number));
    expect(after.data.close[0]).toBe(1.1 * (first.data.close[0] as number));
    expect(after.data.open[1]).toBe(first.data.open[1]);
    expect(after.metadata.resample?.cached).toBe(false);
    const afterAgain = await bars(`node=${BTC}&interval=1h${range}`);
    expect(afterAgain.metadata.resample?.cached).toBe(true);
    expect(afterAgain.data).toEqual(after.data);
  });

  const badInputs: [string, string, string][] = [
    ['an interval finer than the base', `node=${BTC}&interval=1s`, 'interval'],
    ['an interval that is not a whole multiple of the base', `node=${BTC}&interval=90000`, 'interval'],
    ['an unknown time zone', `node=${BTC}&interval=1d&align=Mars/Olympus`, 'align'],
    ['align on an interval below 1d', `node=${BTC}&interval=1h&align=America/New_York`, 'align'],
    ['align on a dataset without a base interval', `node=ohlcv:demo:DEFECTS&interval=1m&align=UTC`, 'align'],
    ['a bad fill mode', `node=${BTC}&interval=1h&fill=linear`, 'fill'],
    ['include_building on a derived interval', `node=${BTC}&interval=1h&include_building=true`, 'includeBuilding'],
  ];

  it.each(badInputs)('refuses %s with 400 naming the field', async (_name, query, field) => {
    const res = await fetch(`${gateway.url}/v1/bars?${query}&start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z`);
    expect(res.status).toBe(400);
    const body = await res.json() as ErrorJson;
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details.field).toBe(field);
    expect(body.error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('names the reason interval_not_derivable and the base interval', async () => {
    const res = await fetch(`${gateway.url}/v1/bars?node=${BTC}&interval=90000&start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z`);
    const body = await res.json() as ErrorJson;
    expect(body.error.details).toMatchObject({ field: 'interval', reason: 'interval_not_derivable', baseInterval: '1m' });
  });
});
