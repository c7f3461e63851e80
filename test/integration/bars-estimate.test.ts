import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, arrowIpcByteLength, decodeArrowIpc } from '../../src/core/index.js';
import type { BarsEstimate } from '../../src/provider/index.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const BTC = 'ohlcv:demo:BTC-USD';
const MIN = 60_000;
/** The default shard of 1m bars: 4,320 bars (3 days). */
const SHARD_MS = 4_320 * MIN;

interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

describe('GET /v1/bars/estimate (real server on an ephemeral port)', () => {
  const gateway = gatewayForSuite((dataDir) => ({ overrides: { dataDir, limits: { maxBars: 100_000 } } }));
  const get = (path: string): Promise<Response> => fetch(`${gateway.url}${path}`);
  const estimate = async (query: string): Promise<BarsEstimate> => {
    const res = await get(`/v1/bars/estimate?${query}`);
    expect(res.status).toBe(200);
    return await res.json() as BarsEstimate;
  };
  /** Stored bars of BTC 1m inside `range`, from coverage. */
  const storedBars = async (range: { start: number; end: number }): Promise<number> => {
    let bars = 0;
    for (const c of await gateway.seamless.coverage(BTC, '1m', range)) {
      if (c.state === 'stored') bars += (Math.min(c.end, range.end) - Math.max(c.start, range.start)) / MIN;
    }
    return bars;
  };

  it('predicts what the following read backfills: its missing bars, the shards it fetches whole, the rows it answers', async () => {
    const start = Date.UTC(2024, 2, 1, 6);
    const end = start + 90 * MIN;
    const query = `node=${encodeURIComponent(BTC)}&interval=1m&start=${start}&end=${end}`;
    const e = await estimate(query);
    expect(e.bars).toEqual({ inRange: 90, stored: 0, knownEmpty: 0, missing: 90, notClosed: 0 });
    expect(e.backfill).toMatchObject({ source: 'synthetic', shards: 1, barsPerShard: 4_320, bars: 4_320, requests: 1, expectedMs: 0 });
    expect(e.bytes.json.basis).toBe('default');

    const span = { start: Math.floor(start / SHARD_MS) * SHARD_MS, end: Math.ceil(end / SHARD_MS) * SHARD_MS };
    const before = await storedBars(span);
    const res = await get(`/v1/bars?${query}`);
    expect(res.status).toBe(200);
    const body = await res.json() as { metadata: { rows: number; sources: { backfill: number } } };
    expect(body.metadata.sources.backfill).toBe(e.bars.missing);
    expect(body.metadata.rows).toBe(e.rows);
    expect((await storedBars(span)) - before).toBe(e.backfill.bars);
  });

  it('gives the Arrow body length exactly, short only of the read metadata in the schema message', async () => {
    const start = Date.UTC(2024, 3, 2, 0);
    const end = start + 1_000 * MIN;
    const query = `node=${encodeURIComponent(BTC)}&interval=1m&start=${start}&end=${end}`;
    const cold = await estimate(query);
    const res = await get(`/v1/bars?${query}&format=arrow`);
    const body = new Uint8Array(await res.arrayBuffer());
    // The read metadata JSON the gateway put in the schema message of this very body.
    const metadataJson = decodeArrowIpc(body.slice()).metadata['seamless.metadata'] ?? '';
    expect(Number(res.headers.get('x-seamless-rows'))).toBe(cold.rows);
    expect(cold.bytes.arrow.bytes).toBe(arrowIpcByteLength(OHLCV_SCHEMA, cold.rows));
    expect(body.byteLength).toBe(arrowIpcByteLength(OHLCV_SCHEMA, cold.rows, { 'seamless.metadata': metadataJson }));
    expect(body.byteLength - cold.bytes.arrow.bytes).toBeGreaterThan(0);
    expect(body.byteLength - cold.bytes.arrow.bytes).toBeLessThanOrEqual(Buffer.byteLength(metadataJson) + 64);
  });

  it('measures JSON and CSV bytes per row on stored rows once there are some', async () => {
    const start = Date.UTC(2024, 3, 2, 0);
    const query = `node=${encodeURIComponent(BTC)}&interval=1m&start=${start}&end=${start + 1_000 * MIN}`;
    const warm = await estimate(query);
    expect(warm.bars).toMatchObject({ stored: 1_000, missing: 0 });
    expect(warm.backfill).toMatchObject({ shards: 0, bars: 0, requests: 0, expectedMs: 0 });
    expect(warm.bytes.json.basis).toBe('measured');
    const csv = await (await get(`/v1/bars?${query}&format=csv`)).text();
    expect(Math.abs(warm.bytes.csv.bytes - Buffer.byteLength(csv)) / Buffer.byteLength(csv)).toBeLessThan(0.05);
    const json = await (await get(`/v1/bars?${query}&format=json`)).text();
    const metadataBytes = Buffer.byteLength(JSON.stringify((JSON.parse(json) as { metadata: unknown }).metadata));
    const dataBytes = Buffer.byteLength(json) - metadataBytes;
    expect(Math.abs(warm.bytes.json.bytes - dataBytes) / dataBytes).toBeLessThan(0.05);
  });

  it('moves no data: rows, coverage and backfill jobs are as they were', async () => {
    const start = Date.UTC(2024, 6, 1);
    const query = `node=${encodeURIComponent(BTC)}&interval=1m&start=${start}&end=${start + 600 * MIN}`;
    const coverageBefore = await gateway.seamless.coverage(BTC, '1m');
    const jobsBefore = gateway.seamless.backfillJobs().length;
    const e = await estimate(query);
    expect(e.bars.missing).toBe(600);
    expect(await gateway.seamless.coverage(BTC, '1m')).toEqual(coverageBefore);
    expect(gateway.seamless.backfillJobs()).toHaveLength(jobsBefore);
  });

  it('refuses bad input with the 400 of the read, naming the field', async () => {
    const cases: [string, string][] = [
      ['interval=1m&start=0&end=60000', 'node'],
      [`node=${BTC}&interval=7q&start=0&end=60000`, 'interval'],
      [`node=${BTC}&interval=1m&start=yesterday&end=60000`, 'start'],
      [`node=${BTC}&interval=1m&start=0&end=60000&strategy=eventually`, 'strategy'],
      [`node=${BTC}&interval=1m&start=0&end=${200_000 * MIN}`, 'end'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/v1/bars/estimate?${query}`);
      const body = await res.json() as ErrorJson;
      expect(res.status, query).toBe(400);
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.message, query).toContain(field);
      const read = await get(`/v1/bars?${query}`);
      expect(read.status, `the read of ${query}`).toBe(400);
    }
    const unknown = await get('/v1/bars/estimate?node=ohlcv:demo:NOPE&interval=1m&start=0&end=60000');
    expect(unknown.status).toBe(404);
  });
});
