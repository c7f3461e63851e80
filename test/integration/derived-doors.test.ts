/**
 * Derived intervals through every door of a real gateway on the demo configuration
 * (ohlcv:demo:BTC-USD derives 5m, 1h and 1d from 1m): a backfill of 1h fills the 1m bars reads
 * use, and coverage, the pre-flight estimate, the catalog and the per-day condition of 1h report
 * those base bars (docs/resampling.md "Derived intervals in the other endpoints").
 */
import { describe, expect, it } from 'vitest';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/until.js';

const BTC = 'ohlcv:demo:BTC-USD';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (t: number): string => new Date(t).toISOString();

interface JobJson { job: { id: string; state: string; intervalMs: number; derivedFrom?: Record<string, unknown> } }
interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

describe('derived intervals in the backfill, coverage, estimate, catalog and condition endpoints', () => {
  // 30-bar 1m shards: a backfill fetches whole shards, so half hours can be stored alone.
  const gateway = gatewayForSuite((dataDir) => ({ overrides: { dataDir, seamless: { backfill: { barsPerShardByInterval: { '1m': 30 } } } } }));
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${gateway.url}${path}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return await res.json() as T;
  };
  const postBackfill = (body: Record<string, unknown>): Promise<Response> => fetch(`${gateway.url}/v1/backfills`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  async function backfill(interval: string, start: number, end: number): Promise<JobJson['job']> {
    const res = await postBackfill({ node: BTC, interval, start: iso(start), end: iso(end) });
    expect(res.status, await res.clone().text()).toBe(202);
    const { job } = await res.json() as JobJson;
    await until(async () => (await get<JobJson>(`/v1/backfills/${encodeURIComponent(job.id)}`)).job.state !== 'running', `backfill ${job.id}`, 60_000);
    return job;
  }

  it('backfills the base 1m bars of a 1h backfill, so a fail_fast 1h read of the day is complete', async () => {
    const day = Date.UTC(2024, 4, 1);
    // A range inside the hours: widened outward to whole hours.
    const job = await backfill('1h', day + 10 * MIN, day + DAY - 10 * MIN);
    const read = await get<{ data: { ts: number[] }; metadata: { partial: boolean; missingRanges: unknown[] } }>(
      `/v1/bars?node=${BTC}&interval=1h&start=${iso(day)}&end=${iso(day + DAY)}&strategy=fail_fast&partial_ok=true&format=json`,
    );
    expect(read.metadata.partial).toBe(false);
    expect(read.metadata.missingRanges).toEqual([]);
    expect(read.data.ts).toHaveLength(24);
    expect(job.intervalMs).toBe(MIN);
    expect(job.derivedFrom).toEqual({ interval: '1m', intervalMs: MIN, forInterval: '1h', range: { start: day, end: day + DAY } });
  });

  it('refuses to purge a derived interval, naming it, and force-backfills the base bars of its whole buckets', async () => {
    const day = Date.UTC(2024, 4, 7);
    const purge = await fetch(`${gateway.url}/v1/bars?node=${BTC}&interval=1h&start=${iso(day)}&end=${iso(day + HOUR)}`, { method: 'DELETE' });
    expect(purge.status).toBe(400);
    expect((await purge.json() as ErrorJson).error.details).toMatchObject({ field: 'interval', baseInterval: '1m' });
    const res = await fetch(`${gateway.url}/v1/backfills/force`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: BTC, interval: '1h', start: iso(day + 10 * MIN), end: iso(day + HOUR) }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const body = await res.json() as JobJson & { purge: { interval: string; start: number; end: number } };
    expect(body.job.intervalMs).toBe(MIN);
    expect(body.purge).toMatchObject({ interval: '1m', start: day, end: day + HOUR });
  });

  it('refuses align in a backfill body, naming the field', async () => {
    const res = await postBackfill({ node: BTC, interval: '1d', start: '2024-05-01', end: '2024-05-02', align: 'America/New_York' });
    expect(res.status).toBe(400);
    expect((await res.json() as ErrorJson).error.details.field).toBe('align');
  });

  it('reports 1h coverage in hours of the stored 1m bars: stored where all are, partial where some are', async () => {
    const day = Date.UTC(2024, 4, 3);
    await backfill('1m', day, day + 90 * MIN);
    const body = await get<{ interval: string; derivedFrom: unknown; ranges: { start: number; end: number; state: string }[] }>(
      `/v1/coverage?node=${BTC}&interval=1h&start=${iso(day)}&end=${iso(day + DAY)}`,
    );
    expect(body.interval).toBe('1h');
    expect(body.derivedFrom).toEqual({ interval: '1m', intervalMs: MIN });
    expect(body.ranges).toEqual([
      { start: day, end: day + HOUR, state: 'stored' },
      { start: day + HOUR, end: day + 2 * HOUR, state: 'partial' },
    ]);
    const base = await get<{ derivedFrom: unknown }>(`/v1/coverage?node=${BTC}&interval=1m&start=${iso(day)}&end=${iso(day + DAY)}`);
    expect(base.derivedFrom).toBeNull();
  });

  it('answers coverage of a derivable interval the dataset does not list, as the read does, and refuses one that is not derivable', async () => {
    const day = Date.UTC(2024, 4, 3);
    await get(`/v1/bars?node=${BTC}&interval=2h&start=${iso(day)}&end=${iso(day + DAY)}&strategy=fail_fast&partial_ok=true&format=json`);
    const body = await get<{ interval: string; derivedFrom: unknown }>(`/v1/coverage?node=${BTC}&interval=2h&start=${iso(day)}&end=${iso(day + DAY)}`);
    expect(body).toMatchObject({ interval: '2h', derivedFrom: { interval: '1m', intervalMs: MIN } });
    const res = await fetch(`${gateway.url}/v1/coverage?node=${BTC}&interval=90000`);
    expect(res.status).toBe(400);
    expect((await res.json() as ErrorJson).error.details).toMatchObject({ field: 'interval', reason: 'interval_not_derivable' });
  });

  it('estimates a derived read in derived bars answered and base bars stored and backfilled', async () => {
    const day = Date.UTC(2024, 4, 5);
    await backfill('1m', day, day + 6 * HOUR);
    const est = await get<{ interval: string; derivedFrom: unknown; bars: Record<string, number>; backfill: { bars: number }; rows: number; base: Record<string, number> }>(
      `/v1/bars/estimate?node=${BTC}&interval=1h&start=${iso(day)}&end=${iso(day + DAY)}`,
    );
    expect(est.interval).toBe('1h');
    expect(est.derivedFrom).toEqual({ interval: '1m', intervalMs: MIN });
    expect(est.bars.inRange).toBe(24);
    expect(est.rows).toBe(24);
    expect(est.base).toMatchObject({ inRange: 24 * 60, stored: 6 * 60, missing: 18 * 60 });
    expect(est.backfill.bars).toBe(18 * 60);
  });

  it('estimates a derived daily read aligned to New York: the 23-hour spring-forward day in 1m bars', async () => {
    const est = await get<{ alignedRange: { start: number; end: number }; bars: Record<string, number>; base: Record<string, number>; rows: number }>(
      `/v1/bars/estimate?node=${BTC}&interval=1d&align=America/New_York&start=2024-03-10T05:00:00Z&end=2024-03-11T04:00:00Z`,
    );
    expect(est.alignedRange).toEqual({ start: Date.parse('2024-03-10T05:00:00Z'), end: Date.parse('2024-03-11T04:00:00Z') });
    expect(est.bars.inRange).toBe(1);
    expect(est.base.inRange).toBe(23 * 60);
    expect(est.rows).toBe(1);
  });

  it('refuses in the estimate what the derived read refuses, naming the field', async () => {
    const refusal = async (query: string): Promise<ErrorJson['error']> => {
      const res = await fetch(`${gateway.url}/v1/bars/estimate?node=${BTC}&start=2024-03-10&end=2024-03-12&${query}`);
      expect(res.status).toBe(400);
      return (await res.json() as ErrorJson).error;
    };
    expect((await refusal('interval=1d&align=Mars/Olympus')).details.field).toBe('align');
    expect((await refusal('interval=1h&align=America/New_York')).details.field).toBe('align');
    expect((await refusal('interval=1d&fill=linear')).details.field).toBe('fill');
    expect((await refusal('interval=90000')).details).toMatchObject({ field: 'interval', reason: 'interval_not_derivable' });
  });

  it('lists a derived interval in the catalog as derived from 1m with the 1m summary in hour buckets', async () => {
    await backfill('1m', Date.UTC(2024, 4, 7), Date.UTC(2024, 4, 7) + 2 * HOUR);
    const { datasets } = await get<{ datasets: { nodeId: string; coverage: Record<string, unknown>[] }[] }>('/v1/datasets');
    const btc = datasets.find((d) => d.nodeId === BTC);
    const m1 = btc?.coverage.find((c) => c.interval === '1m');
    const h1 = btc?.coverage.find((c) => c.interval === '1h');
    expect(m1?.derivedFrom).toBeNull();
    expect(h1?.derivedFrom).toBe('1m');
    expect(m1?.barsStored).toBeGreaterThan(0);
    expect(h1).toMatchObject({ barsStored: m1?.barsStored, lastWrite: m1?.lastWrite, firstBar: Math.floor((m1?.firstBar as number) / HOUR) * HOUR });
  });

  it('judges the days of a derived interval from its base bars', async () => {
    const day = Date.UTC(2024, 4, 9);
    await backfill('1m', day, day + DAY);
    const body = await get<{ interval: string; derivedFrom: unknown; days: { condition: string; bars: Record<string, number> }[] }>(
      `/v1/datasets/condition?node=${BTC}&interval=1h&start=${iso(day)}&end=${iso(day + 2 * DAY)}`,
    );
    expect(body.interval).toBe('1h');
    expect(body.derivedFrom).toEqual({ interval: '1m', intervalMs: MIN });
    expect(body.days.map((d) => d.condition)).toEqual(['available', 'missing']);
    expect(body.days[0].bars).toMatchObject({ expected: 24 * 60, stored: 24 * 60 });
  });
});
