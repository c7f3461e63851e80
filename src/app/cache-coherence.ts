/**
 * Caches that agree across processes on shared storage (docs/operations/cache-coherence.md):
 * every change another process committed (a `changed` event of the storage's change feed) drops
 * the overlapping segments of the dataset from this process's response cache — with their cached
 * conformance verdicts, which live on the segments — and reloads the dataset's ingest findings on
 * its next read. A `resync` (the feed's connection was lost or is back: notifications in between
 * are lost) clears the whole cache and every dataset's findings.
 *
 * This process's own changes are skipped: each local write path (backfill completion, live
 * write-through, import, repair) already invalidated before its write returned.
 *
 * With a hot standby (`storage.readUrl`) the notification arrives when the writer committed on
 * the primary, possibly before the standby replayed that commit: the changed dataset is first
 * marked written (read-your-writes, postgres-read-routing.ts), so the read that refills the cache
 * goes to the primary until the standby has caught up instead of caching the old bars again.
 */
import type { Clock } from '../core/index.js';
import type { Logger, SeamlessMetrics } from '../observability/index.js';
import { datasetKeyPrefix } from '../provider/index.js';
import type { FindingsIndex, ResponseCache } from '../provider/index.js';
import type { DatasetKey, StorageChangeEvent, StorageChangeFeed } from '../storage/index.js';

export interface CacheCoherenceDeps {
  readonly changes: StorageChangeFeed;
  /** Undefined when the response cache is off (the findings are still kept fresh). */
  readonly cache: ResponseCache | undefined;
  readonly findings: FindingsIndex;
  readonly metrics: SeamlessMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The hot standby's read routing (`storage.readUrl`); undefined without one. */
  readonly replica?: { wrote(dataset: DatasetKey): void };
}

/** Applies the feed's events from now on; returns the unsubscribe. */
export function applyStorageChanges(deps: CacheCoherenceDeps): () => void {
  const { changes, cache, findings, metrics, clock, logger, replica } = deps;
  // prom-client children resolved once (STYLE.md §13).
  const received = {
    write: metrics.cacheInvalidationsReceived.labels({ kind: 'write' }),
    purge: metrics.cacheInvalidationsReceived.labels({ kind: 'purge' }),
    resync: metrics.cacheInvalidationsReceived.labels({ kind: 'resync' }),
  };
  return changes.subscribe((event: StorageChangeEvent) => {
    switch (event.type) {
      case 'changed': {
        const { change } = event;
        if (change.origin === changes.origin) return;
        const { nodeId, intervalMs } = change.dataset;
        // Before the cache drops it: the read that refills it must not get the standby's older bars.
        replica?.wrote(change.dataset);
        cache?.invalidate(datasetKeyPrefix(nodeId, intervalMs), change.range);
        findings.rewritten(nodeId, intervalMs);
        received[change.kind].inc();
        // Clocks of two hosts may disagree by a little: a negative lag counts as zero.
        metrics.cacheInvalidationLag.observe(Math.max(0, clock.now() - change.committedAt) / 1_000);
        return;
      }
      case 'resync':
        cache?.clear();
        findings.clear();
        received.resync.inc();
        logger.warn({ reason: event.reason }, 'response cache cleared: changes by other processes may have been missed');
        return;
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  });
}
