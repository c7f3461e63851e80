/**
 * Ingest findings (duplicates and off-grid rows an upstream sent, dropped before storing) kept
 * in memory per dataset, so a read can report the findings inside its range without a query.
 * This process is the store's only writer, so the mirror is exact once loaded; it is loaded per
 * dataset on first use and appended to after every write.
 */
import { lowerBound } from '../core/index.js';
import type { IngestFinding, IngestFindingStore } from '../conformance/index.js';

export interface FindingsIndex {
  /** Findings of a dataset with start <= ts < end. */
  range(nodeId: string, intervalMs: number, start: number, end: number): Promise<readonly IngestFinding[]>;
  /** Records findings already committed to the store. */
  added(findings: readonly IngestFinding[]): void;
}

interface DatasetFindings {
  readonly ts: Float64Array;
  readonly list: readonly IngestFinding[];
}

/** Findings are unique by (flag, ts, at): writers aggregate repeats into `count`. */
const identity = (f: IngestFinding): string => `${f.flag}|${f.ts}|${f.at}`;

const FOREVER = 8.64e15;

export function createFindingsIndex(store: IngestFindingStore): FindingsIndex {
  const byDataset = new Map<string, DatasetFindings>();
  const loading = new Map<string, Promise<DatasetFindings>>();
  const keyOf = (nodeId: string, intervalMs: number): string => JSON.stringify([nodeId, intervalMs]);

  function build(list: readonly IngestFinding[]): DatasetFindings {
    const unique = new Map<string, IngestFinding>();
    for (const f of list) unique.set(identity(f), f);
    const sorted = [...unique.values()].sort((a, b) => a.ts - b.ts);
    return { list: sorted, ts: Float64Array.from(sorted, (f) => f.ts) };
  }

  async function load(nodeId: string, intervalMs: number): Promise<DatasetFindings> {
    const key = keyOf(nodeId, intervalMs);
    const running = loading.get(key);
    if (running) return running;
    const have = byDataset.get(key);
    if (have) return have;
    const pending = store.findings(nodeId, intervalMs, -FOREVER, FOREVER).then((list) => {
      // Findings added while the query ran may or may not be in its answer: merge, deduplicated.
      const early = byDataset.get(key);
      const current = build(early ? [...list, ...early.list] : list);
      byDataset.set(key, current);
      loading.delete(key);
      return current;
    }, (error: unknown) => {
      loading.delete(key); // the next read tries again
      throw error;
    });
    loading.set(key, pending);
    return pending;
  }

  return {
    async range(nodeId, intervalMs, start, end) {
      const d = await load(nodeId, intervalMs);
      if (d.list.length === 0) return [];
      return d.list.slice(lowerBound(d.ts, start), lowerBound(d.ts, end));
    },

    added(findings) {
      const groups = new Map<string, IngestFinding[]>();
      for (const f of findings) {
        const key = keyOf(f.nodeId, f.intervalMs);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = []));
        g.push(f);
      }
      for (const [key, list] of groups) {
        const d = byDataset.get(key);
        if (d) byDataset.set(key, build([...d.list, ...list]));
        // While a load is running, park them in the map; the load merges them in.
        else if (loading.has(key)) byDataset.set(key, build(list));
        // Not loaded and not loading: the first read loads them from the store.
      }
    },
  };
}
