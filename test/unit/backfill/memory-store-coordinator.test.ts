/** What `seamless.backfill.store: memory` promises: the distributed coordinator over the memory lease store, one process. */
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, NotFoundError, OHLCV_SCHEMA, UpstreamUnavailableError } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';
import type { BackfillCoordinator, BackfillEvent } from '../../../src/backfill/index.js';
import type { BackfillRequest } from '../../../src/backfill/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { createCountingSource } from '../provider/counting-source.js';
import { until } from '../../helpers/until.js';

const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const SHARD = 100;
const SHARD_MS = SHARD * MIN;
/** Shard-aligned, well in the past. */
const A = NOW - 50 * SHARD_MS;
const DATASET = { nodeId: 'ohlcv:demo:SOL/USDT', intervalMs: MIN };

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function harness(concurrency = 4) {
  const clock = createManualClock(NOW);
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const store = await createDuckDbBarStore({ path: ':memory:' });
  const upstream = createSyntheticSource({ seed: 5 });
  const source = createCountingSource(upstream);
  const coordinator = await startMemoryCoordinator({ store, clock, logger, metrics, barsPerShard: SHARD, concurrency, maxAttempts: 3 });
  const events: BackfillEvent[] = [];
  coordinator.subscribe((e) => events.push(e));
  const h = {
    clock, store, upstream, source, coordinator, metrics, events,
    request: (start: number, end: number): BackfillRequest => ({ target: { dataset: DATASET, schema: OHLCV_SCHEMA, source }, ranges: [{ start, end }], requestedBy: 'test' }),
    close: async () => {
      await coordinator.close();
      await store.close();
    },
  };
  open.push(h);
  return h;
}

/** Resolves with the next event of `type` the coordinator emits. */
function nextEvent<T extends BackfillEvent['type']>(coordinator: BackfillCoordinator, type: T): Promise<Extract<BackfillEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = coordinator.subscribe((e) => {
      if (e.type !== type) return;
      off();
      resolve(e as Extract<BackfillEvent, { type: T }>);
    });
  });
}

