/**
 * The remote worker's loop, run against the in-process LeaseAuthority (the same interface
 * the HTTP client implements): a memory lease store, DuckDB in memory, a counting source.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, UpstreamUnavailableError, barCount } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import {
  createCoordinatorClient, createDistributedCoordinator, createShardFetcher, startRemoteWorker,
} from '../../../src/backfill/index.js';
import { createMemoryLeaseBackend } from '../../../src/backfill/internal.js';
import type { BackfillTarget, RemoteWorkerEvent } from '../../../src/backfill/index.js';
import type { DistributedCoordinator, RemoteWorker, WorkerCoordinator } from '../../../src/backfill/internal.js';
import { createLogger, silentLogger } from '../../../src/observability/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { createCountingSource } from '../provider/counting-source.js';

const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const DS = { nodeId: 'ohlcv:test:REMOTE/1', intervalMs: MIN };
const RANGE = { start: NOW - 180 * MIN, end: NOW };

const running: { worker?: RemoteWorker; coordinator: DistributedCoordinator }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.worker?.stop();
    await r.coordinator.close();
  }
});

/** A loopback port nothing listens on (it was just released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `check` (no fixed sleeps): resolves once it holds, fails after 5 s. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function rig(leaseMs = 10_000) {
  const clock = createManualClock(NOW);
  const store = await createDuckDbBarStore({ path: ':memory:' });
  const source = createCountingSource(createSyntheticSource({ seed: 4 }));
  const target: BackfillTarget = { dataset: DS, schema: OHLCV_SCHEMA, source };
  const resolveTarget = (nodeId: string, intervalMs: number) => (nodeId === DS.nodeId && intervalMs === DS.intervalMs ? target : undefined);
  const retry = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 };
  const logger = silentLogger();
  const coordinator = await createDistributedCoordinator({
    leases: createMemoryLeaseBackend().open(), store,
    fetchShard: createShardFetcher({ store, clock, logger, retry }),
    resolveTarget, barsPerShard: 60, leaseMs, heartbeatMs: 1_000, sweepMs: 20, localWorkers: 0, retry, clock, logger,
  });
  const entry: { worker?: RemoteWorker; coordinator: DistributedCoordinator } = { coordinator };
  running.push(entry);
  const events: RemoteWorkerEvent[] = [];
  const startWorker = (heartbeatMs = 1_000) => {
    entry.worker = startRemoteWorker({
      client: coordinator.leaseAuthority, workerId: 'remote', concurrency: 2, resolveTarget, leaseMs, heartbeatMs, waitMs: 1_000,
      clock, logger, onEvent: (e) => events.push(e),
    });
    return entry.worker;
  };
  return { clock, store, source, target, coordinator, events, startWorker };
}

describe('remote worker', () => {
  it('fetches, uploads and completes every shard of a job', async () => {
    const r = await rig();
    r.startWorker();
    const job = r.coordinator.submit({ target: r.target, ranges: [RANGE] });
    const status = await job.done;
    expect(status).toMatchObject({ state: 'completed', completionRatio: 1, totalShards: 3, rowsWritten: 180 });
    expect((await r.store.read(DS, OHLCV_SCHEMA, RANGE)).length).toBe(barCount(RANGE, MIN));
    expect(r.source.ranges).toHaveLength(3);
    // The job ends when the coordinator records the last completion; the worker reports it right after.
    await until(() => r.events.filter((e) => e.type === 'completed').length === 3);
  });

  it('never fetches past the last closed bar', async () => {
    const r = await rig();
    r.clock.set(NOW - 30 * MIN + 5_000);
    r.startWorker();
    const status = await r.coordinator.submit({ target: r.target, ranges: [{ start: NOW - 60 * MIN, end: NOW }] }).done;
    expect(status.state).toBe('completed');
    expect(r.source.ranges).toEqual([{ start: NOW - 60 * MIN, end: NOW - 30 * MIN }]);
  });

  it('fails the lease as retryable when the upstream is unavailable, and a later lease completes the shard', async () => {
    const r = await rig();
    r.source.failWith(new UpstreamUnavailableError('synthetic', 'HTTP 503', { retryable: true }), 1);
    r.startWorker();
    const status = await r.coordinator.submit({ target: r.target, ranges: [{ start: NOW - 60 * MIN, end: NOW }] }).done;
    expect(status).toMatchObject({ state: 'completed', completionRatio: 1 });
    await until(() => r.events.length === 4);
    expect(r.events.map((e) => e.type)).toEqual(['claimed', 'failed', 'claimed', 'completed']);
    expect(r.events[1]).toMatchObject({ type: 'failed', retryable: true, token: 1, reason: 'synthetic: HTTP 503' });
    expect(r.events[3]).toMatchObject({ type: 'completed', token: 2, rowsWritten: 60 });
  });

  it('abandons the fetch and stands down when a heartbeat finds its lease taken over', async () => {
    const r = await rig(2_000);
    const gate = r.source.hold();
    r.startWorker(20);
    r.coordinator.submit({ target: r.target, ranges: [{ start: NOW - 60 * MIN, end: NOW }] });
    await r.source.whenCalls(1);
    const claimed = r.events.find((e) => e.type === 'claimed');
    if (claimed?.type !== 'claimed') throw new Error('no claim');
    // The lease expires (the clock passes it, no heartbeat can help) and another worker claims it.
    r.clock.advance(3_000);
    const taken = await r.coordinator.leaseAuthority.claim(claimed.shard.key, 'other', 10_000);
    expect(taken.granted).toBe(true);
    await until(() => r.events.some((e) => e.type === 'lost'));
    expect(r.events.find((e) => e.type === 'lost')).toMatchObject({ token: 1, cause: { code: 'conflict' } });
    gate.open();
    expect(r.events.some((e) => e.type === 'completed')).toBe(false);
  });

  it('says once, in one line without a stack, that the coordinator is unreachable, and backs off', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => { lines.push(line); } } });
    const url = `http://127.0.0.1:${await closedPort()}`;
    const client = createCoordinatorClient(url);
    let asks = 0;
    const counting: WorkerCoordinator = {
      baseUrl: client.baseUrl,
      nextShard: (...args) => { asks++; return client.nextShard(...args); },
      heartbeat: (...args) => client.heartbeat(...args),
      complete: (...args) => client.complete(...args),
      fail: (...args) => client.fail(...args),
      writeShard: (...args) => client.writeShard(...args),
    };
    const worker = startRemoteWorker({
      client: counting, workerId: 'lonely', concurrency: 4, resolveTarget: () => undefined, leaseMs: 10_000, heartbeatMs: 1_000,
      waitMs: 1_000, clock: createManualClock(NOW), logger, reconnect: { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: 1, maxDelayMs: 20 },
    });
    try {
      await until(() => asks >= 24);
    } finally {
      await worker.stop();
    }
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; coordinator?: string; reason?: string }).filter((l) => l.level >= 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ coordinator: url, reason: expect.stringContaining('ECONNREFUSED') });
    expect(lines.join('')).not.toContain('stack');
  });
});
