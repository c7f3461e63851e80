/**
 * The catalog through a real gateway on the demo configuration: GET /v1/datasets with its
 * coverage summary per interval (configured and storage-only datasets), and the per-day
 * condition GET /v1/datasets/condition after backfills of two days of a clean dataset and of
 * the defective demo dataset (ohlcv:demo:DEFECTS), with the 400s and 404 of bad input.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/until.js';

const BTC = 'ohlcv:demo:BTC-USD';
const DEFECTS = 'ohlcv:demo:DEFECTS';
const IMPORTED = 'ohlcv:file:IMPORTED';
const MIN = 60_000;
const DAY = 86_400_000;
const JAN1 = Date.UTC(2024, 0, 1);

interface Coverage {
  interval: string; intervalMs: number; firstBar: number | null; lastBar: number | null; barsStored: number;
  knownEmptyBars: number; failedBars: number; lastWrite: number | null; baseInterval: string | null; calendar: string;
}
interface Listing { nodeId: string; intervals: string[]; source: string | null; schemaSubject: string; configured: boolean; coverage: Coverage[] }
interface Day { date: string; start: number; end: number; condition: string; reason: string; lastChange: number | null; bars: Record<string, number>; findings: number }
interface Condition { nodeId: string; interval: string; days: Day[]; summary: Record<string, number> }
interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

describe('the catalog and the per-day condition (gateway on the demo configuration)', () => {
  const gateway = gatewayForSuite((dataDir) => ({ overrides: { dataDir } }));
  const get = (path: string): Promise<Response> => fetch(`${gateway.url}${path}`);
  let backfilledAt = 0;

  async function backfill(node: string, start: number, end: number): Promise<void> {
    const post = await fetch(`${gateway.url}/v1/backfills`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node, interval: '1m', start: new Date(start).toISOString(), end: new Date(end).toISOString() }),
    });
    expect(post.status).toBe(202);
    const { job } = await post.json() as { job: { id: string } };
    await until(async () => {
      const status = await (await get(`/v1/backfills/${encodeURIComponent(job.id)}`)).json() as { job: { state: string } };
      return status.job.state !== 'running';
    }, `backfill job ${job.id} of ${node}`, 60_000);
  }

  beforeAll(async () => {
    const before = Date.now();
    await backfill(BTC, JAN1, JAN1 + 2 * DAY);
    await backfill(DEFECTS, JAN1, JAN1 + 2 * DAY);
    const csv = join(gateway.dir, 'imported.csv');
    const rows = [0, 1, 2].map((i) => `${new Date(JAN1 + i * MIN).toISOString()},10,11,9,10,${i + 1}`);
    await writeFile(csv, `ts,open,high,low,close,volume\n${rows.join('\n')}\n`);
    await gateway.seamless.import({ path: csv, nodeId: IMPORTED, interval: '1m' });
    backfilledAt = before;
  }, 120_000);

  it('lists every dataset with a coverage summary per interval, keeping the fields of the listing', async () => {
    const res = await get('/v1/datasets');
    expect(res.status).toBe(200);
    const { datasets } = await res.json() as { datasets: Listing[] };
    const btc = datasets.find((d) => d.nodeId === BTC);
    expect(btc).toMatchObject({ source: 'synthetic', configured: true, schemaSubject: expect.any(String) as string });
    expect(btc?.coverage.map((c) => c.interval)).toEqual(btc?.intervals);
    const oneMinute = btc?.coverage.find((c) => c.interval === '1m');
    // Backfill fetches whole aligned shards: what is stored covers the two days, maybe more; the
    // summary must agree with the dataset's coverage.
    const { ranges } = await (await get(`/v1/coverage?node=${encodeURIComponent(BTC)}&interval=1m`)).json() as { ranges: { start: number; end: number; state: string }[] };
    expect(ranges.map((r) => r.state)).toEqual(['stored']);
    expect(oneMinute).toMatchObject({
      intervalMs: MIN, firstBar: ranges[0].start, lastBar: ranges[0].end - MIN, barsStored: (ranges[0].end - ranges[0].start) / MIN,
      knownEmptyBars: 0, failedBars: 0, baseInterval: '1m', calendar: '24/7',
    });
    expect(ranges[0].start).toBeLessThanOrEqual(JAN1);
    expect(ranges[0].end).toBeGreaterThanOrEqual(JAN1 + 2 * DAY);
    expect(oneMinute?.lastWrite).toBeGreaterThanOrEqual(backfilledAt);
    expect(oneMinute?.lastWrite).toBeLessThanOrEqual(Date.now());
    // A derived interval (5m of a 1m base) summarises the base bars its reads resample, in its buckets.
    const derived = btc?.coverage.find((c) => c.interval === '5m');
    expect(derived).toMatchObject({ derivedFrom: '1m', firstBar: ranges[0].start, lastBar: ranges[0].end - 5 * MIN, barsStored: oneMinute?.barsStored, lastWrite: oneMinute?.lastWrite });
    // An interval nothing was stored for is listed with zeros, not left out (ACME stores 1d and 1h, derives nothing).
    const acme = datasets.find((d) => d.nodeId === 'ohlcv:demo:ACME');
    expect(acme?.coverage.find((c) => c.interval === '1h')).toMatchObject({ firstBar: null, lastBar: null, barsStored: 0, lastWrite: null, derivedFrom: null });

    // The defective day lost bars to its gaps: the count is of rows stored, not of the range.
    const defects = datasets.find((d) => d.nodeId === DEFECTS)?.coverage.find((c) => c.interval === '1m');
    expect(defects?.barsStored).toBeGreaterThan(0);
    expect(defects?.barsStored).toBeLessThan(((defects?.lastBar ?? 0) - (defects?.firstBar ?? 0)) / MIN + 1);

    const imported = datasets.find((d) => d.nodeId === IMPORTED);
    expect(imported).toMatchObject({ configured: false, source: null, intervals: ['1m'] });
    expect(imported?.coverage).toEqual([expect.objectContaining({ interval: '1m', firstBar: JAN1, lastBar: JAN1 + 2 * MIN, barsStored: 3, calendar: '24/7' })]);
  });

  it('says available for the stored days of a clean dataset and missing for a day never stored', async () => {
    const res = await get(`/v1/datasets/condition?node=${encodeURIComponent(BTC)}&interval=1m&start=2024-01-01&end=2024-01-05`);
    expect(res.status).toBe(200);
    const body = await res.json() as Condition;
    // Days the backfill's aligned shards stored beyond the two asked for are available too; the
    // last day of the answer is past every shard (shards are at most a day of 1m bars here).
    const { ranges } = await (await get(`/v1/coverage?node=${encodeURIComponent(BTC)}&interval=1m`)).json() as { ranges: { start: number; end: number }[] };
    const storedUntil = ranges[0].end;
    expect(storedUntil).toBeLessThan(JAN1 + 4 * DAY);
    expect(body).toMatchObject({ nodeId: BTC, interval: '1m' });
    expect(body.days.map((d) => [d.date, d.condition])).toEqual(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'].map((date, i) => [
      date, JAN1 + (i + 1) * DAY <= storedUntil ? 'available' : 'missing',
    ]));
    expect(body.summary).toEqual({ available: (storedUntil - JAN1) / DAY, degraded: 0, pending: 0, missing: 4 - (storedUntil - JAN1) / DAY });
    expect(body.days[0]).toMatchObject({ start: JAN1, end: JAN1 + DAY, reason: 'all 1440 bars stored (1440) or known empty (0)', bars: { expected: 1440, stored: 1440, missing: 0 } });
    expect(body.days[0].lastChange).toBeGreaterThanOrEqual(backfilledAt);
    expect(body.days[3]).toMatchObject({ reason: 'not stored', lastChange: null, bars: { stored: 0, missing: 1440 } });
  });

  it('says degraded for the days of the defective dataset, with the findings and the gaps as the reason', async () => {
    const body = await (await get(`/v1/datasets/condition?node=${encodeURIComponent(DEFECTS)}&interval=1m&start=2024-01-01&end=2024-01-03`)).json() as Condition;
    expect(body.days.map((d) => d.condition)).toEqual(['degraded', 'degraded']);
    for (const day of body.days) {
      expect(day.reason).toMatch(/partly stored: \d+ of 1440 bars not stored/);
      expect(day.reason).toMatch(/ingest findings: duplicate_ts ×\d+/);
      expect(day.findings).toBeGreaterThan(0);
      expect(day.bars.stored + day.bars.missing).toBe(1440);
      expect(day.lastChange).toBeGreaterThanOrEqual(backfilledAt);
    }
  });

  it('says pending for today, which has not closed yet', async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    const body = await (await get(`/v1/datasets/condition?node=${encodeURIComponent(BTC)}&interval=1m&start=${today}&end=${today + DAY}`)).json() as Condition;
    expect(body.days).toHaveLength(1);
    expect(body.days[0]).toMatchObject({ condition: 'pending' });
    expect(body.days[0].reason).toMatch(/^the day has not closed yet: \d+ of 1440 bars closed/);
  });

  it('refuses bad input with a 400 naming the field, and an unknown dataset with a 404', async () => {
    const base = `node=${encodeURIComponent(BTC)}&interval=1m`;
    const cases: [string, string][] = [
      ['interval=1m&start=2024-01-01&end=2024-01-02', 'node'],
      [`node=${encodeURIComponent(BTC)}&start=2024-01-01&end=2024-01-02`, 'interval'],
      [`node=${encodeURIComponent(BTC)}&interval=7q&start=2024-01-01&end=2024-01-02`, 'interval'],
      [`${base}&start=yesterday&end=2024-01-02`, 'start'],
      [`${base}&start=2024-01-01`, 'end'],
      [`${base}&start=2024-01-02&end=2024-01-01`, 'end'],
      [`${base}&start=2000-01-01&end=2024-01-01`, 'end'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/v1/datasets/condition?${query}`);
      const body = await res.json() as ErrorJson;
      expect([query, res.status, body.error.code]).toEqual([query, 400, 'invalid_request']);
      expect(body.error.message.startsWith(`${field}:`) || body.error.message.includes(field)).toBe(true);
      expect(body.error.details).toMatchObject({ field });
    }
    const spanned = await (await get(`/v1/datasets/condition?${base}&start=2000-01-01&end=2024-01-01`)).json() as ErrorJson;
    expect(spanned.error.message).toContain('3660');

    const unknown = await get('/v1/datasets/condition?node=ohlcv:demo:NOPE&interval=1m&start=2024-01-01&end=2024-01-02');
    expect(unknown.status).toBe(404);
    expect((await unknown.json() as ErrorJson).error).toMatchObject({ code: 'not_found', details: { field: 'node' } });
  });
});
