/**
 * Snapshots through a real gateway in the test process: POST /v1/snapshots reads datasets through
 * the read path and keeps its own copy with a manifest; GET /v1/bars?snapshot=NAME answers the same
 * bytes after the live data is purged and restated; a duplicate name is 409 naming `name`; reads
 * outside what the snapshot holds name the field; the Parquet export reads back (DuckDB) with the
 * same values; an export imported into a second data directory answers the same fingerprints;
 * delete needs `admin`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/gateway/index.js';
import { demoConfig } from '../../src/config/internal.js';
import { gatewayForSuite, startInProcessGateway } from '../helpers/in-process-gateway.js';

const BTC = 'ohlcv:demo:BTC-USD';
const ETH = 'ohlcv:demo:ETH-USD';
const T0 = Date.parse('2024-03-01T00:00:00Z');
const MIN = 60_000;
const iso = (t: number) => new Date(t).toISOString();

interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }
interface DatasetManifestJson { nodeId: string; rows: number; fingerprint: string; columnHashes: Record<string, string>; versions: { source: string; entries: unknown[] }; coverage: { ratio: number } }
interface ManifestJson { name: string; createdBy: string; createdAt: number; fingerprint: string; start: number; end: number; datasets: DatasetManifestJson[] }
interface BarsJson { data: { ts: number[]; open: number[]; close: number[]; volume: number[] }; metadata: { rows: number; fingerprint: string; snapshot?: string } }

describe('snapshots through the gateway', () => {
  const admin = generateApiKey('ops-admin', ['admin']);
  const maker = generateApiKey('research', ['read', 'backfill']);
  const reader = generateApiKey('analyst', ['read']);
  const gateway = gatewayForSuite((dataDir) => ({ config: { ...demoConfig(), dataDir, auth: { keys: [admin.entry, maker.entry, reader.entry] } } }));
  const exportDirs: string[] = [];
  afterAll(async () => {
    for (const d of exportDirs) await rm(d, { recursive: true, force: true });
  });
  const as = (secret: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${secret}`, 'content-type': 'application/json' } });
  const create = (body: unknown, secret = maker.secret) => fetch(`${gateway.url}/v1/snapshots`, as(secret, { method: 'POST', body: JSON.stringify(body) }));
  const bars = (query: string, secret = reader.secret) => fetch(`${gateway.url}/v1/bars?${query}`, as(secret));
  const range = `interval=1m&start=${iso(T0)}&end=${iso(T0 + 120 * MIN)}`;
  const Q1 = { name: 'q1', nodes: [BTC, ETH], interval: '1m', start: iso(T0), end: iso(T0 + 120 * MIN), strategy: 'seamless' };

  it('creates a snapshot with a manifest: rows, fingerprints, column hashes, coverage, who and the versions it pins', async () => {
    const res = await create(Q1);
    expect(res.status).toBe(201);
    const { snapshot } = await res.json() as { snapshot: ManifestJson };
    expect(snapshot).toMatchObject({ name: 'q1', createdBy: 'research', start: T0, end: T0 + 120 * MIN });
    expect(snapshot.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(snapshot.datasets.map((d) => [d.nodeId, d.rows])).toEqual([[BTC, 120], [ETH, 120]]);
    for (const d of snapshot.datasets) {
      expect(Object.keys(d.columnHashes)).toEqual(['ts', 'open', 'high', 'low', 'close', 'volume']);
      expect(d.coverage.ratio).toBe(1);
      expect(d.versions.source).toBe('coverage_write_times');
      expect(d.versions.entries.length).toBeGreaterThan(0);
    }
    const listed = await (await fetch(`${gateway.url}/v1/snapshots`, as(reader.secret))).json() as { snapshots: ManifestJson[] };
    expect(listed.snapshots.map((s) => s.name)).toContain('q1');
  });

  it('answers a snapshot read with the same bytes after the live data of its range is purged', async () => {
    const manifest = (await (await fetch(`${gateway.url}/v1/snapshots/q1`, as(reader.secret))).json() as { snapshot: ManifestJson }).snapshot;
    const first = await bars(`node=${BTC}&${range}&snapshot=q1`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-seamless-fingerprint')).toBe(manifest.datasets[0].fingerprint);
    const firstBody = await first.text();

    const purged = await fetch(`${gateway.url}/v1/bars?node=${BTC}&interval=1m&start=${iso(T0)}&end=${iso(T0 + 60 * MIN)}`, as(admin.secret, { method: 'DELETE' }));
    expect(purged.status).toBe(200);
    // The live tables no longer hold those bars: storage alone answers half.
    const live = await (await bars(`node=${BTC}&${range}&strategy=fail_fast&partial_ok=true`)).json() as BarsJson;
    expect(live.metadata.rows).toBe(60);

    const again = await bars(`node=${BTC}&${range}&snapshot=q1`);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-seamless-fingerprint')).toBe(manifest.datasets[0].fingerprint);
    expect(await again.text()).toBe(firstBody);
    // A backtest read of a snapshot needs no as_of: the snapshot is the reproducible answer.
    const backtest = await bars(`node=${BTC}&${range}&snapshot=q1&domain=backtest`);
    expect(backtest.status).toBe(200);
    expect(backtest.headers.get('x-seamless-fingerprint')).toBe(manifest.datasets[0].fingerprint);
    // A narrower range of it is a slice of the same rows.
    const part = await (await bars(`node=${BTC}&interval=1m&start=${iso(T0 + 10 * MIN)}&end=${iso(T0 + 20 * MIN)}&snapshot=q1`)).json() as BarsJson;
    const whole = JSON.parse(firstBody) as BarsJson;
    expect(part.data.close).toEqual(whole.data.close.slice(10, 20));
  });

  it('refuses a second snapshot of a name with 409 naming name, and keeps the first', async () => {
    const res = await create({ ...Q1, nodes: [ETH] });
    expect(res.status).toBe(409);
    const body = await res.json() as ErrorJson;
    expect(body.error.details).toMatchObject({ field: 'name', reason: 'duplicate_snapshot' });
    const manifest = (await (await fetch(`${gateway.url}/v1/snapshots/q1`, as(reader.secret))).json() as { snapshot: ManifestJson }).snapshot;
    expect(manifest.datasets).toHaveLength(2);
  });

  it('names the field of what a snapshot read or create cannot answer', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [bars(`node=ohlcv:demo:ACME&${range}&snapshot=q1`), 404, 'node'],
      [bars(`node=${BTC}&interval=5m&start=${iso(T0)}&end=${iso(T0 + 120 * MIN)}&snapshot=q1`), 404, 'interval'],
      [bars(`node=${BTC}&interval=1m&start=${iso(T0 - 60 * MIN)}&end=${iso(T0)}&snapshot=q1`), 400, 'start'],
      [bars(`node=${BTC}&interval=1m&start=${iso(T0)}&end=${iso(T0 + 500 * MIN)}&snapshot=q1`), 400, 'end'],
      [bars(`node=${BTC}&${range}&snapshot=nope`), 404, 'snapshot'],
      [bars(`node=${BTC}&${range}&snapshot=q1&as_of=${iso(T0)}`), 400, 'as_of'],
      [create({ ...Q1, name: 'bad name!' }), 400, 'name'],
      [create({ ...Q1, name: 'q2', nodes: [] }), 400, 'nodes'],
      [create({ ...Q1, name: 'q2', strategy: 'partial_fill' }), 400, 'strategy'],
      [create({ ...Q1, name: 'q2', node: BTC }), 400, 'node'],
    ];
    for (const [response, status, field] of cases) {
      const res = await response;
      const body = await res.json() as ErrorJson;
      expect({ status: res.status, field: body.error.details.field ?? body.error.message }).toEqual({ status, field });
    }
    // Nothing half-made: q2 was never listed.
    expect((await fetch(`${gateway.url}/v1/snapshots/q2`, as(reader.secret))).status).toBe(404);
  });

  it('exports Parquet that reads back with the values the snapshot answers', async () => {
    const listing = await (await fetch(`${gateway.url}/v1/snapshots/q1/export`, as(reader.secret))).json() as { downloads: { nodeId: string; file: string; url: string; rows: number }[] };
    const btc = listing.downloads.find((d) => d.nodeId === BTC);
    expect(btc?.rows).toBe(120);
    const file = await fetch(`${gateway.url}${btc?.url ?? ''}`, as(reader.secret));
    expect(file.status).toBe(200);
    const dir = await mkdtemp(join(tmpdir(), 'seamless-parquet-'));
    exportDirs.push(dir);
    const path = join(dir, 'btc.parquet');
    await writeFile(path, Buffer.from(await file.arrayBuffer()));
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll(`SELECT ts::DOUBLE, close FROM read_parquet('${path}') ORDER BY ts`)).getRowsJS();
    conn.closeSync();
    instance.closeSync();
    const answer = await (await bars(`node=${BTC}&${range}&snapshot=q1`)).json() as BarsJson;
    expect(rows.map((r) => Number(r[0]))).toEqual(answer.data.ts);
    expect(rows.map((r) => Number(r[1]))).toEqual(answer.data.close);
  });

  it('imports an export into a second data directory with the same fingerprints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seamless-export-'));
    exportDirs.push(dir);
    const exported = await gateway.seamless.snapshots.exportTo('q1', join(dir, 'q1'));
    expect(JSON.parse(await readFile(join(dir, 'q1', 'manifest.json'), 'utf8'))).toMatchObject({ name: 'q1', fingerprint: exported.fingerprint });
    const other = await startInProcessGateway((dataDir) => ({ config: { ...demoConfig(), dataDir } }));
    try {
      const imported = await other.seamless.snapshots.importFrom(join(dir, 'q1'));
      expect(imported.fingerprint).toBe(exported.fingerprint);
      for (const d of exported.datasets) {
        const res = await fetch(`${other.url}/v1/bars?node=${d.nodeId}&${range}&snapshot=q1`);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-seamless-fingerprint')).toBe(d.fingerprint);
      }
    } finally {
      await other.close();
    }
  });

  it('deletes a snapshot for admin keys only', async () => {
    expect((await fetch(`${gateway.url}/v1/snapshots/q1`, as(maker.secret, { method: 'DELETE' }))).status).toBe(403);
    expect((await fetch(`${gateway.url}/v1/snapshots/q1`, as(admin.secret, { method: 'DELETE' }))).status).toBe(200);
    expect((await bars(`node=${BTC}&${range}&snapshot=q1`)).status).toBe(404);
  });
});