describe('coordinator over the memory lease store (seamless.backfill.store: memory)', () => {
  it('lets a second job join a shard that is already being fetched instead of fetching it again', async () => {
    const h = await harness();
    const gate = h.source.hold();
    const first = h.coordinator.submit(h.request(A, A + 2 * SHARD_MS));
    await h.source.whenCalls(2);
    const second = h.coordinator.submit(h.request(A + SHARD_MS + 5 * MIN, A + 3 * SHARD_MS));
    const joined = h.events.filter((e) => e.type === 'joined');
    expect(joined).toEqual([expect.objectContaining({ type: 'joined', jobId: second.id })]);
    expect(h.coordinator.shards(second.id)?.map((s) => s.joined)).toEqual([true, false]);
    expect((await h.metrics.backfillShardsJoined.get()).values.map((v) => v.value)).toEqual([1]);
    gate.open();
    const [a, b] = await Promise.all([first.done, second.done]);
    expect([...h.source.ranges].sort((x, y) => x.start - y.start)).toEqual([
      { start: A, end: A + SHARD_MS }, { start: A + SHARD_MS, end: A + 2 * SHARD_MS }, { start: A + 2 * SHARD_MS, end: A + 3 * SHARD_MS },
    ]);
    expect(a).toMatchObject({ state: 'completed', rowsWritten: 200, completionRatio: 1 });
    // A joined shard counts the rows its fetch wrote in every job that waited for it (job-tracker.ts).
    expect(b).toMatchObject({ state: 'completed', rowsWritten: 200, completionRatio: 1 });
  });

  it('counts shards by state and raises the completion ratio as shards finish', async () => {
    const h = await harness(1);
    const first = h.source.hold();
    const job = h.coordinator.submit(h.request(A, A + 3 * SHARD_MS));
    await h.source.whenCalls(1);
    expect(job.status()).toMatchObject({ state: 'running', totalShards: 3, completionRatio: 0, finishedAt: undefined, shards: { completed: 0, failed: 0, known_empty: 0 } });
    expect(job.status().shards.pending + job.status().shards.leased).toBe(3);
    const rest = h.source.hold();
    const completed = nextEvent(h.coordinator, 'completed');
    first.open();
    await completed;
    expect(job.status()).toMatchObject({ state: 'running', completionRatio: 1 / 3, rowsWritten: 100, shards: { completed: 1 } });
    rest.open();
    const done = await job.done;
    expect(done).toMatchObject({ state: 'completed', completionRatio: 1, rowsWritten: 300, shards: { completed: 3, pending: 0, leased: 0, failed: 0 }, finishedAt: NOW });
    expect(h.coordinator.job(job.id)).toEqual(done);
    // Emitted after the shard's own event, on the next turn.
    await until(() => h.events.some((e) => e.type === 'job_completed'), 'job_completed');
    expect(h.events.filter((e) => e.type === 'job_completed')).toEqual([expect.objectContaining({ jobId: job.id, state: 'completed', completionRatio: 1 })]);
  });

  it('shows the shard being fetched as leased in its job status', async () => {
    const h = await harness(1);
    const gate = h.source.hold();
    const job = h.coordinator.submit(h.request(A, A + 3 * SHARD_MS));
    await h.source.whenCalls(1);
    expect(job.status().shards).toMatchObject({ leased: 1, pending: 2 });
    expect(h.coordinator.shards(job.id)?.map((s) => s.state)).toEqual(['leased', 'pending', 'pending']);
    gate.open();
    await job.done;
  });

  it('emits a final failed event with reason and attempts when a shard fails for good', async () => {
    const h = await harness();
    h.source.failWith(new UpstreamUnavailableError('exchange', 'HTTP 503'));
    const status = await h.coordinator.submit(h.request(A, A + SHARD_MS)).done;
    expect(status).toMatchObject({ state: 'failed', completionRatio: 0, shards: { failed: 1 } });
    expect(h.source.ranges).toHaveLength(3);
    expect(h.events.filter((e) => e.type === 'failed' && e.final)).toEqual([
      expect.objectContaining({ type: 'failed', nodeId: DATASET.nodeId, attempts: 3, reason: expect.stringContaining('HTTP 503'), final: true }),
    ]);
  });

  it('reports the reason and attempts of a failed shard in the job', async () => {
    const h = await harness();
    h.source.failWith(new UpstreamUnavailableError('exchange', 'HTTP 503'));
    const job = h.coordinator.submit(h.request(A, A + SHARD_MS));
    const status = await job.done;
    expect(status.errors).toEqual([{ shard: expect.any(String), start: A, end: A + SHARD_MS, reason: expect.stringContaining('HTTP 503') }]);
    expect(h.coordinator.shards(job.id)).toEqual([expect.objectContaining({ state: 'failed', attempts: 3, error: expect.stringContaining('HTTP 503') })]);
  });

  it('rejects wait() when its signal aborts while the job keeps running to completion', async () => {
    const h = await harness();
    const gate = h.source.hold();
    const job = h.coordinator.submit(h.request(A, A + SHARD_MS));
    const controller = new AbortController();
    const waiting = h.coordinator.wait(job.id, controller.signal);
    controller.abort(new Error('caller gave up'));
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    expect(h.coordinator.job(job.id)?.state).toBe('running');
    await expect(h.coordinator.wait(job.id, controller.signal)).rejects.toBeInstanceOf(AbortedError);
    gate.open();
    expect(await h.coordinator.wait(job.id)).toMatchObject({ state: 'completed', rowsWritten: 100 });
    expect(await h.store.coverage(DATASET)).toEqual([{ start: A, end: A + SHARD_MS, state: 'stored' }]);
  });

  it('rejects wait() for an unknown job with not_found', async () => {
    const h = await harness();
    await expect(h.coordinator.wait('job_missing')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('settles every waiting job as interrupted when it closes, without recording failures in storage', async () => {
    const h = await harness(1);
    h.source.hold();
    const job = h.coordinator.submit(h.request(A, A + 3 * SHARD_MS));
    await h.source.whenCalls(1);
    const waiting = h.coordinator.wait(job.id);
    await h.coordinator.close();
    const status = await waiting;
    expect(status).toMatchObject({ state: 'interrupted', completionRatio: 0, shards: { failed: 0, completed: 0 } });
    expect(status.errors).toEqual([]);
    expect(h.source.ranges).toHaveLength(1);
    expect(await h.store.coverage(DATASET)).toEqual([]);
    expect(() => h.coordinator.submit(h.request(A, A + SHARD_MS))).toThrow(AbortedError);
  });

  it('issues a strictly increasing fencing token for each grant of a shard, even when the clock goes back', async () => {
    const h = await harness(1);
    h.source.failWith(new UpstreamUnavailableError('exchange', 'bad symbol', { retryable: false }), 1);
    expect(await h.coordinator.submit(h.request(A, A + SHARD_MS)).done).toMatchObject({ state: 'failed' });
    h.clock.set(NOW - 3_600_000);
    expect(await h.coordinator.submit(h.request(A, A + SHARD_MS)).done).toMatchObject({ state: 'completed', rowsWritten: 100 });
    const tokens = h.events.flatMap((e) => (e.type === 'claimed' ? [e.token] : []));
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBeGreaterThan(tokens[0]);
  });

  it('completes a shard that storage already holds without asking the source', async () => {
    const h = await harness();
    const { frame } = await h.upstream.fetch({ nodeId: DATASET.nodeId, intervalMs: MIN, range: { start: A, end: A + SHARD_MS } });
    await h.store.write({ dataset: DATASET, frame, coverage: [{ start: A, end: A + SHARD_MS, state: 'stored' }] }, OHLCV_SCHEMA);
    const status = await h.coordinator.submit(h.request(A, A + SHARD_MS)).done;
    expect(status).toMatchObject({ state: 'completed', completionRatio: 1, rowsWritten: 0 });
    expect(h.source.ranges).toEqual([]);
    expect((await h.metrics.backfillShardsFetched.get()).values).toEqual([]);
    expect(h.events.find((e) => e.type === 'completed')).toMatchObject({ rowsWritten: 0, state: 'completed' });
  });

  it('finishes a job with no shards at once with completion ratio 1', async () => {
    const h = await harness();
    const job = h.coordinator.submit({ ...h.request(A, A + SHARD_MS), ranges: [] });
    expect(await job.done).toMatchObject({ state: 'completed', totalShards: 0, completionRatio: 1 });
  });

  it('widens a request to whole aligned shards and cuts each shard once', async () => {
    const h = await harness();
    const job = h.coordinator.submit({ ...h.request(A, A), ranges: [{ start: A + 10 * MIN, end: A + SHARD_MS + MIN }, { start: A + 20 * MIN, end: A + 30 * MIN }] });
    await job.done;
    expect(h.coordinator.shards(job.id)?.map((s) => [s.start, s.end])).toEqual([[A, A + SHARD_MS], [A + SHARD_MS, A + 2 * SHARD_MS]]);
  });
});
