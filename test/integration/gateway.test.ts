import { describe, expect, it } from 'vitest';
import { decodeArrowIpc } from '../../src/core/index.js';
import { generateApiKey, serveGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import { demoConfig } from '../../src/config/internal.js';
import { tempDir } from '../helpers/temp-dir.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const BTC = 'ohlcv:demo:BTC-USD';
const HOUR = '&start=2024-01-01T00:00:00Z&end=2024-01-01T01:00:00Z';

interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

describe('gateway (real server on an ephemeral port)', () => {
  const gateway = gatewayForSuite((dataDir) => ({ overrides: { dataDir, limits: { maxBars: 100_000 } } }));

  const get = (path: string, init?: RequestInit) => fetch(`${gateway.url}${path}`, init);

  it('answers health, readiness and metrics without a key', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', checks: { storage: { ok: true } } });
    expect((await get('/readyz')).status).toBe(200);
    await get(`/v1/bars?node=${BTC}&interval=1m${HOUR}`);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain('seamless_requests_total{route="/v1/bars",status="200"}');
    expect(metrics).toContain('seamless_request_duration_seconds_bucket');
    expect(metrics).toContain('seamless_rows_served_total');
    expect(metrics).toContain('seamless_backfill_shards_fetched_total');
    expect(metrics).toContain('seamless_cache_misses_total');
  });

  it('lists the configured demo datasets', async () => {
    const body = await (await get('/v1/datasets')).json() as { datasets: { nodeId: string; intervals: string[]; source: string }[] };
    const btc = body.datasets.find((d) => d.nodeId === BTC);
    expect(btc).toMatchObject({ source: 'synthetic' });
    expect(btc?.intervals).toContain('1m');
  });

  it('serves one hour of 1m bars as columnar JSON with metadata', async () => {
    const res = await get(`/v1/bars?node=${encodeURIComponent(BTC)}&interval=1m${HOUR}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = await res.json() as { data: Record<string, number[]>; metadata: Record<string, unknown> };
    expect(body.data.ts).toHaveLength(60);
    expect(body.data.ts[0]).toBe(Date.UTC(2024, 0, 1));
    expect(Object.keys(body.data)).toEqual(['ts', 'open', 'high', 'low', 'close', 'volume']);
    expect(body.metadata).toMatchObject({ rows: 60, coverageRatio: 1, nodeId: BTC, interval: '1m' });
    expect(String(body.metadata.fingerprint)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('serves the same bars as CSV and as Arrow (by format and by Accept), identical to JSON', async () => {
    const json = await (await get(`/v1/bars?node=${BTC}&interval=1m${HOUR}`)).json() as { data: Record<string, number[]>; metadata: { fingerprint: string } };
    const csv = await get(`/v1/bars?node=${BTC}&interval=1m${HOUR}&format=csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe('ts,open,high,low,close,volume');
    expect(lines).toHaveLength(61);
    expect(Number(lines[1].split(',')[4])).toBe(json.data.close[0]);

    for (const init of [undefined, { headers: { accept: 'application/vnd.apache.arrow.stream' } }]) {
      const url = init ? `/v1/bars?node=${BTC}&interval=1m${HOUR}` : `/v1/bars?node=${BTC}&interval=1m${HOUR}&format=arrow`;
      const res = await get(url, init);
      expect(res.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
      const { frame, metadata } = decodeArrowIpc(new Uint8Array(await res.arrayBuffer()));
      expect(Array.from(frame.column('close'))).toEqual(json.data.close);
      expect(Array.from(frame.ts)).toEqual(json.data.ts);
      expect(JSON.parse(metadata['seamless.metadata'])).toMatchObject({ rows: 60, fingerprint: json.metadata.fingerprint });
    }
    const accept = await get(`/v1/bars?node=${BTC}&interval=1m${HOUR}`, { headers: { accept: 'text/csv' } });
    expect(accept.headers.get('content-type')).toContain('text/csv');
  });

  it('rounds off-grid bounds outward and says so in the metadata', async () => {
    const res = await get(`/v1/bars?node=${BTC}&interval=1m&start=2024-01-01T00:00:30Z&end=2024-01-01T00:10:10Z`);
    const body = await res.json() as { data: { ts: number[] }; metadata: Record<string, unknown> };
    expect(body.data.ts).toHaveLength(11);
    expect(body.metadata).toMatchObject({
      rangeAdjusted: true,
      requestedRange: { start: Date.UTC(2024, 0, 1, 0, 0, 30), end: Date.UTC(2024, 0, 1, 0, 10, 10) },
      alignedRange: { start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 0, 1, 0, 11) },
    });
  });

  const badInputs: [string, string, number, string, string][] = [
    ['missing node', `interval=1m${HOUR}`, 400, 'invalid_request', 'node'],
    ['malformed node', `node=%01bad&interval=1m${HOUR}`, 400, 'invalid_request', 'node'],
    ['missing interval', `node=${BTC}${HOUR}`, 400, 'invalid_request', 'interval'],
    ['malformed interval', `node=${BTC}&interval=7q${HOUR}`, 400, 'invalid_request', 'interval'],
    ['missing start', `node=${BTC}&interval=1m&end=2024-01-01T01:00:00Z`, 400, 'invalid_request', 'start'],
    ['malformed start', `node=${BTC}&interval=1m&start=yesterday&end=2024-01-01T01:00:00Z`, 400, 'invalid_request', 'start'],
    ['missing end', `node=${BTC}&interval=1m&start=2024-01-01T00:00:00Z`, 400, 'invalid_request', 'end'],
    ['malformed end', `node=${BTC}&interval=1m&start=2024-01-01T00:00:00Z&end=2024-13-01`, 400, 'invalid_request', 'end'],
    ['end before start', `node=${BTC}&interval=1m&start=2024-01-02T00:00:00Z&end=2024-01-01T00:00:00Z`, 400, 'invalid_request', 'end'],
    ['end equal to start', `node=${BTC}&interval=1m&start=2024-01-01T00:00:00Z&end=2024-01-01T00:00:00Z`, 400, 'invalid_request', 'end'],
    ['range beyond the maximum bars', `node=${BTC}&interval=1m&start=2020-01-01T00:00:00Z&end=2024-01-01T00:00:00Z`, 400, 'invalid_request', 'end'],
    ['unknown strategy', `node=${BTC}&interval=1m${HOUR}&strategy=yolo`, 400, 'invalid_request', 'strategy'],
    ['unknown format', `node=${BTC}&interval=1m${HOUR}&format=xml`, 400, 'invalid_request', 'format'],
    ['malformed partial_ok', `node=${BTC}&interval=1m${HOUR}&partial_ok=maybe`, 400, 'invalid_request', 'partial_ok'],
    ['unknown dataset', `node=ohlcv:nowhere:XYZ&interval=1m${HOUR}`, 404, 'not_found', 'node'],
    ['unconfigured interval of a known node without a base interval', `node=ohlcv:demo:DEFECTS&interval=3m${HOUR}`, 404, 'not_found', 'node'],
  ];

  it.each(badInputs)('rejects %s with its status, naming the field', async (_name, query, status, code, field) => {
    const res = await get(`/v1/bars?${query}`);
    expect(res.status).toBe(status);
    const body = await res.json() as ErrorJson;
    expect(body.error.code).toBe(code);
    expect(body.error.details.field).toBe(field);
    expect(body.error.message).toContain(field);
  });

  it('answers fail_fast on a range nobody backfilled with data_unavailable and the missing ranges', async () => {
    const res = await get(`/v1/bars?node=ohlcv:demo:ETH-USD&interval=1h&start=2023-03-01T00:00:00Z&end=2023-03-02T00:00:00Z&strategy=fail_fast`);
    expect(res.status).toBe(404);
    const body = await res.json() as ErrorJson;
    expect(body.error.code).toBe('data_unavailable');
    expect(body.error.details.missingRanges).toEqual([{ start: Date.UTC(2023, 2, 1), end: Date.UTC(2023, 2, 2) }]);
  });

  it('reports coverage of what was read', async () => {
    await get(`/v1/bars?node=ohlcv:demo:ETH-USD&interval=1m&start=2024-02-01T00:00:00Z&end=2024-02-01T02:00:00Z`);
    const body = await (await get('/v1/coverage?node=ohlcv:demo:ETH-USD&interval=1m')).json() as { ranges: { start: number; end: number; state: string }[] };
    expect(body.ranges.length).toBeGreaterThan(0);
    for (const r of body.ranges) expect(['stored', 'known_empty', 'failed']).toContain(r.state);
    const stored = body.ranges.filter((r) => r.state === 'stored');
    expect(stored.some((r) => r.start <= Date.UTC(2024, 1, 1) && r.end >= Date.UTC(2024, 1, 1, 2))).toBe(true);
    const bad = await get('/v1/coverage?interval=1m');
    expect(bad.status).toBe(400);
  });

  it('starts a backfill job (202) and reports its progress to completion', async () => {
    const res = await get('/v1/backfills', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: BTC, interval: '1h', start: '2023-01-01T00:00:00Z', end: '2023-03-01T00:00:00Z' }),
    });
    expect(res.status).toBe(202);
    const { job } = await res.json() as { job: { id: string; state: string; shards: Record<string, number>; completionRatio: number } };
    expect(job.id).toMatch(/^job_/);
    const done = await gateway.seamless.waitBackfill(job.id);
    expect(done.state).toBe('completed');
    const progress = await (await get(`/v1/backfills/${job.id}`)).json() as { job: { completionRatio: number; shards: Record<string, number>; shardList: unknown[] } };
    expect(progress.job.completionRatio).toBe(1);
    expect(progress.job.shardList.length).toBeGreaterThan(0);
    expect((await get('/v1/backfills/job_nope')).status).toBe(404);
    const missing = await get('/v1/backfills', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: BTC, interval: '1h', start: '2023-01-01' }) });
    expect(missing.status).toBe(400);
    expect((await missing.json() as ErrorJson).error.details.field).toBe('end');
    const notJson = await get('/v1/backfills', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect(notJson.status).toBe(400);
  });

  it('parses an empty body sent with a JSON or vendor JSON content type as no body, on any route', async () => {
    for (const type of ['application/json', 'application/vnd.schemaregistry.v1+json', 'application/problem+json; charset=utf-8']) {
      // The route's own check answers (naming the field), never the parser's "Body cannot be empty".
      const post = await get('/v1/backfills', { method: 'POST', headers: { 'content-type': type } });
      expect(post.status, type).toBe(400);
      const body = await post.json() as ErrorJson;
      expect(body.error).toMatchObject({ code: 'invalid_request', details: { field: 'body' } });
      const del = await get('/v1/no-such-thing', { method: 'DELETE', headers: { 'content-type': type } });
      expect(del.status, type).toBe(404);
    }
    // A non-empty body that is not JSON is still refused by the parser.
    const bad = await get('/v1/backfills', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"node":' });
    expect(bad.status).toBe(400);
  });

  it('answers unknown routes with the error body', async () => {
    const res = await get('/v2/nothing');
    expect(res.status).toBe(404);
    expect((await res.json() as ErrorJson).error.code).toBe('not_found');
  });
});

