/**
 * Write-through of closed live bars for ALL the live datasets of a hub, with one timer: pending
 * bars (newest values per ts, per dataset) are written in flushes — `flushMs` after the first bar
 * pending since the last flush, or at once when a dataset has `flushBars` pending — and a flush
 * takes the pending bars of every dataset (except those waiting for a retry). Each dataset's batch
 * has `stored` coverage for exactly `[ts, ts + interval)` of its bars (adjacent bars merge into one
 * claim). A flush of several datasets is ONE storage transaction (BarStore.writeMany, per frame
 * schema); when that write fails, the flush falls back to one write per dataset, so one bad
 * dataset cannot block the others. A store without writeMany gets one write per dataset.
 * Per dataset, as before: a failed write keeps its bars pending (unless newer values arrived
 * meanwhile) and is retried with a doubling delay; a write storage refuses as invalid is dropped
 * and reported, since repeating it cannot help; the pending set is bounded: past `maxPendingBars`
 * the oldest pending bars are dropped and reported (their range stays missing in storage, so reads
 * backfill it). Nothing here ever throws into the feed. Cost avoided: 1,000 datasets closing a bar
 * at once were 1,000 timers and 1,000 transactions (~220 ms of the gateway's event loop per minute;
 * bench/gateway/stream-fanout-sockets.bench.ts).
 */
import { performance } from 'node:perf_hooks';
import { allocateFrame, isSeamlessError } from '../../core/index.js';
import type { FrameSchema } from '../../core/index.js';
import type { Logger } from '../../observability/index.js';
import type { BarStore, CoverageClaim, DatasetKey, WriteBatch } from '../../storage/index.js';

/** The longest delay between retries of a failing write. */
const MAX_RETRY_DELAY_MS = 30_000;

export interface LiveWriteSchedulerDeps {
  readonly store: BarStore;
  readonly flushMs: number;
  readonly flushBars: number;
  readonly maxPendingBars: number;
  readonly logger: Logger;
}

/** One dataset written through the scheduler. */
export interface LiveDatasetWrites {
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
  /** A batch of the dataset was written: its rows and the span of its claims. */
  readonly onWritten?: (rows: number, start: number, end: number) => void;
  /** A batch of the dataset failed (`dropped`: its bars are given up). */
  readonly onFailed?: (rows: number, dropped: boolean) => void;
}

export interface LiveWriter {
  /** Queues a closed bar (values are copied). */
  enqueue(ts: number, values: ArrayLike<number>): void;
  readonly pending: number;
  /** Writes what is pending now (every dataset of the scheduler), after any write in progress. Never rejects. */
  flush(): Promise<void>;
  /** Makes one last attempt to write what is pending (a flush). Never rejects. */
  close(): Promise<void>;
}

export interface LiveWriteScheduler {
  /** The writer of one dataset; its bars are written in the scheduler's flushes. */
  add(writes: LiveDatasetWrites): LiveWriter;
  /** Writes what every dataset has pending now (retry delays ignored), after any flush in progress. Never rejects. */
  flush(): Promise<void>;
  /** Stops the timer and makes one last attempt to write what is pending. Never rejects. */
  close(): Promise<void>;
}

interface Entry {
  readonly writes: LiveDatasetWrites;
  readonly width: number;
  pending: Map<number, Float64Array>;
  /** When its first pending bar arrived (performance.now()). */
  since: number;
  failures: number;
  /** While failing: when the next attempt is due (performance.now()). */
  retryAt: number;
}

/** The bars of one dataset taken for a flush, as its write. */
interface Taken {
  readonly entry: Entry;
  readonly bars: Map<number, Float64Array>;
  readonly batch: WriteBatch;
  readonly first: number;
  readonly end: number;
}

