/**
 * Ingest findings in force (duplicates and off-grid rows an upstream sent, dropped before
 * storing) kept in memory per dataset, so a read can report the findings inside its range
 * without a query. Findings belong to the rows they describe: every bar write supersedes, in
 * its transaction, the findings of the ranges it rewrites (storage/), so the store is the truth
 * and this index only caches it. A dataset is loaded on first use; a write this process commits
 * to it (`watchWrites` wraps the bar store) is applied to it as the store applied it (findings
 * in its claims superseded, its own added), and any other change (a purge, a failed write whose
 * commit is unknown, findings appended apart, another process's write) drops it, so the next
 * read reloads what is in force: a repaired range stops blocking at once.
 */
import { lowerBound } from '../core/index.js';
import type { IngestFinding, IngestFindingStore } from '../conformance/index.js';
import type { BarStore, CoverageClaim, WriteBatch, WriteReport } from '../storage/index.js';
import { readsOhlcvBuckets } from '../storage/index.js';

export interface FindingsIndex {
  /** Findings in force of a dataset with start <= ts < end. */
  range(nodeId: string, intervalMs: number, start: number, end: number): Promise<readonly IngestFinding[]>;
  /**
   * Findings that were in force at `asOf` (recorded at or before it, not superseded by then), for
   * an `as_of` read: what was known at that time, read from the store's history (not cached).
   */
  rangeAsOf(nodeId: string, intervalMs: number, start: number, end: number, asOf: number): Promise<readonly IngestFinding[]>;
  /** Findings were committed for these datasets: reload them on the next read. */
  added(findings: readonly IngestFinding[]): void;
  /** Bars of the dataset were rewritten (findings may have been superseded): reload on the next read. */
  rewritten(nodeId: string, intervalMs: number): void;
  /**
   * `batch` committed: as every engine does in the write's transaction (storage/bar-store.ts), the
   * findings in force inside its claimed ranges were superseded and its own findings inserted.
   * Applied to a loaded dataset in memory, so the next read needs no query; other datasets its
   * findings name are reloaded.
   */
  written(batch: WriteBatch): void;
  /** Changes may have been missed (another process's, cache-coherence.ts of src/app): reload every dataset on its next read. */
  clear(): void;
}

interface DatasetFindings {
  readonly ts: Float64Array;
  readonly list: readonly IngestFinding[];
}

const FOREVER = 8.64e15;

export function createFindingsIndex(store: IngestFindingStore): FindingsIndex {
  const byDataset = new Map<string, DatasetFindings>();
  const loading = new Map<string, Promise<DatasetFindings>>();
  /** Bumped by every write to a dataset: a load that started before it must not be cached. */
  const generation = new Map<string, number>();
  const keyOf = (nodeId: string, intervalMs: number): string => JSON.stringify([nodeId, intervalMs]);

  function build(list: readonly IngestFinding[]): DatasetFindings {
    const sorted = [...list].sort((a, b) => a.ts - b.ts);
    return { list: sorted, ts: Float64Array.from(sorted, (f) => f.ts) };
  }

  function load(nodeId: string, intervalMs: number): Promise<DatasetFindings> | DatasetFindings {
    const key = keyOf(nodeId, intervalMs);
    const have = byDataset.get(key);
    if (have) return have;
    const running = loading.get(key);
    if (running) return running;
    const started = generation.get(key) ?? 0;
    const pending = store.findings(nodeId, intervalMs, -FOREVER, FOREVER).then((list) => {
      const current = build(list);
      if (loading.get(key) === pending) loading.delete(key);
      // A write committed while the query ran: its answer may predate it, so it is not kept.
      if ((generation.get(key) ?? 0) === started) byDataset.set(key, current);
      return current;
    }, (error: unknown) => {
      if (loading.get(key) === pending) loading.delete(key); // the next read tries again
      throw error;
    });
    loading.set(key, pending);
    return pending;
  }

  function invalidate(key: string): void {
    generation.set(key, (generation.get(key) ?? 0) + 1);
    byDataset.delete(key);
    loading.delete(key);
  }

  return {
    async range(nodeId, intervalMs, start, end) {
      const d = await load(nodeId, intervalMs);
      if (d.list.length === 0) return [];
      return d.list.slice(lowerBound(d.ts, start), lowerBound(d.ts, end));
    },

    async rangeAsOf(nodeId, intervalMs, start, end, asOf) {
      const recorded = await store.history(nodeId, intervalMs, start, end);
      const out: IngestFinding[] = [];
      for (const { supersededAt, ...finding } of recorded) {
        if (finding.at <= asOf && (supersededAt === null || supersededAt > asOf)) out.push(finding);
      }
      return out.sort((a, b) => a.ts - b.ts);
    },

    added(findings) {
      const keys = new Set<string>();
      for (const f of findings) keys.add(keyOf(f.nodeId, f.intervalMs));
      for (const key of keys) invalidate(key);
    },

    rewritten(nodeId, intervalMs) {
      invalidate(keyOf(nodeId, intervalMs));
    },

    written(batch) {
      const key = keyOf(batch.dataset.nodeId, batch.dataset.intervalMs);
      const loaded = byDataset.get(key);
      invalidate(key);
      const own: IngestFinding[] = [];
      for (const f of batch.findings ?? []) {
        const other = keyOf(f.nodeId, f.intervalMs);
        if (other === key) own.push(f);
        else invalidate(other);
      }
      if (loaded === undefined) return;
      const kept = loaded.list.filter((f) => !insideClaims(f.ts, batch.coverage));
      byDataset.set(key, build(own.length === 0 ? kept : [...kept, ...own]));
    },

    clear() {
      for (const key of new Set([...byDataset.keys(), ...loading.keys()])) invalidate(key);
    },
  };
}

