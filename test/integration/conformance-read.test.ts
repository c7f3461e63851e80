import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import { serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const DEFECTS_4H = '/v1/bars?node=ohlcv:demo:DEFECTS&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T04:00:00Z';
const INT_VOLUME = '/v1/bars?node=ohlcv:test:INT-VOLUME&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T01:00:00Z';
/** The one 4-hour defect window of the demo node holds exactly one defect of each kind. */
const DEFECT_FLAGS = { duplicate_ts: 1, gap: 1, non_finite: 1, ohlc_inconsistent: 1 };
/** A subject whose schema says volume is an integer: the synthetic volumes are fractional. */
const INT_VOLUME_SCHEMA = JSON.stringify({
  type: 'object',
  title: 'bars with integer volume',
  properties: {
    ts: { type: 'integer', $comment: 'timestamp-millis' },
    open: { type: 'number' }, high: { type: 'number' }, low: { type: 'number' }, close: { type: 'number' },
    volume: { type: 'integer' },
  },
  required: ['ts', 'open', 'high', 'low', 'close', 'volume'],
});

interface Started { seamless: Seamless; gateway: RunningGateway; remove: () => Promise<void> }

async function start(extra: Partial<SeamlessConfigInput>, env: Record<string, string> = {}): Promise<Started> {
  const dir = await tempDir();
  const base = demoConfig();
  const seamless = await createSeamless({
    config: {
      ...base,
      ...extra,
      dataDir: dir.path,
      datasets: [...(base.datasets ?? []), { nodeId: 'ohlcv:test:INT-VOLUME', intervals: ['1m'], source: 'synthetic', schemaSubject: 'int-volume-bars' }],
    },
    env,
    logger: silentLogger(),
  });
  const gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
  return { seamless, gateway, remove: async () => { await gateway.close(); await seamless.close(); await dir.remove(); } };
}

interface Body {
  data?: { ts: number[] };
  metadata?: { rows: number; conformance: { flags: Record<string, number>; warnings: { flag: string; column: string; count: number; firstTs: number | null }[]; reportUri: string | null } };
  error?: { code: string; message: string; details: Record<string, unknown> & { report?: { flags: Record<string, number>; uri: string; regression: { newFlags: string[] } } } };
}

describe('conformance on reads (blocking mode, canary schemas)', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start({});
    await s.seamless.registry.register('int-volume-bars', INT_VOLUME_SCHEMA, 'test');
  });
  afterAll(async () => { await s?.remove(); });
  const get = async (path: string): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${s.gateway.url}${path}`);
    return { status: res.status, body: await res.json() as Body };
  };

  it('blocks the defect demo node with exactly its flags and the archived report', async () => {
    const { status, body } = await get(DEFECTS_4H);
    expect(status).toBe(422);
    expect(body.error?.code).toBe('conformance_blocked');
    expect(body.error?.details.report?.flags).toEqual(DEFECT_FLAGS);
    expect(body.error?.details.report?.uri).toMatch(/^qmtl:\/\/observability\/seamless\/ohlcv%3Ademo%3ADEFECTS\/[0-9a-f-]{36}$/);
    expect(body.error?.details.report?.regression.newFlags.sort()).toEqual(Object.keys(DEFECT_FLAGS).sort());
    expect(body.error?.message).toContain('duplicate_ts (1)');
  });

  it('serves the defect node with its findings when the caller passes partial_ok', async () => {
    const { status, body } = await get(`${DEFECTS_4H}&partial_ok=true`);
    expect(status).toBe(200);
    expect(body.metadata?.conformance.flags).toEqual(DEFECT_FLAGS);
    const byFlag = Object.fromEntries((body.metadata?.conformance.warnings ?? []).map((w) => [w.flag, w]));
    expect(byFlag.non_finite).toMatchObject({ column: 'close', count: 1 });
    expect(byFlag.gap).toMatchObject({ column: 'ts', count: 1 });
    expect(body.data?.ts).toHaveLength(239); // 240 bars on the grid, one of them missing upstream
    const uri = body.metadata?.conformance.reportUri ?? '';
    const id = uri.split('/').pop() ?? '';
    const report = await get(`/v1/reports/${id}`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ report: { id, uri, flags: DEFECT_FLAGS, nodeId: 'ohlcv:demo:DEFECTS' } });
    const list = await get('/v1/reports?node=ohlcv:demo:DEFECTS');
    expect((list.body as unknown as { reports: { id: string }[] }).reports.map((r) => r.id)).toContain(id);
  });

  it('reports a clean dataset with no findings and no report', async () => {
    const { status, body } = await get('/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z');
    expect(status).toBe(200);
    expect(body.metadata?.conformance).toEqual({ flags: {}, warnings: [], reportUri: null });
  });

  it('never counts known-empty weekends as gaps', async () => {
    const { status, body } = await get('/v1/bars?node=ohlcv:demo:ACME&interval=1d&start=2024-01-01&end=2024-03-01');
    expect(status).toBe(200);
    expect(body.metadata?.conformance.flags).toEqual({});
  });

  it('never counts known-empty weekends as gaps when the response cache answers part of the range', async () => {
    // May is read (and cached) first; the April–May read then gets May from the cache and only
    // April from storage: May's weekends are still known empty, not gaps.
    const may = await get('/v1/bars?node=ohlcv:demo:ACME&interval=1d&start=2024-05-01&end=2024-06-01');
    expect(may.status).toBe(200);
    const { status, body } = await get('/v1/bars?node=ohlcv:demo:ACME&interval=1d&start=2024-04-01&end=2024-06-01');
    expect(status, JSON.stringify(body.error?.message)).toBe(200);
    expect(body.metadata?.conformance.flags).toEqual({});
  });

  it('records a canary schema violation and still serves the read', async () => {
    const { status, body } = await get(INT_VOLUME);
    expect(status).toBe(200);
    expect(body.metadata?.conformance.flags).toMatchObject({ dtype_mismatch: 60 });
    expect(await s.seamless.registry.canaryFailures('int-volume-bars')).toBeGreaterThan(0);
    const metrics = await (await fetch(`${s.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/seamless_schema_validation_failures_total\{subject="int-volume-bars",mode="canary"\} [1-9]/);
  });

  it('counts flags, warnings and blocked reads in the metrics', async () => {
    const metrics = await (await fetch(`${s.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/seamless_conformance_flag_total\{node_id="ohlcv:demo:DEFECTS",interval="1m",flag_type="gap"\} [1-9]/);
    expect(metrics).toMatch(/seamless_conformance_warning_total\{node_id="ohlcv:demo:DEFECTS",interval="1m"\} [1-9]/);
    expect(metrics).toMatch(/seamless_conformance_blocked_total\{node_id="ohlcv:demo:DEFECTS",interval="1m"\} [1-9]/);
  });
});

describe('conformance in shadow mode', () => {
  let s: Started;
  beforeAll(async () => { s = await start({}, { SEAMLESS_CONFORMANCE_MODE: 'shadow' }); });
  afterAll(async () => { await s?.remove(); });

  it('serves the defect node with its findings and never blocks', async () => {
    const res = await fetch(`${s.gateway.url}${DEFECTS_4H}`);
    expect(res.status).toBe(200);
    const body = await res.json() as Body;
    expect(body.metadata?.conformance.flags).toEqual(DEFECT_FLAGS);
    expect(body.metadata?.conformance.reportUri).toMatch(/^qmtl:\/\//);
  });
});

describe('strict schema validation', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start({ schema_registry: { validation_mode: 'strict' } });
    await s.seamless.registry.register('int-volume-bars', INT_VOLUME_SCHEMA, 'test');
  });
  afterAll(async () => { await s?.remove(); });

  it('rejects a payload whose column type changed, naming subject and field, even with partial_ok', async () => {
    const res = await fetch(`${s.gateway.url}${INT_VOLUME}&partial_ok=true`);
    expect(res.status).toBe(422);
    const body = await res.json() as Body;
    expect(body.error?.code).toBe('conformance_blocked');
    expect(body.error?.details).toMatchObject({ reason: 'schema_validation', subject: 'int-volume-bars', version: 1 });
    expect(String(body.error?.message)).toContain('volume');
    const metrics = await (await fetch(`${s.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/seamless_schema_validation_failures_total\{subject="int-volume-bars",mode="strict"\} [1-9]/);
  });

  it('still serves datasets that conform', async () => {
    const res = await fetch(`${s.gateway.url}/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T01:00:00Z`);
    expect(res.status).toBe(200);
  });
});
