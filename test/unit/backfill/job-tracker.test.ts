/**
 * The job tracker's view of shard records arriving out of order (watch events, sweeps, re-reads
 * from several processes): which record of a shard is newer.
 */
import { describe, expect, it } from 'vitest';
import { createJobTracker } from '../../../src/backfill/internal.js';
import type { JobRecord, ShardRecord } from '../../../src/backfill/index.js';
import { createManualClock } from '../../../src/core/internal.js';

const base: ShardRecord = Object.freeze({
  key: 'k1', nodeId: 'n', intervalMs: 60_000, start: 0, end: 600_000, priority: 'background', rank: 0,
  state: 'pending', holder: null, token: 0, leaseUntil: null, attempts: 0, notBefore: 0, lastError: null,
  rowsWritten: 0, updatedAt: 0, knownEmpty: null,
});
const job: JobRecord = { id: 'j1', nodeId: 'n', intervalMs: 60_000, shardKeys: ['k1'], requestedBy: 'test', createdAt: 0 };

describe('job tracker', () => {
  it('finishes a job whose completion is stamped before a heartbeat of the same grant that committed first', async () => {
    const tracker = createJobTracker(createManualClock(0), () => undefined);
    tracker.update(base);
    const tracked = tracker.track(job, new Set());
    tracker.update({ ...base, state: 'leased', holder: 'w1', token: 1, leaseUntil: 30_000, updatedAt: 10 });
    // The heartbeat took its `now` (2_000) after the completion took its own (1_000), and committed first.
    tracker.update({ ...base, state: 'leased', holder: 'w1', token: 1, leaseUntil: 32_000, updatedAt: 2_000 });
    tracker.update({ ...base, state: 'completed', holder: 'w1', token: 1, rowsWritten: 10, updatedAt: 1_000 });
    expect(tracker.shard('k1')?.state).toBe('completed');
    await expect(tracked.done).resolves.toMatchObject({ state: 'completed' });
  });

  it('keeps an ended grant ended when a late leased record of the same token arrives', () => {
    const tracker = createJobTracker(createManualClock(0), () => undefined);
    tracker.update({ ...base, state: 'completed', holder: 'w1', token: 1, updatedAt: 1_000 });
    tracker.update({ ...base, state: 'leased', holder: 'w1', token: 1, leaseUntil: 32_000, updatedAt: 2_000 });
    expect(tracker.shard('k1')?.state).toBe('completed');
  });

  it('orders records by token first, then by time within one state', () => {
    const tracker = createJobTracker(createManualClock(0), () => undefined);
    tracker.update({ ...base, state: 'leased', holder: 'w2', token: 2, updatedAt: 5 });
    tracker.update({ ...base, state: 'completed', holder: 'w1', token: 1, updatedAt: 9_000 });
    expect(tracker.shard('k1')).toMatchObject({ token: 2, state: 'leased' });
    tracker.update({ ...base, state: 'leased', holder: 'w2', token: 2, updatedAt: 3 });
    expect(tracker.shard('k1')?.updatedAt).toBe(5);
  });

  it('keeps a shard it re-opens pending when a late copy of the old record arrives, until the re-opened record does', async () => {
    // The re-check: registering the job re-opens the completed shard (the store's reopenShard).
    const tracker = createJobTracker(createManualClock(5_000), () => undefined, 1000, (s) => s.state === 'completed');
    const done = { ...base, state: 'completed' as const, holder: 'w1', token: 1, rowsWritten: 30, updatedAt: 1_000 };
    tracker.update(done);
    const tracked = tracker.track(job, new Set());
    // An earlier job's registration answers late with an equal copy of the record: still pending.
    tracker.update({ ...done });
    expect(tracked.status().state).toBe('running');
    tracker.update({ ...done, state: 'pending', holder: null, updatedAt: 5_000 });
    tracker.update({ ...done, state: 'completed', token: 2, rowsWritten: 60, updatedAt: 6_000 });
    await expect(tracked.done).resolves.toMatchObject({ state: 'completed' });
  });
});
