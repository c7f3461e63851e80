/**
 * The per-day condition over a real DuckDB bar store (in memory, its clock a manual one): failed
 * and partly failed days, a day a backfill job is working on, known-empty days, ingest findings,
 * the day not closed yet, and the bound on the range. The coordinator and the findings store are
 * fakes of our own ports.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../../src/core/index.js';
import type { IngestFinding } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import type { ManualClock } from '../../../src/core/internal.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { MAX_CONDITION_DAYS, datasetCondition } from '../../../src/provider/index.js';
import type { BackfillCoordinator, JobStatus, ShardStatus } from '../../../src/backfill/index.js';
import type { BarStore, DatasetKey } from '../../../src/storage/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const D0 = Date.UTC(2024, 0, 1);
const DS: DatasetKey = { nodeId: 'ohlcv:x:BTC/USDT', intervalMs: HOUR };

function hours(startTs: number, n: number) {
  const ts = Float64Array.from({ length: n }, (_, i) => startTs + i * HOUR);
  return createFrame(OHLCV_SCHEMA, ts, OHLCV_SCHEMA.columns.map(() => new Float64Array(n).fill(1)));
}

function job(id: string, shards: ShardStatus[]): { status: JobStatus; shards: ShardStatus[] } {
  const status = { id, nodeId: DS.nodeId, intervalMs: DS.intervalMs, state: 'running', createdAt: 0, finishedAt: undefined,
    shards: { pending: 0, leased: shards.length, completed: 0, failed: 0, known_empty: 0 }, totalShards: shards.length,
    completionRatio: 0, rowsWritten: 0, errors: [] } satisfies JobStatus;
  return { status, shards };
}

describe('per-day data condition', () => {
  let clock: ManualClock;
  let store: BarStore;
  let findings: IngestFinding[];
  let jobs: { status: JobStatus; shards: ShardStatus[] }[];
  const coordinator: Pick<BackfillCoordinator, 'jobs' | 'shards'> = {
    jobs: () => jobs.map((j) => j.status),
    shards: (id) => jobs.find((j) => j.status.id === id)?.shards,
  };
  const findingStore = { findings: async (_n: string, _i: number, start: number, end: number) => findings.filter((f) => f.ts >= start && f.ts < end) };
  const condition = (start: number, end: number) => datasetCondition({ store, findings: findingStore, coordinator, clock }, DS, start, end);

  beforeEach(async () => {
    clock = createManualClock(D0 + 10 * DAY);
    store = await createDuckDbBarStore({ path: ':memory:', clock });
    findings = [];
    jobs = [];
  });
  afterEach(async () => {
    await store.close();
  });

  it('says missing with the failure reason for a day whose every bar failed, and degraded for a day partly failed', async () => {
    await store.markFailed(DS, { start: D0, end: D0 + DAY }, 'upstream 503: Service Unavailable');
    await store.markFailed(DS, { start: D0, end: D0 + DAY }, 'upstream 503: Service Unavailable');
    await store.write({ dataset: DS, frame: hours(D0 + DAY, 20), coverage: [{ start: D0 + DAY, end: D0 + DAY + 20 * HOUR, state: 'stored' }] }, OHLCV_SCHEMA);
    clock.set(D0 + 10 * DAY + 5);
    await store.markFailed(DS, { start: D0 + DAY + 20 * HOUR, end: D0 + 2 * DAY }, 'timeout after 10000 ms');
    const { days, summary } = await condition(D0, D0 + 2 * DAY);
    expect(days[0]).toMatchObject({ date: '2024-01-01', condition: 'missing', reason: 'failed: upstream 503: Service Unavailable (2 attempt(s))', lastChange: D0 + 10 * DAY });
    expect(days[1]).toMatchObject({
      condition: 'degraded', reason: 'partly failed: 4 of 24 bars failed: timeout after 10000 ms (1 attempt(s))',
      bars: { expected: 24, closed: 24, stored: 20, knownEmpty: 0, failed: 4, missing: 0 }, lastChange: D0 + 10 * DAY + 5,
    });
    expect(summary).toEqual({ available: 0, degraded: 1, pending: 0, missing: 1 });
  });

  it('says available for a day stored and known empty, and degraded when ingest findings are in force on it', async () => {
    await store.write({ dataset: DS, frame: hours(D0, 12), coverage: [
      { start: D0, end: D0 + 12 * HOUR, state: 'stored' }, { start: D0 + 12 * HOUR, end: D0 + 2 * DAY, state: 'known_empty' },
    ] }, OHLCV_SCHEMA);
    findings = [{ nodeId: DS.nodeId, intervalMs: HOUR, flag: 'duplicate_ts', ts: D0 + DAY + HOUR, count: 2, at: D0, detail: 'two rows at one ts' }];
    const { days } = await condition(D0, D0 + 2 * DAY);
    expect(days[0]).toMatchObject({ condition: 'available', reason: 'all 24 bars stored (12) or known empty (12)', findings: 0 });
    expect(days[1]).toMatchObject({ condition: 'degraded', reason: 'ingest findings: duplicate_ts ×2', findings: 2 });
  });

  it('says pending while a backfill job works on a day that is not stored yet, and names the job', async () => {
    jobs = [job('job-7', [{ key: 'k', start: D0 + DAY, end: D0 + 2 * DAY, state: 'leased', attempts: 0, rowsWritten: 0, joined: false }])];
    const { days } = await condition(D0, D0 + 3 * DAY);
    expect(days.map((d) => d.condition)).toEqual(['missing', 'pending', 'missing']);
    expect(days[1].reason).toBe('backfill job job-7 is working on it: 24 of 24 bars not stored yet');
  });

  it('says pending for the day not closed yet, counting the bars closed so far', async () => {
    clock.set(D0 + 10 * DAY + 5 * HOUR + 1);
    const { days } = await condition(D0 + 10 * DAY, D0 + 10 * DAY + 1);
    expect(days).toHaveLength(1);
    expect(days[0]).toMatchObject({ condition: 'pending', reason: 'the day has not closed yet: 5 of 24 bars closed, 0 stored or known empty' });
  });

  it('answers whole UTC days around the range and refuses a range longer than the bound, naming end', async () => {
    const { days } = await condition(D0 + 5 * HOUR, D0 + DAY + 1);
    expect(days.map((d) => d.date)).toEqual(['2024-01-01', '2024-01-02']);
    await expect(condition(D0 - MAX_CONDITION_DAYS * DAY, D0 + 1)).rejects.toMatchObject({ code: 'invalid_request', details: { field: 'end' } });
    expect((await condition(D0 - (MAX_CONDITION_DAYS - 1) * DAY, D0 + 1)).days).toHaveLength(MAX_CONDITION_DAYS);
  });
});
