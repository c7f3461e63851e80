/**
 * What an SLA-bound read reports (ARCHITECTURE.md §6): one `seamless_sla_deadline_seconds`
 * sample per phase and one `total` sample per read — also when an enforced `fail` policy ends
 * the read early — and a `seamless.sla` span with `sla.phase`, elapsed and budget, exported for
 * failed reads too. Real DuckDB store (reads delayed by our own wrapper), real OTLP export to a
 * loopback listener.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { delay } from '../../../src/core/index.js';
import { createTracing } from '../../../src/observability/index.js';
import type { SeamlessMetrics, Tracing } from '../../../src/observability/index.js';
import { parseSlaPolicy } from '../../../src/sla/internal.js';
import type { SlaPolicy } from '../../../src/sla/index.js';
import { startOtlpListener } from '../../harness/otlp-listener.js';
import type { OtlpListener, ReceivedSpan } from '../../harness/otlp-listener.js';
import { slowStorageProvider } from './slow-storage-provider.js';

const START = Date.UTC(2023, 0, 2);
const NODE = 'ohlcv:slow-storage:T';


function policy(mode: 'enforced' | 'dry-run'): SlaPolicy {
  const parsed = parseSlaPolicy(`name: storage-${mode}\nmatch:\n  node: "${NODE}"\nmode: ${mode}\nbudgets:\n  storage: 60\n  total: 30000\nonViolation: fail\nowner: t\nrunbook: r.md\nescalation: e\n`, 'inline.yml');
  if (!parsed.policy) throw new Error(JSON.stringify(parsed.problems));
  return parsed.policy;
}

let otlp: OtlpListener;
let tracing: Tracing;
beforeAll(async () => {
  otlp = await startOtlpListener();
  tracing = await createTracing({ endpoint: otlp.endpoint, exportDelayMs: 20 });
});
afterAll(async () => {
  await tracing?.shutdown();
  await otlp?.close();
});
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function provider(policy: SlaPolicy) {
  const built = await slowStorageProvider({ nodeId: NODE, start: START, policy, readDelayMs: 300, tracing });
  closers.push(built.close);
  return built;
}

/** The `_count` of the deadline histogram for one phase (0 when absent). */
async function phaseCount(metrics: SeamlessMetrics, phase: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const m = text.match(new RegExp(`^seamless_sla_deadline_seconds_count\\{node_id="${NODE}",phase="${phase}"\\} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : 0;
}

async function slaSpan(policyName: string): Promise<ReceivedSpan> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = otlp.spans.find((s) => s.name === 'seamless.sla' && s.attributes['sla.policy'] === policyName);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no seamless.sla span of ${policyName} (got: ${otlp.spans.map((s) => s.name).join(', ')})`);
    await delay(25);
  }
}

describe('SLA telemetry of a read', () => {
  it('observes the storage phase once per read, and the total once, when the read is served', async () => {
    const { p, range, metrics } = await provider(policy('dry-run'));
    const { metadata } = await p.fetch({ nodeId: NODE, interval: '1m', start: range.start, end: range.end, strategy: 'fail_fast' });
    expect(metadata.slaViolation).toMatchObject({ dryRun: true, violations: [{ phase: 'storage' }] });
    expect(await phaseCount(metrics, 'storage')).toBe(1);
    expect(await phaseCount(metrics, 'total')).toBe(1);
  });

  it('records the phase, the total, the violation and an exported seamless.sla span for a read failed by onViolation fail', async () => {
    const { p, range, metrics } = await provider(policy('enforced'));
    const error = await p.fetch({ nodeId: NODE, interval: '1m', start: range.start, end: range.end, strategy: 'fail_fast' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'sla_exceeded', phase: 'storage', budgetMs: 60 });
    expect(await phaseCount(metrics, 'storage')).toBe(1);
    expect(await phaseCount(metrics, 'total')).toBe(1);
    expect(await metrics.registry.metrics()).toMatch(new RegExp(`seamless_sla_violations_total\\{node_id="${NODE}",phase="storage",policy="storage-enforced",mode="enforced"\\} 1`));
    const span = await slaSpan('storage-enforced');
    expect(span.attributes).toMatchObject({ 'sla.phase': 'storage', 'sla.budget_ms': 60, 'sla.mode': 'enforced', 'sla.decision': 'fail' });
    expect(Number(span.attributes['sla.elapsed_ms'])).toBeGreaterThanOrEqual(60);
    expect(span.status.code).toBe(2);
    const pipeline = otlp.spans.find((s) => s.spanId === span.parentSpanId);
    expect(pipeline?.name).toBe('seamless.pipeline');
  });
});
