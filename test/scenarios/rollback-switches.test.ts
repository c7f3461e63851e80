/**
 * Every rollback switch of docs/operations/migration.md, flipped the way an operator flips it,
 * on real `seamless serve` processes sharing one data directory:
 *
 * 1. Without a switch (the YAML as deployed: conformance blocking, an enforced SLA policy with a
 *    500 ms backfill budget and `onViolation: fail`): a read of a defective dataset is refused
 *    with `conformance_blocked`, a read of a slow dataset with `sla_exceeded` naming the phase,
 *    elapsed time and budget — and both are counted on /metrics.
 * 2. `SEAMLESS_CONFORMANCE_MODE=shadow` and `SEAMLESS_SLA_FORCE_DRY_RUN=true` (environment, as the
 *    migration guide says): the same kinds of read answer their bars; the findings are counted
 *    and archived, the SLA violation is reported as dry-run (metadata, metrics, a log line), and
 *    nothing is blocked.
 * 3. `seamless.backfill.suspended: true` (the key): a read of a range never stored answers what
 *    is stored, downgraded `backfill_suspended`; `POST /v1/backfills` is refused with `conflict`;
 *    nothing new is stored and no job runs; `/healthz` says so.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, killSeamlessProcesses, processReport, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2024, 0, 2);
const DEFECTS = 'ohlcv:test:DEFECTS';
const SLOW = 'ohlcv:test:SLOW';
const SUSP = 'ohlcv:test:SUSP';
const BUDGET_MS = 500;

type Json = Record<string, unknown>;
interface ErrorBody { error: { code: string; message: string; details: Json } }
interface BarsBody {
  data: { ts: number[] };
  metadata: {
    rows: number; partial: boolean; downgraded: boolean; downgradeReason: string | null; missingRanges: { start: number; end: number }[];
    backfill: { jobId: string } | null;
    conformance: { flags: Record<string, number>; reportUri: string | null } | null;
    slaViolation: { policy: string; mode: string; dryRun: boolean; decision: string; violations: { phase: string; elapsedMs?: number; budgetMs?: number; dryRun: boolean }[] } | null;
  };
}
interface LogLine { level: number; msg: string; [k: string]: unknown }
interface Gateway { process: SeamlessProcess; url: string }

let dir: Awaited<ReturnType<typeof tempDir>>;
let configFile = '';
let suspendedConfigFile = '';

function config(extraBackfill: string): string {
  return [
    `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
    'logging: { level: info }',
    'sources:',
    '  defects: { kind: synthetic, seed: 13, defects: true }',
    '  slow: { kind: synthetic, seed: 7, latencyMs: 1500 }',
    '  plain: { kind: synthetic, seed: 5 }',
    'datasets:',
    `  - { nodeId: "${DEFECTS}", intervals: [1m], source: defects }`,
    `  - { nodeId: "${SLOW}", intervals: [1m], source: slow }`,
    `  - { nodeId: "${SUSP}", intervals: [1m], source: plain }`,
    'seamless:',
    `  sla: { dir: ${JSON.stringify(join(dir.path, 'sla'))} }`,
    `  backfill: { barsPerShard: 60${extraBackfill} }`,
    '',
  ].join('\n');
}

beforeAll(async () => {
  dir = await tempDir('seamless-rollback-');
  await mkdir(join(dir.path, 'sla'));
  await writeFile(join(dir.path, 'sla', 'slow.yml'), [
    'name: slow-1m',
    `match: { node: "${SLOW}", interval: 1m }`,
    'mode: enforced',
    `budgets: { backfill: ${BUDGET_MS} }`,
    'onViolation: fail',
    'owner: data-platform',
    'runbook: docs/operations/sla/slow-1m.md',
    'escalation: "#seamless-oncall"',
    '',
  ].join('\n'));
  configFile = join(dir.path, 'seamless.yml');
  await writeFile(configFile, config(''));
  suspendedConfigFile = join(dir.path, 'seamless-suspended.yml');
  await writeFile(suspendedConfigFile, config(', suspended: true'));
});

// A failed step leaves its gateway running: stop it so the next one can open the data directory.
afterEach(() => killSeamlessProcesses());

afterAll(async () => {
  await killSeamlessProcesses();
  await dir?.remove();
});

async function serve(file: string, name: string, env: Record<string, string> = {}): Promise<Gateway> {
  const child = startSeamless(['serve', '--port', '0', '--config', file], dir.path, name, env);
  const url = (await waitForLine(child, /listening on (http:\/\/\S+)/, 90_000))[1];
  return { process: child, url };
}

async function stop(g: Gateway): Promise<void> {
  g.process.process.kill('SIGTERM');
  expect(await g.process.exited, processReport(g.process)).toEqual({ code: 0, signal: null });
}

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

function bars(g: Gateway, node: string, start: number, end: number, extra = ''): string {
  return `${g.url}/v1/bars?node=${encodeURIComponent(node)}&interval=1m&start=${start}&end=${end}${extra}`;
}

async function coverage(g: Gateway, node: string): Promise<{ start: number; end: number; state: string }[]> {
  const r = await get<{ ranges: { start: number; end: number; state: string }[] }>(`${g.url}/v1/coverage?node=${encodeURIComponent(node)}&interval=1m`);
  expect(r.status).toBe(200);
  return r.body.ranges.map(({ start, end, state }) => ({ start, end, state }));
}

/** The samples of one metric on /metrics, keyed by their label set (`a="x",b="y"`; '' without labels). */
async function metric(g: Gateway, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${g.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

/** Sum of the samples of `name` whose labels include every `label="value"` given. */
async function sample(g: Gateway, name: string, labels: Record<string, string>): Promise<number> {
  let sum = 0;
  for (const [set, value] of await metric(g, name)) {
    if (Object.entries(labels).every(([k, v]) => set.split(',').includes(`${k}=${JSON.stringify(v)}`))) sum += value;
  }
  return sum;
}

function logs(p: SeamlessProcess): LogLine[] {
  return p.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

describe('the rollback switches of the migration guide, flipped on a running deployment', () => {
  it('without a switch: a defective read is blocked and a read over its SLA budget fails, both counted', async () => {
    const g = await serve(configFile, 'gateway-deployed');

    const blocked = await get<ErrorBody>(bars(g, DEFECTS, T0, T0 + 8 * HOUR));
    expect(blocked.status, JSON.stringify(blocked.body)).toBe(422);
    expect(blocked.body.error.code).toBe('conformance_blocked');
    expect(String(blocked.body.error.details.reportUri)).toMatch(/^qmtl:\/\/observability\/seamless\/ohlcv%3Atest%3ADEFECTS\//);
    expect(await sample(g, 'seamless_conformance_blocked_total', { node_id: DEFECTS })).toBe(1);

    const late = await get<ErrorBody>(bars(g, SLOW, T0, T0 + HOUR));
    expect(late.status, JSON.stringify(late.body)).toBe(504);
    const d = late.body.error.details as { phase: string; elapsedMs: number; budgetMs: number; policy: string };
    expect(late.body.error.code).toBe('sla_exceeded');
    expect(d).toMatchObject({ phase: 'backfill', budgetMs: BUDGET_MS, policy: 'slow-1m' });
    expect(d.elapsedMs).toBeGreaterThanOrEqual(BUDGET_MS);
    // The message says what the details say.
    expect(late.body.error.message).toBe(`SLA policy "slow-1m": backfill took ${d.elapsedMs} ms, over its budget of ${BUDGET_MS} ms`);
    expect(await sample(g, 'seamless_sla_violations_total', { node_id: SLOW, phase: 'backfill', mode: 'enforced' })).toBe(1);
    expect(logs(g.process).filter((l) => l.msg === 'SLA violation').map((l) => [l.mode, l.phase, l.decision])).toEqual([['enforced', 'backfill', 'fail']]);

    // Some stored data for the suspension step: the first hour of SUSP.
    const res = await fetch(`${g.url}/v1/backfills`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: SUSP, interval: '1m', start: T0, end: T0 + HOUR }) });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { job: { id: string } }).job.id;
    await eventually('the SUSP backfill to complete', async () => {
      const j = await get<{ job: { state: string } }>(`${g.url}/v1/backfills/${id}`);
      return j.body.job.state === 'completed' ? true : undefined;
    }, 30_000);
    expect(await coverage(g, SUSP)).toEqual([{ start: T0, end: T0 + HOUR, state: 'stored' }]);
    await stop(g);
  }, 150_000);

  it('SEAMLESS_CONFORMANCE_MODE=shadow and SEAMLESS_SLA_FORCE_DRY_RUN=true: the reads answer, findings and the violation are reported as shadow / dry-run', async () => {
    const g = await serve(configFile, 'gateway-rolled-back', { SEAMLESS_CONFORMANCE_MODE: 'shadow', SEAMLESS_SLA_FORCE_DRY_RUN: 'true' });

    const served = await get<BarsBody>(bars(g, DEFECTS, T0, T0 + 8 * HOUR));
    expect(served.status, JSON.stringify(served.body)).toBe(200);
    const flags = served.body.metadata.conformance?.flags ?? {};
    expect(Object.keys(flags).sort()).toEqual(expect.arrayContaining(['duplicate_ts', 'gap', 'non_finite', 'ohlc_inconsistent']));
    const reportUri = served.body.metadata.conformance?.reportUri ?? '';
    expect(reportUri).toMatch(/^qmtl:\/\/observability\/seamless\/ohlcv%3Atest%3ADEFECTS\//);
    // Every bar but the gaps the source left (one per 240-bar window) is served; none twice.
    expect(served.body.metadata.rows).toBe(8 * 60 - flags.gap);
    expect(new Set(served.body.data.ts).size).toBe(served.body.metadata.rows);
    expect(await sample(g, 'seamless_conformance_flag_total', { node_id: DEFECTS, flag_type: 'gap' })).toBe(flags.gap);
    expect(await sample(g, 'seamless_conformance_blocked_total', {})).toBe(0);
    const reports = await get<{ reports: { id: string }[] }>(`${g.url}/v1/reports?node=${encodeURIComponent(DEFECTS)}`);
    expect(reports.body.reports.map((r) => r.id)).toContain(reportUri.split('/').pop());

    // A new hour of the slow dataset: the backfill takes longer than the budget; the read waits for it.
    const slow = await get<BarsBody>(bars(g, SLOW, T0 + HOUR, T0 + 2 * HOUR));
    expect(slow.status, JSON.stringify(slow.body)).toBe(200);
    expect(slow.body.metadata).toMatchObject({ rows: 60, partial: false, downgraded: false });
    expect(slow.body.metadata.slaViolation).toMatchObject({ policy: 'slow-1m', mode: 'dry-run', dryRun: true, decision: 'serve' });
    const v = slow.body.metadata.slaViolation?.violations ?? [];
    expect(v.map((x) => [x.phase, x.budgetMs, x.dryRun])).toEqual([['backfill', BUDGET_MS, true]]);
    expect(v[0].elapsedMs).toBeGreaterThanOrEqual(BUDGET_MS);
    expect(await sample(g, 'seamless_sla_violations_total', { node_id: SLOW, phase: 'backfill', mode: 'dry-run' })).toBe(1);
    expect(await sample(g, 'seamless_sla_violations_total', { mode: 'enforced' })).toBe(0);
    expect(logs(g.process).filter((l) => l.msg === 'SLA violation').map((l) => [l.mode, l.phase, l.dryRun, l.decision, l.elapsedMs]))
      .toEqual([['dry-run', 'backfill', true, 'serve', v[0].elapsedMs]]);
    const stored = (await coverage(g, SLOW)).filter((c) => c.state === 'stored');
    expect(stored.some((c) => c.start <= T0 + HOUR && c.end >= T0 + 2 * HOUR), JSON.stringify(stored)).toBe(true);
    await stop(g);
  }, 150_000);

  it('seamless.backfill.suspended: reads answer what is stored, downgraded backfill_suspended; backfills are refused; nothing new is stored', async () => {
    const g = await serve(suspendedConfigFile, 'gateway-suspended');
    const before = await coverage(g, SUSP);
    expect(before).toEqual([{ start: T0, end: T0 + HOUR, state: 'stored' }]);
    const jobsBefore = (await get<{ jobs: { id: string }[] }>(`${g.url}/v1/backfills`)).body.jobs.map((j) => j.id);

    for (const strategy of ['seamless', 'auto_backfill', 'partial_fill']) {
      const read = await get<BarsBody>(bars(g, SUSP, T0, T0 + 2 * HOUR, `&strategy=${strategy}`));
      expect(read.status, `${strategy}: ${JSON.stringify(read.body)}`).toBe(200);
      expect(read.body.metadata, strategy).toMatchObject({
        rows: 60, partial: true, downgraded: true, downgradeReason: 'backfill_suspended', backfill: null,
        missingRanges: [{ start: T0 + HOUR, end: T0 + 2 * HOUR }],
      });
      expect(read.body.data.ts[0]).toBe(T0);
      expect(read.body.data.ts[59]).toBe(T0 + HOUR - MIN);
    }
    // fail_fast is unchanged: what is missing is an error unless partial_ok.
    const strict = await get<ErrorBody>(bars(g, SUSP, T0, T0 + 2 * HOUR, '&strategy=fail_fast'));
    expect(strict.status).toBe(404);
    expect(strict.body.error.code).toBe('data_unavailable');

    const refused = await fetch(`${g.url}/v1/backfills`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node: SUSP, interval: '1m', start: T0 + HOUR, end: T0 + 2 * HOUR }) });
    const body = (await refused.json()) as ErrorBody;
    expect(refused.status).toBe(409);
    expect(body.error.code).toBe('conflict');
    expect(body.error.message).toContain('seamless.backfill.suspended');

    const health = await get<{ checks: Record<string, { ok: boolean; detail: string }> }>(`${g.url}/healthz`);
    expect(health.body.checks.backfill).toMatchObject({ ok: true, detail: expect.stringContaining('suspended') });

    // Nothing new stored, no job started: coverage as before, no backfill reported.
    expect(await coverage(g, SUSP)).toEqual(before);
    expect(await sample(g, 'seamless_backfill_jobs_total', {})).toBe(0);
    expect(await sample(g, 'seamless_backfill_rows_written_total', {})).toBe(0);
    expect((await get<{ jobs: { id: string }[] }>(`${g.url}/v1/backfills`)).body.jobs.map((j) => j.id)).toEqual(jobsBefore);
    await stop(g);
  }, 150_000);
});
