/**
 * A real Prometheus (Debian's `prometheus`) scraping a running deployment: `seamless coordinator
 * serve` (embedded lease store, two local workers) and a `seamless serve` gateway whose backfill
 * goes to that coordinator (`seamless.backfill.endpoint`), both on one PostgreSQL database, the
 * gateway with the shipped SLA policies (configs/seamless/sla). A workload over HTTP — reads that
 * backfill, a read of the defective demo node, a read that violates the enforced 1m policy's
 * coverage — and cached reads repeating in the background, so rates over the scrapes move.
 *
 * Prometheus loads the SLA rules `seamless sla render-rules` writes (the real CLI) and every rule
 * file under operations/prometheus/ that exists when the test runs; the test finds both targets
 * up, the key series under the right job labels, the recording rules evaluated with a value, and
 * no rule failing. `seamless health --prometheus` passes against it and fails, naming the series,
 * against a Prometheus that scrapes nothing.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXPECTED_SERIES } from '../../src/observability/index.js';
import { freePort } from '../harness/leftovers.js';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';
import { prometheusAvailable, startPrometheusServer } from '../harness/prometheus-server.js';
import type { PrometheusServer, Sample } from '../harness/prometheus-server.js';
import { SEAMLESS_BIN, eventually, killSeamlessProcesses, startCoordinator, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SLA_DIR = join(ROOT, 'configs/seamless/sla');
const OPERATIONS_RULES_DIR = join(ROOT, 'operations/prometheus');
const GATEWAY_JOB = 'seamless-gateway';
const COORDINATOR_JOB = 'seamless-coordinator';
const BTC = 'ohlcv:demo:BTC-USD';
const DEFECTS = 'ohlcv:demo:DEFECTS';
/** Eight hours of 1m bars: two 240-bar shards, and every defect kind of the defective node. */
const RANGE = 'start=2024-01-01T00:00:00Z&end=2024-01-01T08:00:00Z';
const UNFILLED = 'start=2024-02-01T00:00:00Z&end=2024-02-01T08:00:00Z';
const SERIES_TIMEOUT_MS = 20_000;

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

