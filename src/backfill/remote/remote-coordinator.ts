/**
 * A BackfillCoordinator that is another process: `seamless.backfill.endpoint` set to a
 * coordinator URL. Jobs are created there (`POST /v1/jobs`) and followed by polling
 * (`GET /v1/jobs/:id`); the work happens on that coordinator's workers. When the coordinator
 * cannot be reached the job ends `failed` with the reason, so a read falls back to what storage
 * has under its strategy — it never starts fetching on its own.
 */
import { randomUUID } from 'node:crypto';
import { AbortedError, NotFoundError, abortable, delay } from '../../core/index.js';
import type { Clock } from '../../core/index.js';
import type { Logger } from '../../observability/index.js';
import type {
  BackfillCoordinator, BackfillEvent, BackfillJob, BackfillRequest, JobState, JobStatus, ShardState, ShardStatus,
} from '../coordinator.js';
import type { CoordinatorClient } from './coordinator-client.js';

export interface RemoteCoordinatorOptions {
  readonly client: CoordinatorClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often a running job is polled. */
  readonly pollMs?: number;
}

type Json = Record<string, unknown>;

interface Tracked {
  status: JobStatus;
  shards: ShardStatus[];
  readonly done: Promise<JobStatus>;
  settle(status: JobStatus): void;
}

const STATES: readonly ShardState[] = ['pending', 'leased', 'completed', 'failed', 'known_empty'];

export function createRemoteCoordinator(o: RemoteCoordinatorOptions): BackfillCoordinator {
  const pollMs = o.pollMs ?? 500;
  const jobs = new Map<string, Tracked>();
  const listeners = new Set<(e: BackfillEvent) => void>();
  const stopping = new AbortController();

  function finish(t: Tracked, status: JobStatus): void {
    t.settle(status);
    const event: BackfillEvent = { type: 'job_completed', jobId: status.id, state: status.state, completionRatio: status.completionRatio, at: o.clock.now() };
    for (const l of listeners) l(event);
  }

  async function follow(localId: string, t: Tracked, request: BackfillRequest): Promise<void> {
    const { dataset } = request.target;
    let start = Infinity;
    let end = -Infinity;
    for (const r of request.ranges) {
      start = Math.min(start, r.start);
      end = Math.max(end, r.end);
    }
    try {
      // The priority travels: the coordinator's workers serve a waiting read's shards first.
      const created = await o.client.createJob({ node: dataset.nodeId, interval: dataset.intervalMs, start, end, priority: request.priority ?? 'background' });
      const remoteId = String(created.id);
      t.status = toStatus(localId, created, t.status);
      while (t.status.state === 'running' && !stopping.signal.aborted) {
        await delay(pollMs, stopping.signal).catch(() => undefined);
        if (stopping.signal.aborted) break;
        const body = await o.client.job(remoteId);
        t.status = toStatus(localId, body, t.status);
        t.shards = toShards(body.shardList);
      }
      if (t.status.state !== 'running') finish(t, t.status);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      o.logger.warn({ job: localId, reason }, 'backfill coordinator unreachable; the job fails and reads use what storage has');
      finish(t, { ...t.status, state: 'failed', finishedAt: o.clock.now(), errors: [{ shard: '', start, end, reason: `coordinator unavailable: ${reason}` }] });
    }
  }

  return {
    submit(request) {
      if (stopping.signal.aborted) throw new AbortedError('coordinator closed');
      const id = `job_${randomUUID()}`;
      let settle: (s: JobStatus) => void = () => undefined;
      const done = new Promise<JobStatus>((resolve) => { settle = resolve; });
      const initial: JobStatus = {
        id, nodeId: request.target.dataset.nodeId, intervalMs: request.target.dataset.intervalMs, state: 'running',
        createdAt: o.clock.now(), finishedAt: undefined, shards: { pending: 0, leased: 0, completed: 0, failed: 0, known_empty: 0 },
        totalShards: 0, completionRatio: 0, rowsWritten: 0, errors: [],
      };
      const t: Tracked = { status: initial, shards: [], done, settle: (s) => settle(s) };
      jobs.set(id, t);
      void follow(id, t, request);
      const handle: BackfillJob = { id, status: () => t.status, done };
      return handle;
    },
    job: (id) => jobs.get(id)?.status,
    jobs: () => [...jobs.values()].reverse().map((t) => t.status),
    shards: (id) => jobs.get(id)?.shards,
    wait(id, signal) {
      const t = jobs.get(id);
      if (!t) return Promise.reject(new NotFoundError('backfill job', id));
      // Only the wait is abortable: the job goes on for everyone else.
      return abortable(t.done, signal);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    async close() {
      stopping.abort();
      for (const t of jobs.values()) if (t.status.state === 'running') t.settle({ ...t.status, state: 'failed', finishedAt: o.clock.now() });
      listeners.clear();
    },
  };
}

function toStatus(localId: string, body: Json, previous: JobStatus): JobStatus {
  const shards = (body.shards ?? {}) as Partial<Record<ShardState, number>>;
  const counts = { pending: 0, leased: 0, completed: 0, failed: 0, known_empty: 0 } as Record<ShardState, number>;
  for (const s of STATES) counts[s] = typeof shards[s] === 'number' ? shards[s] : 0;
  const state = body.state === 'completed' || body.state === 'failed' || body.state === 'interrupted' ? (body.state as JobState) : 'running';
  return {
    ...previous,
    id: localId,
    state,
    finishedAt: typeof body.finishedAt === 'number' ? body.finishedAt : previous.finishedAt,
    shards: counts,
    totalShards: typeof body.totalShards === 'number' ? body.totalShards : previous.totalShards,
    completionRatio: typeof body.completionRatio === 'number' ? body.completionRatio : previous.completionRatio,
    rowsWritten: typeof body.rowsWritten === 'number' ? body.rowsWritten : previous.rowsWritten,
    errors: Array.isArray(body.errors) ? (body.errors as JobStatus['errors']) : previous.errors,
  };
}

function toShards(list: unknown): ShardStatus[] {
  return Array.isArray(list) ? (list as ShardStatus[]) : [];
}
