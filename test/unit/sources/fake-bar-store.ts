/**
 * An in-memory BarStore for unit tests of code that writes to storage through the interface.
 * Keeps each dataset's rows in a Map by ts, applies writes atomically and records every batch.
 */
import { InternalError, StaleFencingTokenError, allocateFrame } from '../../../src/core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../../src/core/index.js';
import type {
  BarStore, CoverageRange, CoverageSummary, DatasetKey, DatasetSummary, DatedCoverageRange, Fence, PurgeReport, RepairAuditEntry, WriteBatch, WriteReport,
} from '../../../src/storage/index.js';
import { writtenCoverage } from '../../../src/storage/index.js';

interface DatasetState {
  schema: string;
  rows: Map<number, Float64Array>;
  coverage: CoverageRange[];
}

export interface FakeBarStore extends BarStore {
  /** Every batch passed to write(), in order. */
  readonly writes: WriteBatch[];
}

function keyOf(d: DatasetKey): string {
  return JSON.stringify([d.nodeId, d.intervalMs]);
}

export function createFakeBarStore(): FakeBarStore {
  const datasets = new Map<string, DatasetState & { key: DatasetKey }>();
  const writes: WriteBatch[] = [];
  const fences = new Map<string, number>();

  return {
    engine: 'fake',
    writes,
    async read(dataset: DatasetKey, schema: FrameSchema, range: TimeRange): Promise<Frame> {
      const state = datasets.get(keyOf(dataset));
      const ts = state === undefined ? [] : [...state.rows.keys()].filter((t) => t >= range.start && t < range.end).sort((a, b) => a - b);
      const frame = allocateFrame(schema, ts.length);
      for (let i = 0; i < ts.length; i++) {
        frame.ts[i] = ts[i];
        const row = state?.rows.get(ts[i]) ?? new Float64Array(schema.columns.length);
        for (let c = 0; c < schema.columns.length; c++) (frame.values[c] as Float64Array)[i] = row[c];
      }
      return frame;
    },
    async coverage(dataset: DatasetKey, range?: TimeRange): Promise<CoverageRange[]> {
      const list = datasets.get(keyOf(dataset))?.coverage ?? [];
      return list.filter((c) => range === undefined || (c.start < range.end && c.end > range.start));
    },
    async write(batch: WriteBatch, schema: FrameSchema): Promise<WriteReport> {
      checkFence(fences, batch.fence);
      writes.push(batch);
      const k = keyOf(batch.dataset);
      let state = datasets.get(k);
      if (state === undefined) {
        state = { key: batch.dataset, schema: schema.name, rows: new Map(), coverage: [] };
        datasets.set(k, state);
      }
      const f = batch.frame;
      for (let i = 0; i < f.length; i++) {
        const row = new Float64Array(f.values.length);
        for (let c = 0; c < f.values.length; c++) row[c] = f.values[c][i];
        state.rows.set(f.ts[i], row);
      }
      // As every engine: a stored claim records the runs of bars written (storage/coverage-algebra.ts).
      const written = writtenCoverage([...batch.coverage].sort((a, b) => a.start - b.start), f.ts, batch.dataset.intervalMs);
      for (const claim of written) state.coverage.push({ start: claim.start, end: claim.end, state: claim.state });
      state.coverage.sort((a, b) => a.start - b.start);
      return { rowsWritten: f.length, coverageWritten: written };
    },
    async advanceFence(fence: Fence): Promise<void> {
      checkFence(fences, fence);
    },
    async markFailed(dataset: DatasetKey, range: TimeRange, reason: string, fence?: Fence): Promise<void> {
      checkFence(fences, fence);
      const state = datasets.get(keyOf(dataset));
      state?.coverage.push({ start: range.start, end: range.end, state: 'failed', reason, attempts: 1 });
    },
    async purge(): Promise<PurgeReport> {
      // The import and source tests never purge: the engines' purge is covered by the storage suite.
      throw new InternalError('the fake bar store does not purge');
    },
    async repairAudit(): Promise<RepairAuditEntry[]> {
      return [];
    },
    async datasets(): Promise<DatasetSummary[]> {
      return [...datasets.values()].map((s) => {
        const ts = [...s.rows.keys()];
        return {
          nodeId: s.key.nodeId, intervalMs: s.key.intervalMs, schema: s.schema, rows: ts.length,
          firstTs: ts.length === 0 ? undefined : Math.min(...ts), lastTs: ts.length === 0 ? undefined : Math.max(...ts),
        };
      });
    },
    async coverageSummary(): Promise<CoverageSummary[]> {
      return [...datasets.values()].map((s) => {
        const ts = [...s.rows.keys()];
        const bars = (state: string): number => s.coverage.filter((c) => c.state === state).reduce((n, c) => n + (c.end - c.start) / s.key.intervalMs, 0);
        return {
          nodeId: s.key.nodeId, intervalMs: s.key.intervalMs, schema: s.schema, barsStored: ts.length,
          firstTs: ts.length === 0 ? undefined : Math.min(...ts), lastTs: ts.length === 0 ? undefined : Math.max(...ts),
          knownEmptyBars: bars('known_empty'), failedBars: bars('failed'), lastWriteAt: undefined,
        };
      });
    },
    async datedCoverage(dataset: DatasetKey, range?: TimeRange): Promise<DatedCoverageRange[]> {
      const list = datasets.get(keyOf(dataset))?.coverage ?? [];
      return list.filter((c) => range === undefined || (c.start < range.end && c.end > range.start)).map((c) => ({ ...c, updatedAt: 0 }));
    },
    async ping(): Promise<void> {},
    async close(): Promise<void> {},
  };
}

function checkFence(fences: Map<string, number>, fence: Fence | undefined): void {
  if (fence === undefined) return;
  const newest = fences.get(fence.key) ?? 0;
  if (fence.token < newest) throw new StaleFencingTokenError(fence.key, fence.token, newest);
  fences.set(fence.key, fence.token);
}