function seamlessCli(args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SEAMLESS_BIN, ...args], { cwd, env: { PATH: process.env.PATH } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** Rule files among operations/prometheus/*.yml (a file with top-level `groups`), whichever exist now. */
function operationsRuleFiles(): string[] {
  let names: string[];
  try {
    names = readdirSync(OPERATIONS_RULES_DIR);
  } catch {
    return []; // no operations/prometheus/ yet: nothing extra to load
  }
  return names.filter((n) => /\.ya?ml$/.test(n)).map((n) => join(OPERATIONS_RULES_DIR, n)).filter((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as { groups?: unknown } | null;
    return Array.isArray(doc?.groups);
  });
}

function config(dir: string, storageUrl: string, seamless: Record<string, unknown>): string {
  return JSON.stringify({
    dataDir: dir,
    logging: { level: 'warn' },
    storage: { url: storageUrl },
    sources: { demo: { kind: 'synthetic', seed: 5 }, defective: { kind: 'synthetic', seed: 5, defects: true } },
    datasets: [
      { nodeId: BTC, intervals: ['1m'], source: 'demo' },
      { nodeId: DEFECTS, intervals: ['1m'], source: 'defective' },
    ],
    seamless,
  });
}

interface ReadBody { metadata: { rows: number; partial: boolean; downgraded: boolean; slaViolation: unknown } }

describe.skipIf(!prometheusAvailable() || !postgresAvailable())('Prometheus scraping a gateway and a coordinator', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let pg: PostgresServer | undefined;
  let prometheus: PrometheusServer | undefined;
  let empty: PrometheusServer | undefined;
  let gatewayUrl = '';
  let ruleFiles: string[] = [];
  let load: Promise<void> | undefined;
  let loading = true;

  beforeAll(async () => {
    dir = await tempDir('seamless-prometheus-scrape-');
    const slaRules = join(dir.path, 'sla-rules.yml');
    const [coordinatorPort, gatewayPort, rendered, server] = await Promise.all([
      freePort(), freePort(),
      seamlessCli(['sla', 'render-rules', '--dir', SLA_DIR, '--out', slaRules, '--runbooks', join(dir.path, 'runbooks')], dir.path),
      startPostgresServer(),
    ]);
    pg = server;
    expect(rendered.code, rendered.stderr).toBe(0);
    ruleFiles = [slaRules, ...operationsRuleFiles()];
    const storageUrl = await pg.createDatabase('seamless_prom');
    const coordinatorUrl = `http://127.0.0.1:${coordinatorPort}`;

    // Prometheus first: it takes ~5 s to hand its targets to the scrapers, while the processes start.
    [prometheus, empty] = await Promise.all([
      startPrometheusServer({
        jobs: [
          { job: GATEWAY_JOB, targets: [`127.0.0.1:${gatewayPort}`], labels: { component: 'gateway' } },
          { job: COORDINATOR_JOB, targets: [`127.0.0.1:${coordinatorPort}`], labels: { component: 'coordinator' } },
        ],
        ruleFiles,
      }),
      startPrometheusServer(),
    ]);

    const coordinatorConfig = join(dir.path, 'coordinator.yml');
    await writeFile(coordinatorConfig, config(join(dir.path, 'coordinator'), storageUrl, {
      backfill: { barsPerShard: 240, leaseMs: 5_000, heartbeatMs: 1_000 },
    }));
    // One at a time: both migrate the same PostgreSQL database at start.
    await startCoordinator(coordinatorConfig, dir.path, ['--workers', '2'], coordinatorPort);
    const gatewayConfig = join(dir.path, 'gateway.yml');
    await writeFile(gatewayConfig, config(join(dir.path, 'gateway'), storageUrl, {
      sla: { dir: SLA_DIR },
      backfill: { endpoint: coordinatorUrl, localWorkers: 0, barsPerShard: 240 },
    }));
    const gateway = startSeamless(['serve', '--port', String(gatewayPort), '--config', gatewayConfig], dir.path, 'gateway');
    gatewayUrl = (await waitForLine(gateway, /listening on (http:\/\/\S+)/))[1];
  });

  afterAll(async () => {
    loading = false;
    await load;
    await killSeamlessProcesses();
    await prometheus?.stop();
    await empty?.stop();
    await pg?.stop();
    await dir?.remove();
  });

  async function read(node: string, query: string): Promise<{ status: number; body: ReadBody }> {
    const res = await fetch(`${gatewayUrl}/v1/bars?node=${encodeURIComponent(node)}&interval=1m&${query}`, { signal: AbortSignal.timeout(15_000) });
    return { status: res.status, body: (await res.json()) as ReadBody };
  }

  /** Samples of `expr` once there are any (Prometheus scrapes and evaluates every second). */
  function samples(expr: string, accept: (s: Sample[]) => boolean = (s) => s.length > 0): Promise<Sample[]> {
    return eventually(`Prometheus: ${expr}`, async () => {
      const s = await prometheus?.query(expr);
      return s !== undefined && accept(s) ? s : undefined;
    }, SERIES_TIMEOUT_MS, 250);
  }

  it('serves a workload: reads that backfill through the coordinator, a defective node, an SLA violation', async () => {
    const first = await read(BTC, RANGE);
    expect(first.status).toBe(200);
    expect(first.body.metadata).toMatchObject({ rows: 480, partial: false });
    const defective = await read(DEFECTS, `${RANGE}&partial_ok=true`);
    expect(defective.status).toBe(200);
    // Nothing stored for February and fail_fast starts no backfill: coverage 0 against demo-1m's 0.99.
    const violating = await read(BTC, `${UNFILLED}&strategy=fail_fast&partial_ok=true`);
    expect(violating.status).toBe(200);
    expect(violating.body.metadata).toMatchObject({ rows: 0, downgraded: true });
    expect(violating.body.metadata.slaViolation).toBeTruthy();
    // Cached reads from now on, so every rate over the scrapes moves.
    load = (async () => {
      while (loading) {
        await read(BTC, RANGE);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
  });

  it('scrapes both targets: up == 1 under their job labels', async () => {
    const up = await samples('up', (s) => s.length === 2 && s.every((x) => x.value === 1));
    expect(up.map((s) => s.metric.job).sort()).toEqual([COORDINATOR_JOB, GATEWAY_JOB]);
    const targets = await prometheus?.targets();
    expect(targets?.map((t) => `${t.job} ${t.health}`).sort()).toEqual([`${COORDINATOR_JOB} up`, `${GATEWAY_JOB} up`]);
  });

  it('finds the key series of the read path, SLA, conformance and backfill with the right jobs', async () => {
    const jobsOf = async (expr: string): Promise<string[]> => (await samples(`count by (job) (${expr})`)).map((s) => s.metric.job).sort();
    expect(await jobsOf('seamless_fetch_duration_seconds_count')).toEqual([GATEWAY_JOB]);
    expect(await jobsOf('seamless_sla_deadline_seconds_bucket{node_id="ohlcv:demo:BTC-USD",phase="total"}')).toEqual([GATEWAY_JOB]);
    expect(await jobsOf('seamless_sla_violations_total{policy="demo-1m",phase="coverage",mode="enforced"}')).toEqual([GATEWAY_JOB]);
    expect(await jobsOf('seamless_conformance_flag_total{node_id="ohlcv:demo:DEFECTS"}')).toEqual([GATEWAY_JOB]);
    expect(await jobsOf('seamless_backfill_shards_total{outcome="completed"}')).toEqual([COORDINATOR_JOB]);
    expect(await jobsOf('seamless_requests_total')).toEqual([COORDINATOR_JOB, GATEWAY_JOB]);
    // Every shard of both datasets' first reads, completed by the coordinator's workers.
    const shards = await samples('sum(seamless_backfill_shards_total{job="seamless-coordinator",outcome="completed"})', (s) => s[0]?.value === 4);
    expect(shards[0].value).toBe(4);
  });

  it('evaluates the SLA recording rules and every loaded rule file without errors', async () => {
    const ratio = await samples('seamless_sla:good_ratio:rate5m{policy="demo-1m",phase="total"}', (s) => s.some((x) => Number.isFinite(x.value)));
    expect(ratio).toHaveLength(1);
    expect(ratio[0].value).toBeGreaterThanOrEqual(0);
    expect(ratio[0].value).toBeLessThanOrEqual(1);
    const rules = (await prometheus?.rules()) ?? [];
    expect(new Set(rules.map((r) => r.file))).toEqual(new Set(ruleFiles));
    expect(rules.filter((r) => r.health === 'err').map((r) => `${r.file} ${r.group} ${r.name}: ${r.lastError}`)).toEqual([]);
  });

  it('`seamless health --prometheus` passes against it and names the missing series against a Prometheus that scrapes nothing', async () => {
    await samples('count by (job) (seamless_backfill_shards_total)'); // the last expected series to appear
    const [good, bad] = await Promise.all([
      seamlessCli(['health', '--url', gatewayUrl, '--prometheus', prometheus?.url ?? ''], dir.path),
      seamlessCli(['health', '--url', gatewayUrl, '--prometheus', empty?.url ?? '', '--json'], dir.path),
    ]);
    expect(good.stdout).toMatch(/^\[OK\] {3}prometheus +http:\/\/127\.0\.0\.1:\d+ answers \(Prometheus 2\.\d+/m);
    for (const series of EXPECTED_SERIES) expect(good.stdout).toMatch(new RegExp(`^\\[OK\\] {3}prometheus:${series} +jobs seamless-`, 'm'));
    expect(good.code, good.stdout + good.stderr).toBe(0);

    expect(bad.code).toBe(1);
    const body = JSON.parse(bad.stdout) as { status: string; checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.status).toBe('failing');
    expect(body.checks.prometheus.ok).toBe(true);
    expect(body.checks.gateway.ok).toBe(true);
    for (const series of EXPECTED_SERIES) {
      expect(body.checks[`prometheus:${series}`]).toEqual({ ok: false, detail: expect.stringContaining(`missing: no series ${series}`) as string });
    }
  });
});
