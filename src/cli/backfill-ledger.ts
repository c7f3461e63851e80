/**
 * What THIS run of `seamless backfill` wrote. A job's `rowsWritten` adds up its shards' records,
 * and a shard stored by an earlier run keeps its count there, so a repeated backfill would claim
 * rows it never wrote. The ledger counts from the event stream instead: the `completed` events
 * seen while the command followed the job, for the job's own shards (the last event of a shard
 * wins, so a shard reported twice, by its worker and by the coordinator, counts once).
 */
import type { BackfillEvent } from '../backfill/index.js';

export interface BackfillLedger {
  observe(event: BackfillEvent): void;
  /** What the shards `keys` wrote while observed; `fetched` is false when none of them did upstream work. */
  written(keys: Iterable<string>): { readonly rows: number; readonly fetched: boolean };
  /** Whether `job_completed` of this job was seen: every shard event of the job came before it. */
  settled(jobId: string): boolean;
}

export function createBackfillLedger(): BackfillLedger {
  const byShard = new Map<string, { rows: number; fetched: boolean }>();
  const settledJobs = new Set<string>();
  return {
    observe(event) {
      if (event.type === 'job_completed') settledJobs.add(event.jobId);
      if (event.type !== 'completed') return;
      // A shard that found nothing missing completes with 0 rows in state `completed`; a
      // fetched window without bars completes as `known_empty`.
      byShard.set(event.shard, { rows: event.rowsWritten, fetched: event.rowsWritten > 0 || event.state === 'known_empty' });
    },
    written(keys) {
      let rows = 0;
      let fetched = false;
      for (const key of keys) {
        const entry = byShard.get(key);
        if (entry === undefined) continue;
        rows += entry.rows;
        fetched ||= entry.fetched;
      }
      return { rows, fetched };
    },
    settled: (jobId) => settledJobs.has(jobId),
  };
}

/** A parsed event of the gateway's stream, or undefined for anything else. */
export function backfillEventOf(data: string): BackfillEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    // A frame that is not JSON is not an event (the stream's comments never reach here).
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (o.type === 'job_completed' && typeof o.jobId === 'string') return value as BackfillEvent;
  if (o.type !== 'completed' || typeof o.shard !== 'string' || typeof o.rowsWritten !== 'number' || typeof o.state !== 'string') return undefined;
  return value as BackfillEvent;
}
