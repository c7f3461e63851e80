import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { serveGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

/** Policies for three datasets fed by a slow upstream (400 ms per fetch), one per onViolation. */
function policy(name: string, node: string, mode: 'enforced' | 'dry-run', onViolation: 'fail' | 'partial' | 'hold', extra = ''): string {
  return `name: ${name}
match:
  node: "${node}"
  interval: 1m
mode: ${mode}
budgets:
  backfill: 150
  total: 5000
onViolation: ${onViolation}
owner: test
runbook: docs/operations/sla/${name}.md
escalation: "#test"
${extra}`;
}

interface Body {
  data?: { ts: number[] };
  metadata?: { rows: number; downgraded: boolean; downgradeMode: string | null; downgradeReason: string | null; partial: boolean; cacheHit: boolean; backfill: { jobId: string } | null; slaViolation: { policy: string; dryRun: boolean; decision: string; violations: { phase: string; budgetMs?: number; elapsedMs?: number }[] } | null };
  error?: { code: string; message: string; details: { phase: string; elapsedMs: number; budgetMs: number; policy: string } };
}

const RANGE = '&interval=1m&start=2023-09-01T00:00:00Z&end=2023-09-01T02:00:00Z';

describe('SLA policies enforced on reads', () => {
  const gateway = gatewayForSuite(async (dataDir) => {
    const slaDir = join(dataDir, 'sla');
    await mkdir(slaDir);
    await writeFile(join(slaDir, 'fail.yml'), policy('slow-fail', 'ohlcv:slow:FAIL', 'enforced', 'fail'));
    await writeFile(join(slaDir, 'partial.yml'), policy('slow-partial', 'ohlcv:slow:PARTIAL', 'enforced', 'partial'));
    await writeFile(join(slaDir, 'hold.yml'), policy('slow-hold', 'ohlcv:slow:HOLD', 'enforced', 'hold'));
    await writeFile(join(slaDir, 'dry.yml'), policy('slow-dry', 'ohlcv:slow:DRY', 'dry-run', 'fail'));
    await writeFile(join(slaDir, 'fresh.yml'), policy('fresh', 'ohlcv:demo:BTC-USD', 'dry-run', 'partial', 'freshness:\n  maxLagMs: 1\n'));
    const base = demoConfig();
    return {
      config: {
        ...base,
        dataDir,
        sources: { ...base.sources, slow: { kind: 'synthetic', seed: 5, latencyMs: 400 } },
        datasets: [...(base.datasets ?? []), ...['FAIL', 'PARTIAL', 'HOLD', 'DRY', 'PLAIN'].map((n) => ({ nodeId: `ohlcv:slow:${n}`, intervals: ['1m'], source: 'slow' }))],
        seamless: { sla: { dir: slaDir } },
      },
    };
  });

  const get = async (path: string): Promise<{ status: number; body: Body; ms: number; text: string }> => {
    const t0 = performance.now();
    const res = await fetch(`${gateway.url}${path}`);
    const text = await res.text();
    const ms = performance.now() - t0;
    return { status: res.status, body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) as Body : {}, ms, text };
  };

  it('fails an enforced read with sla_exceeded as soon as the backfill budget runs out', async () => {
    const { status, body, ms } = await get(`/v1/bars?node=ohlcv:slow:FAIL${RANGE}&strategy=auto_backfill`);
    expect(status).toBe(504);
    expect(body.error?.code).toBe('sla_exceeded');
    expect(body.error?.details).toMatchObject({ phase: 'backfill', budgetMs: 150, policy: 'slow-fail' });
    // The measured figure (goal: within budget + 50 ms) is printed; the bound asserted here only
    // guards against waiting for the backfill (400 ms per fetch), so a loaded CI machine passes.
    expect(body.error?.details.elapsedMs).toBeLessThan(400);
    console.log(`sla: backfill budget 150 ms, read answered in ${ms.toFixed(0)} ms (phase elapsed ${body.error?.details.elapsedMs} ms)`);
  });

  it('returns what is there, downgraded with the job id, under onViolation partial — and the shards keep going', async () => {
    const { status, body } = await get(`/v1/bars?node=ohlcv:slow:PARTIAL${RANGE}`);
    expect(status).toBe(200);
    expect(body.metadata).toMatchObject({ downgraded: true, downgradeMode: 'partial', downgradeReason: 'sla_backfill', partial: true });
    expect(body.metadata?.slaViolation).toMatchObject({ policy: 'slow-partial', dryRun: false, decision: 'partial' });
    const jobId = body.metadata?.backfill?.jobId ?? '';
    expect(await gateway.seamless.waitBackfill(jobId)).toMatchObject({ completionRatio: 1 });
  });

  it('marks the answer as not to be traded on under onViolation hold', async () => {
    const { status, body } = await get(`/v1/bars?node=ohlcv:slow:HOLD${RANGE}`);
    expect(status).toBe(200);
    expect(body.metadata).toMatchObject({ downgraded: true, downgradeMode: 'hold', downgradeReason: 'sla_backfill' });
  });

  it('reports a dry-run violation without changing a byte of the response', async () => {
    const dry = await get(`/v1/bars?node=ohlcv:slow:DRY${RANGE}&strategy=auto_backfill`);
    expect(dry.status).toBe(200);
    expect(dry.body.metadata?.slaViolation).toMatchObject({ policy: 'slow-dry', dryRun: true, decision: 'serve', violations: [{ phase: 'backfill', budgetMs: 150 }] });
    expect(dry.body.metadata).toMatchObject({ downgraded: false, partial: false });
    // The same read as CSV, with and without the policy (another instance, same source): byte for byte equal.
    const withPolicy = await get(`/v1/bars?node=ohlcv:slow:DRY${RANGE}&format=csv`);
    const plainDir = await tempDir();
    const base = demoConfig();
    const plain = await createSeamless({
      config: { ...base, dataDir: plainDir.path, sources: { slow: { kind: 'synthetic', seed: 5 } }, datasets: [{ nodeId: 'ohlcv:slow:DRY', intervals: ['1m'], source: 'slow' }] },
      env: {}, logger: silentLogger(),
    });
    try {
      const plainGateway = await serveGateway({ seamless: plain, host: '127.0.0.1', port: 0 });
      const without = await (await fetch(`${plainGateway.url}/v1/bars?node=ohlcv:slow:DRY${RANGE}&strategy=auto_backfill&format=csv`)).text();
      await plainGateway.close();
      expect(withPolicy.text).toBe(without);
    } finally {
      await plain.close();
      await plainDir.remove();
    }
  });

  it('evaluates freshness on every read, cache hits included', async () => {
    const range = `/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=${Date.now() - 3_600_000}&end=${Date.now()}`;
    const first = await get(range);
    // (On a loaded machine the first read's backfill may also outrun the policy's 150 ms budget.)
    const freshness = expect.arrayContaining([expect.objectContaining({ phase: 'freshness' })]) as unknown;
    expect(first.body.metadata?.slaViolation).toMatchObject({ policy: 'fresh', dryRun: true, violations: freshness });
    const second = await get(range);
    expect(second.body.metadata?.cacheHit).toBe(true);
    expect(second.body.metadata?.slaViolation).toMatchObject({ policy: 'fresh', violations: freshness });
  });

  it('counts violations, downgrades and phase durations', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(/seamless_sla_violations_total\{node_id="ohlcv:slow:FAIL",phase="backfill",policy="slow-fail",mode="enforced"\} 1/);
    expect(text).toMatch(/seamless_sla_downgrades_total\{node_id="ohlcv:slow:HOLD",mode="hold",reason="sla_backfill"\} 1/);
    expect(text).toContain('seamless_sla_deadline_seconds_bucket{le="0.25",node_id="ohlcv:slow:FAIL",phase="backfill"}');
  });
});

describe('SLA policy files at start', () => {
  it('refuses a bad policy file, naming the file, the line and the key', async () => {
    const dir = await tempDir();
    try {
      const slaDir = join(dir.path, 'sla');
      await mkdir(slaDir);
      await writeFile(join(slaDir, 'bad.yml'), 'name: bad\nmatch:\n  node: "*"\nmode: enforced\nbudgets:\n  totl: 100\nowner: a\nrunbook: x.md\nescalation: y\n');
      await expect(createSeamless({ overrides: { dataDir: dir.path, seamless: { sla: { dir: slaDir } } }, env: {}, logger: silentLogger() }))
        .rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/bad\.yml:6.*totl/) });
    } finally {
      await dir.remove();
    }
  });
});
