/**
 * Repair through a real gateway in the test process: DELETE /v1/bars purges a range (rows,
 * coverage, findings, leases, cache), the next read backfills it again, POST /v1/backfills/force
 * re-fetches a stored range, GET /v1/audit lists who did what; only `admin` keys may.
 */
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/gateway/index.js';
import { demoConfig } from '../../src/config/internal.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/until.js';

const BTC = 'ohlcv:demo:BTC-USD';
const T0 = Date.parse('2024-03-01T00:00:00Z');
const MIN = 60_000;
const iso = (t: number) => new Date(t).toISOString();

interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }
interface BarsJson { data: { ts: number[]; open: number[] }; metadata: { rows: number; cacheHit: boolean; coverageRatio: number; sources: Record<string, number> } }
interface PurgeJson { purge: { rowsRemoved: number; findingsRetired: number; start: number; end: number; audit: { id: number; actor: string; action: string; rowsRemoved: number } } }

describe('repair: purge and forced backfill through the gateway', () => {
  const admin = generateApiKey('ops-admin', ['admin']);
  const operator = generateApiKey('ops', ['read', 'backfill']);
  const gateway = gatewayForSuite((dataDir) => ({ config: { ...demoConfig(), dataDir, auth: { keys: [admin.entry, operator.entry] } } }));
  const as = (secret: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${secret}` } });
  const bars = (start: number, end: number, extra = '') => fetch(`${gateway.url}/v1/bars?node=${BTC}&interval=1m&start=${iso(start)}&end=${iso(end)}${extra}`, as(admin.secret));
  const purge = (query: string, secret = admin.secret) => fetch(`${gateway.url}/v1/bars?${query}`, as(secret, { method: 'DELETE' }));
  const coverage = async (start: number, end: number) => (await (await fetch(`${gateway.url}/v1/coverage?node=${BTC}&interval=1m&start=${iso(start)}&end=${iso(end)}`, as(admin.secret))).json()) as { ranges: { start: number; end: number; state: string }[] };

  it('purges a range: coverage shows the hole, the cache does not serve it, and the next read backfills it again', async () => {
    const first = await bars(T0, T0 + 60 * MIN);
    expect(first.status).toBe(200);
    const before = await first.json() as BarsJson;
    expect(before.metadata.rows).toBe(60);
    // Cached now: the same read is a cache hit.
    expect((await (await bars(T0, T0 + 60 * MIN)).json() as BarsJson).metadata.cacheHit).toBe(true);

    const res = await purge(`node=${BTC}&interval=1m&start=${iso(T0 + 20 * MIN)}&end=${iso(T0 + 40 * MIN)}`);
    expect(res.status).toBe(200);
    const body = await res.json() as PurgeJson;
    expect(body.purge).toMatchObject({ rowsRemoved: 20, start: T0 + 20 * MIN, end: T0 + 40 * MIN, audit: { actor: 'ops-admin', action: 'purge', rowsRemoved: 20 } });

    const stored = (await coverage(T0, T0 + 60 * MIN)).ranges.filter((r) => r.state === 'stored');
    // Stored up to the hole and from its end on (the backfilled shard may reach past the read).
    expect(stored.some((r) => r.start <= T0 && r.end === T0 + 20 * MIN)).toBe(true);
    expect(stored.some((r) => r.start === T0 + 40 * MIN && r.end >= T0 + 60 * MIN)).toBe(true);
    expect(stored.some((r) => r.start < T0 + 40 * MIN && r.end > T0 + 20 * MIN)).toBe(false);

    // Storage only, no backfill: the hole is what a reader sees, not the cached bars.
    const storageOnly = await bars(T0, T0 + 60 * MIN, '&strategy=fail_fast&partial_ok=true');
    expect(storageOnly.status).toBe(200);
    const partial = await storageOnly.json() as BarsJson;
    expect(partial.metadata.cacheHit).toBe(false);
    expect(partial.metadata.rows).toBe(40);

    // The default read backfills the purged shards again (the leases no longer call them done).
    const again = await bars(T0, T0 + 60 * MIN);
    expect(again.status).toBe(200);
    const refilled = await again.json() as BarsJson;
    expect(refilled.metadata.rows).toBe(60);
    expect(refilled.metadata.sources.backfill).toBeGreaterThan(0);
    expect(refilled.data.open).toEqual(before.data.open);
  });

  it('forces a backfill of a stored range: the rows are fetched again and replaced, not duplicated', async () => {
    const start = T0 + 24 * 60 * MIN;
    const end = start + 120 * MIN;
    expect((await bars(start, end)).status).toBe(200);
    const res = await fetch(`${gateway.url}/v1/backfills/force`, as(admin.secret, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: BTC, interval: '1m', start: iso(start), end: iso(end) }),
    }));
    expect(res.status).toBe(202);
    const body = await res.json() as PurgeJson & { job: { id: string } };
    expect(body.purge).toMatchObject({ rowsRemoved: 120, audit: { action: 'force_backfill', actor: 'ops-admin' } });
    let job: { state: string; rowsWritten: number } = { state: 'running', rowsWritten: 0 };
    await until(async () => {
      job = ((await (await fetch(`${gateway.url}/v1/backfills/${body.job.id}`, as(admin.secret))).json()) as { job: typeof job }).job;
      return job.state !== 'running';
    }, 'the forced backfill job settles', 30_000);
    expect(job.state).toBe('completed');
    // The job's shards may reach past the range; at least the purged 120 bars were fetched again.
    expect(job.rowsWritten).toBeGreaterThanOrEqual(120);
    const read = await (await bars(start, end, '&strategy=fail_fast')).json() as BarsJson;
    expect(read.metadata.rows).toBe(120);
    expect(new Set(read.data.ts).size).toBe(120);

    const audit = await (await fetch(`${gateway.url}/v1/audit?limit=5`, as(admin.secret))).json() as { entries: { action: string; actor: string; start: number }[] };
    expect(audit.entries[0]).toMatchObject({ action: 'force_backfill', actor: 'ops-admin', start });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/seamless_repair_purges_total\{node_id="ohlcv:demo:BTC-USD",interval="1m",action="force_backfill"\} 1/);
    expect(metrics).toMatch(/seamless_repair_rows_removed_total\{node_id="ohlcv:demo:BTC-USD",interval="1m",action="force_backfill"\} 120/);
  });

  it('refuses keys without the admin scope with 403 and changes nothing', async () => {
    const query = `node=${BTC}&interval=1m&start=${iso(T0)}&end=${iso(T0 + 60 * MIN)}`;
    const res = await purge(query, operator.secret);
    expect(res.status).toBe(403);
    expect((await res.json() as ErrorJson).error.code).toBe('forbidden');
    expect((await fetch(`${gateway.url}/v1/audit`, as(operator.secret))).status).toBe(403);
    const force = await fetch(`${gateway.url}/v1/backfills/force`, as(operator.secret, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: BTC, interval: '1m', start: T0, end: T0 + MIN }),
    }));
    expect(force.status).toBe(403);
    expect((await purge(query, '')).status).toBe(401);
  });

  it('answers bad input with a 400 naming the field, and an unknown dataset with 404', async () => {
    const cases: [string, number, string][] = [
      [`interval=1m&start=${iso(T0)}&end=${iso(T0 + MIN)}`, 400, 'node'],
      [`node=${BTC}&interval=7x&start=${iso(T0)}&end=${iso(T0 + MIN)}`, 400, 'interval'],
      [`node=${BTC}&interval=1m&end=${iso(T0 + MIN)}`, 400, 'start'],
      [`node=${BTC}&interval=1m&start=yesterday&end=${iso(T0 + MIN)}`, 400, 'start'],
      [`node=${BTC}&interval=1m&start=${T0 + 30_000}&end=${iso(T0 + MIN)}`, 400, 'start'],
      [`node=${BTC}&interval=1m&start=${iso(T0 + MIN)}&end=${iso(T0)}`, 400, 'end'],
      [`node=${BTC}&interval=1m&start=${iso(Date.parse('1990-01-01T00:00:00Z'))}&end=${iso(T0)}`, 400, 'end'],
    ];
    for (const [query, status, field] of cases) {
      const res = await purge(query);
      const body = await res.json() as ErrorJson;
      expect([query, res.status, body.error.details.field]).toEqual([query, status, field]);
    }
    const unknown = await purge(`node=ohlcv:nowhere&interval=1m&start=${iso(T0)}&end=${iso(T0 + MIN)}`);
    expect(unknown.status).toBe(404);
    const badLimit = await fetch(`${gateway.url}/v1/audit?limit=zero`, as(admin.secret));
    expect(badLimit.status).toBe(400);
    expect((await badLimit.json() as ErrorJson).error.details.field).toBe('limit');
  });
});
