/**
 * Write-through of closed live bars: pending bars (newest values per ts) are written in batches —
 * every `flushMs`, or at once when `flushBars` are pending — each batch with `stored` coverage for
 * exactly `[ts, ts + interval)` of its bars (adjacent bars merge into one claim), rows and
 * coverage in one storage transaction. A failed write keeps its bars pending (unless newer values
 * arrived meanwhile) and is retried with a doubling delay; a write storage refuses as invalid is
 * dropped and reported, since repeating it cannot help. The pending set is bounded: past
 * `maxPendingBars` the oldest pending bars are dropped and reported (their range stays missing in
 * storage, so reads backfill it). Nothing here ever throws into the feed.
 */
import { allocateFrame, isSeamlessError } from '../../core/index.js';
import type { FrameSchema } from '../../core/index.js';
import type { Logger } from '../../observability/index.js';
import type { BarStore, CoverageClaim, DatasetKey } from '../../storage/index.js';

/** The longest delay between retries of a failing write. */
const MAX_RETRY_DELAY_MS = 30_000;

export interface LiveWriterDeps {
  readonly store: BarStore;
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
  readonly flushMs: number;
  readonly flushBars: number;
  readonly maxPendingBars: number;
  readonly logger: Logger;
  /** A batch was written: its rows and the span of its claims. */
  readonly onWritten?: (rows: number, start: number, end: number) => void;
  /** A batch failed (`dropped`: its bars are given up). */
  readonly onFailed?: (rows: number, dropped: boolean) => void;
}

export interface LiveWriter {
  /** Queues a closed bar (values are copied). */
  enqueue(ts: number, values: ArrayLike<number>): void;
  readonly pending: number;
  /** Writes what is pending now, after any write in progress. Never rejects. */
  flush(): Promise<void>;
  /** Stops the timer and makes one last attempt to write what is pending. */
  close(): Promise<void>;
}

export function createLiveWriter(deps: LiveWriterDeps): LiveWriter {
  const { store, dataset, schema, logger } = deps;
  const intervalMs = dataset.intervalMs;
  const width = schema.columns.length;
  let pending = new Map<number, Float64Array>();
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> | undefined;
  let failures = 0;
  let closed = false;

  function schedule(ms: number): void {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void kick();
    }, ms);
    timer.unref();
  }

  /** Starts a write unless one runs; the returned promise never rejects. */
  function kick(): Promise<void> {
    if (inflight) return inflight;
    if (pending.size === 0) return Promise.resolve();
    inflight = writeBatch().catch((error: unknown) => {
      logger.error({ err: error, nodeId: dataset.nodeId, intervalMs }, 'live write-through: unexpected failure');
    }).finally(() => {
      inflight = undefined;
      if (pending.size > 0) schedule(failures > 0 ? retryDelay() : pending.size >= deps.flushBars ? 0 : deps.flushMs);
    });
    return inflight;
  }

  function retryDelay(): number {
    return Math.min(MAX_RETRY_DELAY_MS, deps.flushMs * 2 ** Math.min(failures, 20));
  }

  async function writeBatch(): Promise<void> {
    const batch = pending;
    pending = new Map();
    const ts = [...batch.keys()].sort((a, b) => a - b);
    const frame = allocateFrame(schema, ts.length);
    const coverage: CoverageClaim[] = [];
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      frame.ts[i] = t;
      const row = batch.get(t) as Float64Array;
      for (let c = 0; c < width; c++) (frame.values[c] as Float64Array)[i] = row[c];
      const last = coverage[coverage.length - 1];
      if (last !== undefined && last.end === t) coverage[coverage.length - 1] = { start: last.start, end: t + intervalMs, state: 'stored' };
      else coverage.push({ start: t, end: t + intervalMs, state: 'stored' });
    }
    try {
      const report = await store.write({ dataset, frame, coverage, source: 'live' }, schema);
      failures = 0;
      deps.onWritten?.(report.rowsWritten, ts[0], ts[ts.length - 1] + intervalMs);
    } catch (error) {
      const invalid = isSeamlessError(error) && error.code === 'invalid_request';
      failures++;
      deps.onFailed?.(ts.length, invalid);
      if (invalid) {
        logger.error({ err: error, nodeId: dataset.nodeId, intervalMs, rows: ts.length }, 'live write-through: storage refused the bars; they are dropped');
        return;
      }
      logger.warn({ err: error, nodeId: dataset.nodeId, intervalMs, rows: ts.length, failures, retryInMs: retryDelay() }, 'live write-through failed; retrying');
      // Put the bars back unless newer values for the same ts arrived while writing.
      for (const [t, row] of batch) if (!pending.has(t)) pending.set(t, row);
      trim();
    }
  }

  function trim(): void {
    if (pending.size <= deps.maxPendingBars) return;
    const ts = [...pending.keys()].sort((a, b) => a - b);
    const drop = ts.length - deps.maxPendingBars;
    for (let i = 0; i < drop; i++) pending.delete(ts[i]);
    deps.onFailed?.(drop, true);
    logger.error({ nodeId: dataset.nodeId, intervalMs, dropped: drop, from: ts[0], to: ts[drop - 1] + intervalMs }, 'live write-through: too many bars pending; the oldest are dropped');
  }

  return {
    enqueue(t, values) {
      const row = new Float64Array(width);
      for (let c = 0; c < width; c++) row[c] = values[c];
      pending.set(t, row);
      if (pending.size > deps.maxPendingBars) trim();
      if (failures > 0 || inflight) return; // the retry / the write's end reschedules
      if (pending.size >= deps.flushBars) void kick();
      else schedule(deps.flushMs);
    },
    get pending() { return pending.size; },
    async flush() {
      if (inflight) await inflight;
      clearTimeout(timer);
      timer = undefined;
      await kick();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      if (inflight) await inflight;
      await kick();
    },
  };
}