/**
 * The bar store with every committed write reported to the index (backfill, remote uploads,
 * imports and live write-through all write through it). Everything else is passed through.
 */
export function watchWrites(store: BarStore, index: FindingsIndex): BarStore {
  return {
    engine: store.engine,
    read: (dataset, schema, range) => store.read(dataset, schema, range),
    coverage: (dataset, range) => store.coverage(dataset, range),
    ...(store.readMany ? { readMany: store.readMany.bind(store) } : {}),
    ...(store.coverageMany ? { coverageMany: store.coverageMany.bind(store) } : {}),
    ...(readsOhlcvBuckets(store) ? { readOhlcvBuckets: store.readOhlcvBuckets.bind(store) } : {}),
    ...(store.readAsOf ? { readAsOf: store.readAsOf.bind(store) } : {}),
    ...(store.coverageAsOf ? { coverageAsOf: store.coverageAsOf.bind(store) } : {}),
    ...(store.versions ? { versions: store.versions.bind(store) } : {}),
    ...(store.pruneVersions ? { pruneVersions: store.pruneVersions.bind(store) } : {}),
    async write(batch, schema) {
      let report: WriteReport;
      try {
        report = await store.write(batch, schema);
      } catch (error) {
        // Whether it committed (a lost COMMIT) is unknown: reloading is exact.
        index.rewritten(batch.dataset.nodeId, batch.dataset.intervalMs);
        throw error;
      }
      index.written(batch);
      return report;
    },
    ...(store.writeMany ? { writeMany: watchedWriteMany(store.writeMany.bind(store), index) } : {}),
    advanceFence: (fence) => store.advanceFence(fence),
    async purge(request) {
      try {
        return await store.purge(request);
      } finally {
        // The purge superseded the range's findings (also reloaded after a failure: the commit's outcome may be unknown).
        index.rewritten(request.dataset.nodeId, request.dataset.intervalMs);
      }
    },
    repairAudit: (filter) => store.repairAudit(filter),
    markFailed: (dataset, range, reason, fence) => store.markFailed(dataset, range, reason, fence),
    datasets: () => store.datasets(),
    coverageSummary: () => store.coverageSummary(),
    datedCoverage: (dataset, range) => store.datedCoverage(dataset, range),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/** Whether `ts` lies in one of the claims (the ranges whose findings a write supersedes). */
function insideClaims(ts: number, claims: readonly CoverageClaim[]): boolean {
  for (const c of claims) if (ts >= c.start && ts < c.end) return true;
  return false;
}

function watchedWriteMany(writeMany: NonNullable<BarStore['writeMany']>, index: FindingsIndex): NonNullable<BarStore['writeMany']> {
  return async (batches, schema) => {
    let reports: WriteReport[];
    try {
      reports = await writeMany(batches, schema);
    } catch (error) {
      // As `write`: every dataset of the call is reloaded (the commit's outcome is unknown).
      for (const b of batches) index.rewritten(b.dataset.nodeId, b.dataset.intervalMs);
      throw error;
    }
    // In batch order, as the transaction applied them (a dataset written twice supersedes twice).
    for (const b of batches) index.written(b);
    return reports;
  };
}
