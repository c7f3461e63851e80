import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { startOtlpListener } from '../harness/otlp-listener.js';
import type { OtlpListener, ReceivedSpan } from '../harness/otlp-listener.js';
import { tempDir } from '../helpers/temp-dir.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('OpenTelemetry tracing of reads', () => {
  let otlp: OtlpListener;
  let seamless: Seamless;
  let gateway: RunningGateway;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    otlp = await startOtlpListener();
    dir = await tempDir();
    const slaDir = join(dir.path, 'sla');
    await mkdir(slaDir);
    await writeFile(join(slaDir, 'slow.yml'), 'name: slow-backfill\nmatch:\n  node: "ohlcv:slow:*"\nmode: enforced\nbudgets:\n  backfill: 100\nonViolation: partial\nowner: t\nrunbook: r.md\nescalation: e\n');
    const base = demoConfig();
    seamless = await createSeamless({
      config: {
        ...base, dataDir: dir.path, tracing: { endpoint: otlp.endpoint, exportDelayMs: 20 },
        sources: { ...base.sources, slow: { kind: 'synthetic', seed: 9, latencyMs: 300 } },
        datasets: [...(base.datasets ?? []), { nodeId: 'ohlcv:slow:ONE', intervals: ['1m'], source: 'slow' }],
        seamless: { sla: { dir: slaDir } },
      },
      env: {}, logger: silentLogger(),
    });
    gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await seamless?.close();
    await otlp?.close();
    await dir?.remove();
  });

  it('exports the span tree of a read that backfilled, continuing the caller\'s traceparent', async () => {
    const res = await fetch(`${gateway.url}/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=2024-02-01T00:00:00Z&end=2024-02-01T03:00:00Z`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    });
    expect(res.status).toBe(200);
    const pipeline = await otlp.waitFor('seamless.pipeline');
    expect(pipeline.traceId).toBe(TRACE_ID);
    expect(pipeline.parentSpanId).toBe(PARENT_ID);
    expect(pipeline.attributes).toMatchObject({ 'seamless.node_id': 'ohlcv:demo:BTC-USD', 'seamless.interval_ms': 60_000, 'seamless.rows': 180, 'seamless.rows.backfill': 180, 'seamless.cache_hit': false, 'seamless.strategy': 'seamless' });
    await otlp.waitFor('seamless.conformance');
    const children = otlp.spans.filter((s) => s.parentSpanId === pipeline.spanId).map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['seamless.cache', 'seamless.storage', 'seamless.backfill', 'seamless.conformance']));
    const backfill = otlp.spans.find((s) => s.name === 'seamless.backfill' && s.parentSpanId === pipeline.spanId);
    expect(backfill?.attributes).toMatchObject({ 'seamless.backfill.completion_ratio': 1, 'seamless.backfill.state': 'completed' });
    expect(backfill?.events.length).toBeGreaterThan(0);
    expect(backfill?.events[0]).toMatchObject({ name: 'shard', attributes: { state: 'completed' } });
    // The coordinator's lease of the shard continues the read's trace, under its backfill span.
    const shard = await otlp.waitFor('seamless.backfill.shard');
    expect(shard.traceId).toBe(TRACE_ID);
    expect(shard.parentSpanId).toBe(backfill?.spanId);
    expect(shard.attributes).toMatchObject({ 'seamless.node_id': 'ohlcv:demo:BTC-USD', 'seamless.shard.state': 'completed', 'seamless.lease.token': 1 });
  });

  it('marks the span of a violated budget with sla.phase, sla.budget_ms and sla.elapsed_ms', async () => {
    const res = await fetch(`${gateway.url}/v1/bars?node=ohlcv:slow:ONE&interval=1m&start=2024-02-01T00:00:00Z&end=2024-02-01T01:00:00Z`);
    expect(res.status).toBe(200);
    const deadline = Date.now() + 10_000;
    let sla: ReceivedSpan | undefined;
    while (!sla && Date.now() < deadline) {
      sla = otlp.spans.find((s) => s.name === 'seamless.sla' && s.attributes['sla.phase'] === 'backfill');
      if (!sla) await new Promise((r) => setTimeout(r, 25));
    }
    expect(sla?.attributes).toMatchObject({ 'sla.policy': 'slow-backfill', 'sla.phase': 'backfill', 'sla.budget_ms': 100, 'sla.decision': 'partial' });
    expect(Number(sla?.attributes['sla.elapsed_ms'])).toBeGreaterThanOrEqual(100);
    const pipeline = otlp.spans.find((s) => s.spanId === sla?.parentSpanId);
    expect(pipeline?.name).toBe('seamless.pipeline');
    expect(otlp.spans.some((s) => s.name === 'seamless.backfill' && s.parentSpanId === pipeline?.spanId)).toBe(true);
  });

  it('starts a new trace when no traceparent comes with the read, and marks a refused read as an error', async () => {
    const res = await fetch(`${gateway.url}/v1/bars?node=ohlcv:demo:DEFECTS&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T04:00:00Z`);
    expect(res.status).toBe(422);
    const deadline = Date.now() + 10_000;
    let failed: ReceivedSpan | undefined;
    while (!failed && Date.now() < deadline) {
      failed = otlp.spans.find((s) => s.name === 'seamless.pipeline' && s.traceId !== TRACE_ID && s.status.code === 2);
      if (!failed) await new Promise((r) => setTimeout(r, 25));
    }
    expect(failed?.status.message).toContain('conformance blocked');
    expect(failed?.parentSpanId).toBeUndefined();
  });
});