export function createLiveWriteScheduler(deps: LiveWriteSchedulerDeps): LiveWriteScheduler {
  const { store, logger } = deps;
  const entries: Entry[] = [];
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let closed = false;

  const retryDelay = (failures: number): number => Math.min(MAX_RETRY_DELAY_MS, deps.flushMs * 2 ** Math.min(failures, 20));

  /** When `e` wants its next write: undefined with nothing pending. */
  function dueOf(e: Entry): number | undefined {
    if (e.pending.size === 0) return undefined;
    if (e.failures > 0) return e.retryAt;
    return e.pending.size >= deps.flushBars ? 0 : e.since + deps.flushMs;
  }

  /** Arms the one timer for the earliest due dataset (none while a flush runs: its end reschedules). */
  function schedule(): void {
    if (closed || inflight) return;
    let due = Number.POSITIVE_INFINITY;
    for (const e of entries) due = Math.min(due, dueOf(e) ?? Number.POSITIVE_INFINITY);
    if (due === Number.POSITIVE_INFINITY || (timer !== undefined && timerAt <= due)) return;
    clearTimeout(timer);
    timerAt = due;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      void kick(false);
    }, Math.max(0, Math.ceil(due - performance.now())));
    timer.unref();
  }

  /** Starts a flush unless one runs; the returned promise never rejects. `force`: retry delays are ignored. */
  function kick(force: boolean): Promise<void> {
    if (inflight) return inflight;
    inflight = flushNow(force).catch((error: unknown) => {
      logger.error({ err: error }, 'live write-through: unexpected failure');
    }).finally(() => {
      inflight = undefined;
      schedule();
    });
    return inflight;
  }

  async function flushNow(force: boolean): Promise<void> {
    const now = performance.now();
    const bySchema = new Map<string, Taken[]>();
    for (const e of entries) {
      if (e.pending.size === 0 || (!force && e.failures > 0 && e.retryAt > now)) continue;
      const taken = take(e);
      const group = bySchema.get(e.writes.schema.name);
      if (group === undefined) bySchema.set(e.writes.schema.name, [taken]);
      else group.push(taken);
    }
    for (const group of bySchema.values()) await writeGroup(group);
  }

  async function writeGroup(group: readonly Taken[]): Promise<void> {
    const schema = group[0].entry.writes.schema;
    if (store.writeMany !== undefined && group.length > 1) {
      try {
        const reports = await store.writeMany(group.map((t) => t.batch), schema);
        for (let i = 0; i < group.length; i++) written(group[i], reports[i].rowsWritten);
        return;
      } catch (error) {
        // One dataset's bad batch (or a storage failure) must not hold up the others: each is written on its own.
        logger.warn({ err: error, datasets: group.length }, 'live write-through: the flush of all datasets failed; writing them one by one');
      }
    }
    await Promise.all(group.map((t) => writeOne(t)));
  }

  async function writeOne(t: Taken): Promise<void> {
    try {
      written(t, (await store.write(t.batch, t.entry.writes.schema)).rowsWritten);
    } catch (error) {
      failed(t, error);
    }
  }

  function written(t: Taken, rows: number): void {
    t.entry.failures = 0;
    t.entry.writes.onWritten?.(rows, t.first, t.end);
  }

  function failed(t: Taken, error: unknown): void {
    const e = t.entry;
    const { nodeId, intervalMs } = e.writes.dataset;
    const invalid = isSeamlessError(error) && error.code === 'invalid_request';
    e.failures++;
    e.retryAt = performance.now() + retryDelay(e.failures);
    e.writes.onFailed?.(t.bars.size, invalid);
    if (invalid) {
      logger.error({ err: error, nodeId, intervalMs, rows: t.bars.size }, 'live write-through: storage refused the bars; they are dropped');
      return;
    }
    logger.warn({ err: error, nodeId, intervalMs, rows: t.bars.size, failures: e.failures, retryInMs: retryDelay(e.failures) }, 'live write-through failed; retrying');
    // Put the bars back unless newer values for the same ts arrived while writing.
    for (const [ts, row] of t.bars) if (!e.pending.has(ts)) e.pending.set(ts, row);
    trim(e);
  }

  return {
    add(writes) {
      const entry: Entry = { writes, width: writes.schema.columns.length, pending: new Map(), since: 0, failures: 0, retryAt: 0 };
      entries.push(entry);
      return {
        enqueue(ts, values) {
          const row = new Float64Array(entry.width);
          for (let c = 0; c < entry.width; c++) row[c] = values[c];
          if (entry.pending.size === 0) entry.since = performance.now();
          entry.pending.set(ts, row);
          if (entry.pending.size > deps.maxPendingBars) trim(entry);
          schedule();
        },
        get pending() { return entry.pending.size; },
        flush: () => flushAll(),
        close: () => flushAll(),
      };
    },
    flush: () => flushAll(),
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await flushAll();
    },
  };

  async function flushAll(): Promise<void> {
    if (inflight) await inflight;
    await kick(true);
  }

  /** Takes the dataset's pending bars as its write (ascending, adjacent bars in one claim). */
  function take(e: Entry): Taken {
    const bars = e.pending;
    e.pending = new Map();
    const { dataset, schema } = e.writes;
    const iv = dataset.intervalMs;
    const ts = [...bars.keys()].sort((a, b) => a - b);
    const frame = allocateFrame(schema, ts.length);
    const coverage: CoverageClaim[] = [];
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      frame.ts[i] = t;
      const row = bars.get(t) as Float64Array;
      for (let c = 0; c < e.width; c++) (frame.values[c] as Float64Array)[i] = row[c];
      const last = coverage[coverage.length - 1];
      if (last !== undefined && last.end === t) coverage[coverage.length - 1] = { start: last.start, end: t + iv, state: 'stored' };
      else coverage.push({ start: t, end: t + iv, state: 'stored' });
    }
    return { entry: e, bars, batch: { dataset, frame, coverage, source: 'live' }, first: ts[0], end: ts[ts.length - 1] + iv };
  }

  function trim(e: Entry): void {
    if (e.pending.size <= deps.maxPendingBars) return;
    const ts = [...e.pending.keys()].sort((a, b) => a - b);
    const drop = ts.length - deps.maxPendingBars;
    for (let i = 0; i < drop; i++) e.pending.delete(ts[i]);
    e.writes.onFailed?.(drop, true);
    const { nodeId, intervalMs } = e.writes.dataset;
    logger.error({ nodeId, intervalMs, dropped: drop, from: ts[0], to: ts[drop - 1] + intervalMs }, 'live write-through: too many bars pending; the oldest are dropped');
  }
}
