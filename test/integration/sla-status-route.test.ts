/**
 * GET /v1/sla: the SLA status per policy the dashboard shows. Over a real in-process gateway with
 * two policy files: each policy listed with its mode, the configured datasets and intervals it
 * governs (as a read resolves them), `ok` until a read violates it, then `violated` with the
 * count by phase and mode equal to the `seamless_sla_violations_total` samples of /metrics;
 * without `seamless.sla.dir`, an empty list; scope `read` when keys exist.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { generateApiKey } from '../../src/gateway/index.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

function policy(name: string, node: string, extra: string): string {
  return `name: ${name}\nmatch:\n  node: "${node}"\nmode: dry-run\nbudgets:\n  total: 60000\nonViolation: partial\nowner: test\nrunbook: docs/operations/sla/${name}.md\nescalation: "#test"\n${extra}`;
}

interface Status {
  name: string; mode: string; status: string;
  datasets: { node: string; interval: string }[];
  violations: { total: number; byPhase: Record<string, number>; byMode: Record<string, number> };
}

describe('GET /v1/sla', () => {
  const writer = generateApiKey('writer', ['backfill']);
  const reader = generateApiKey('reader', ['read']);
  const gateway = gatewayForSuite(async (dataDir) => {
    const slaDir = join(dataDir, 'sla');
    await mkdir(slaDir);
    // A 1 ms freshness bound: any read of a range reaching the present violates it.
    await writeFile(join(slaDir, 'fresh.yml'), policy('btc-fresh', 'ohlcv:demo:BTC-USD', 'freshness:\n  maxLagMs: 1\n'));
    await writeFile(join(slaDir, 'eth.yml'), policy('eth-calm', 'ohlcv:demo:ETH-*', ''));
    return { config: { ...demoConfig(), dataDir, seamless: { sla: { dir: slaDir } }, auth: { keys: [writer.entry, reader.entry] } } };
  });
  const get = async (path: string, secret = reader.secret): Promise<Response> => await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${secret}` } });

  it('lists each policy with the datasets it governs, ok before any violation', async () => {
    const res = await get('/v1/sla');
    expect(res.status).toBe(200);
    const { policies } = await res.json() as { policies: Status[] };
    const byName = new Map(policies.map((p) => [p.name, p]));
    expect([...byName.keys()].sort()).toEqual(['btc-fresh', 'eth-calm']);
    expect(byName.get('btc-fresh')).toMatchObject({ mode: 'dry-run', status: 'ok', violations: { total: 0 } });
    expect(byName.get('btc-fresh')?.datasets).toEqual(['1m', '5m', '1h', '1d'].map((interval) => ({ node: 'ohlcv:demo:BTC-USD', interval })));
    expect(byName.get('eth-calm')?.datasets).toEqual(['1m', '1h'].map((interval) => ({ node: 'ohlcv:demo:ETH-USD', interval })));
  });

  it('says violated, by phase and mode, once a read violates the policy, as /metrics counts it', async () => {
    const read = await get(`/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=${Date.now() - 3_600_000}&end=${Date.now()}`);
    expect(read.status).toBe(200);
    const { policies } = await (await get('/v1/sla')).json() as { policies: Status[] };
    const fresh = policies.find((p) => p.name === 'btc-fresh');
    expect(fresh?.status).toBe('violated');
    expect(fresh?.violations.byPhase.freshness).toBeGreaterThanOrEqual(1);
    expect(fresh?.violations.byMode['dry-run']).toBe(fresh?.violations.total);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const counted = [...metrics.matchAll(/^seamless_sla_violations_total\{([^}]*)\} (\S+)$/gm)]
      .filter((m) => m[1].includes('policy="btc-fresh"')).reduce((n, m) => n + Number(m[2]), 0);
    expect(fresh?.violations.total).toBe(counted);
    expect(policies.find((p) => p.name === 'eth-calm')).toMatchObject({ status: 'ok', violations: { total: 0 } });
  });

  it('needs scope read', async () => {
    expect((await fetch(`${gateway.url}/v1/sla`)).status).toBe(401);
    expect((await get('/v1/sla', writer.secret)).status).toBe(403);
  });
});

describe('GET /v1/sla without seamless.sla.dir', () => {
  const gateway = gatewayForSuite((dataDir) => ({ overrides: { dataDir } }));
  it('answers no policies', async () => {
    expect(await (await fetch(`${gateway.url}/v1/sla`)).json()).toEqual({ dir: null, policies: [] });
  });
});