describe('gateway authentication with API keys configured', () => {
  const reader = generateApiKey('strategy-a', ['read']);
  const operator = generateApiKey('ops', ['read', 'backfill']);
  const gateway = gatewayForSuite((dataDir) => ({
    config: { ...demoConfig(), dataDir, auth: { keys: [reader.entry, operator.entry] } },
  }));

  const bars = `/v1/bars?node=${BTC}&interval=1m${HOUR}`;
  const auth = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } });
  const post = (secret?: string) => fetch(`${gateway.url}/v1/backfills`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
    body: JSON.stringify({ node: BTC, interval: '1h', start: '2023-05-01T00:00:00Z', end: '2023-05-02T00:00:00Z' }),
  });

  it('refuses a request without a key with 401', async () => {
    const res = await fetch(`${gateway.url}${bars}`);
    expect(res.status).toBe(401);
    expect((await res.json() as ErrorJson).error.code).toBe('unauthorized');
  });

  it('refuses a wrong key with 401', async () => {
    const res = await fetch(`${gateway.url}${bars}`, auth(`${reader.secret}x`));
    expect(res.status).toBe(401);
  });

  it('refuses a key lacking the scope with 403 naming the scope', async () => {
    const res = await post(reader.secret);
    expect(res.status).toBe(403);
    const body = await res.json() as ErrorJson;
    expect(body.error).toMatchObject({ code: 'forbidden', details: { scope: 'backfill', identity: 'strategy-a' } });
  });

  it('serves a key with the scope', async () => {
    expect((await fetch(`${gateway.url}${bars}`, auth(reader.secret))).status).toBe(200);
    expect((await post(operator.secret)).status).toBe(202);
  });

  it('keeps health and metrics open for probes and scrapers', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(200);
  });
});

describe('gateway host policy', () => {
  it('refuses to bind a non-loopback address when no keys are configured', async () => {
    const dir = await tempDir();
    const seamless = await createSeamless({ overrides: { dataDir: dir.path }, env: {}, logger: silentLogger() });
    try {
      await expect(serveGateway({ seamless, host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'invalid_request', field: 'server.host' });
    } finally {
      await seamless.close();
      await dir.remove();
    }
  });
});
