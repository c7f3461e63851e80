/**
 * The bar store a universe read's pipelines see: the coverage and the rows of every dataset were
 * read for all of them at once (`BarStore.coverageMany`, `readMany`), and each dataset's pipeline
 * (the same steps as a single read, read/data-provider.ts) takes its part from here instead of
 * asking storage again. Anything else goes to the real store.
 *
 * What keeps it exact:
 * - coverage was read before the rows, as a single read does: rows committed with coverage the
 *   prefetch saw are in the prefetched rows (a write commits rows and coverage together);
 * - a dataset's prefetched coverage answers its first coverage lookup of exactly the prefetched
 *   range; a second lookup is the strategy's re-read after a backfill it waited for: from then on
 *   the dataset is asked of storage (coverage and rows), since the backfill wrote to it;
 * - prefetched rows answer a read inside the prefetched range (a zero-copy slice of the one
 *   frame); any other range goes to storage.
 */
import { createFrame, lowerBound } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type { BarStore, CoverageRange, DatasetKey, ManyDatasetsFrame } from '../../storage/index.js';

interface Prefetched {
  readonly coverage: readonly CoverageRange[];
  readonly from: number;
  readonly to: number;
  /** 'fresh' until its coverage was served, 'served' after, 'stale' once coverage was asked again. */
  state: 'fresh' | 'served' | 'stale';
}

const keyOf = (d: DatasetKey): string => JSON.stringify([d.nodeId, d.intervalMs]);

export function prefetchedStore(
  store: BarStore, datasets: readonly DatasetKey[], range: TimeRange, coverage: readonly (readonly CoverageRange[])[], rows: ManyDatasetsFrame, schema: FrameSchema,
): BarStore {
  const byKey = new Map<string, Prefetched>();
  for (let i = 0; i < datasets.length; i++) {
    byKey.set(keyOf(datasets[i]), { coverage: coverage[i], from: rows.starts[i], to: rows.ends[i], state: 'fresh' });
  }
  const all = rows.frame;

  function slice(p: Prefetched, r: TimeRange): Frame {
    const ts = all.ts.subarray(p.from, p.to);
    const a = p.from + lowerBound(ts, r.start);
    const b = p.from + lowerBound(ts, r.end);
    return createFrame(all.schema, all.ts.subarray(a, b), all.values.map((v) => v.subarray(a, b)));
  }

  return {
    engine: store.engine,
    async coverage(dataset, r) {
      const p = byKey.get(keyOf(dataset));
      if (p !== undefined && r !== undefined && r.start === range.start && r.end === range.end && p.state === 'fresh') {
        p.state = 'served';
        return [...p.coverage];
      }
      if (p !== undefined && p.state === 'served') p.state = 'stale';
      return store.coverage(dataset, r);
    },
    read(dataset, s, r) {
      const p = byKey.get(keyOf(dataset));
      if (p === undefined || p.state === 'stale' || s !== schema || r.start < range.start || r.end > range.end) return store.read(dataset, s, r);
      return Promise.resolve(slice(p, r));
    },
    write: (batch, s) => store.write(batch, s),
    advanceFence: (fence) => store.advanceFence(fence),
    markFailed: (dataset, r, reason, fence) => store.markFailed(dataset, r, reason, fence),
    datasets: () => store.datasets(),
    purge: (request) => store.purge(request),
    repairAudit: (query) => store.repairAudit(query),
    coverageSummary: () => store.coverageSummary(),
    datedCoverage: (dataset, r) => store.datedCoverage(dataset, r),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
