import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../../src/core/index.js';
import type { IngestFinding } from '../../../src/core/index.js';
import { createEmbeddedDatabase } from '../../../src/engines/duckdb/internal.js';
import type { EmbeddedDatabase } from '../../../src/engines/duckdb/index.js';
import { createFindingsIndex, watchWrites } from '../../../src/provider/index.js';
import type { DatasetKey, WriteBatch } from '../../../src/storage/index.js';

const MIN = 60_000;
const datasets: DatasetKey[] = ['A', 'B'].map((s) => ({ nodeId: `ohlcv:findings:${s}`, intervalMs: MIN }));

const open: EmbeddedDatabase[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});

function batch(dataset: DatasetKey, findings: IngestFinding[] = []): WriteBatch {
  const ts = Float64Array.of(0, MIN);
  return { dataset, frame: createFrame(OHLCV_SCHEMA, ts, OHLCV_SCHEMA.columns.map(() => Float64Array.of(1, 2))), coverage: [{ start: 0, end: 2 * MIN, state: 'stored' }], findings };
}

describe('findings index behind the watched store', () => {
  it('reloads the findings of every dataset a writeMany rewrote (the findings it superseded are no longer in force)', async () => {
    const db = await createEmbeddedDatabase({ path: ':memory:' });
    open.push(db);
    const index = createFindingsIndex(db.findings);
    const store = watchWrites(db.bars, index);
    const found = (d: DatasetKey): IngestFinding => ({ nodeId: d.nodeId, intervalMs: MIN, flag: 'duplicate_ts', ts: 0, count: 2, at: 1, detail: 'twice' });
    for (const d of datasets) await store.write(batch(d, [found(d)]), OHLCV_SCHEMA);
    for (const d of datasets) expect(await index.range(d.nodeId, MIN, 0, 2 * MIN)).toHaveLength(1); // loaded and cached
    await store.writeMany?.(datasets.map((d) => batch(d)), OHLCV_SCHEMA);
    for (const d of datasets) expect(await index.range(d.nodeId, MIN, 0, 2 * MIN)).toEqual([]);
  });
});

describe('findings index kept in step with writes', () => {
  /** The store's findings, counting the queries the index makes. */
  function counted(db: EmbeddedDatabase): { store: EmbeddedDatabase['findings']; queries: () => number } {
    let n = 0;
    const inner = db.findings;
    const store = { ...inner, findings: (...a: Parameters<typeof inner.findings>) => { n++; return inner.findings(...a); }, history: inner.history.bind(inner), appendFindings: inner.appendFindings.bind(inner) };
    return { store, queries: () => n };
  }

  it('answers after each committed write what a fresh load of the store answers, without querying again', async () => {
    const db = await createEmbeddedDatabase({ path: ':memory:' });
    open.push(db);
    const { store: findingStore, queries } = counted(db);
    const index = createFindingsIndex(findingStore);
    const bars = watchWrites(db.bars, index);
    const [a, b] = datasets;
    const finding = (d: DatasetKey, ts: number, detail: string): IngestFinding => ({ nodeId: d.nodeId, intervalMs: MIN, flag: 'duplicate_ts', ts, count: 2, at: ts + 1, detail });
    /** A write of `bars` 1m bars from `start` (minutes), claiming exactly them, with findings. */
    const write = (d: DatasetKey, start: number, n: number, findings: IngestFinding[]): WriteBatch => {
      const ts = Float64Array.from({ length: n }, (_, i) => (start + i) * MIN);
      return { dataset: d, frame: createFrame(OHLCV_SCHEMA, ts, OHLCV_SCHEMA.columns.map(() => new Float64Array(n).fill(1))), coverage: [{ start: start * MIN, end: (start + n) * MIN, state: 'stored' }], findings };
    };
    await bars.write(write(a, 0, 10, [finding(a, 2 * MIN, 'first'), finding(a, 7 * MIN, 'second')]), OHLCV_SCHEMA);
    expect(await index.range(a.nodeId, MIN, 0, 100 * MIN)).toHaveLength(2);
    const loads = queries();
    // Rewrites: one over the first finding only (superseding it, adding one), one elsewhere, a
    // writeMany that rewrites the rest of a and adds one to b, and a finding at a claim's edge.
    const steps: (() => Promise<unknown>)[] = [
      () => bars.write(write(a, 0, 5, [finding(a, 3 * MIN, 'third')]), OHLCV_SCHEMA),
      () => bars.write(write(a, 20, 5, [finding(a, 24 * MIN, 'edge')]), OHLCV_SCHEMA),
      async () => {
        if (bars.writeMany === undefined) throw new Error('the DuckDB store has writeMany');
        await bars.writeMany([write(a, 5, 5, []), write(b, 0, 3, [finding(b, 0, 'b')])], OHLCV_SCHEMA);
      },
      () => bars.write(write(a, 25, 5, []), OHLCV_SCHEMA),
    ];
    for (const step of steps) {
      await step();
      const truth = createFindingsIndex(db.findings);
      for (const d of [a, b]) expect(await index.range(d.nodeId, MIN, 0, 100 * MIN)).toEqual(await truth.range(d.nodeId, MIN, 0, 100 * MIN));
    }
    // a stayed loaded throughout; b was loaded once, by the first comparison that asked for it.
    expect(queries() - loads).toBe(1);
    expect((await index.range(a.nodeId, MIN, 0, 100 * MIN)).map((f) => f.detail)).toEqual(['third', 'edge']);
  });

  it('reloads after a write that failed (its commit is unknown) and after a purge', async () => {
    const db = await createEmbeddedDatabase({ path: ':memory:' });
    open.push(db);
    const { store: findingStore, queries } = counted(db);
    const index = createFindingsIndex(findingStore);
    const bars = watchWrites(db.bars, index);
    const [a] = datasets;
    await bars.write(batch(a, [{ nodeId: a.nodeId, intervalMs: MIN, flag: 'duplicate_ts', ts: 0, count: 2, at: 1, detail: 'x' }]), OHLCV_SCHEMA);
    await index.range(a.nodeId, MIN, 0, 2 * MIN);
    const before = queries();
    await expect(bars.write({ ...batch(a), fence: { key: 'k', token: -1 } }, OHLCV_SCHEMA)).rejects.toThrow();
    await index.range(a.nodeId, MIN, 0, 2 * MIN);
    expect(queries()).toBe(before + 1);
    await bars.purge({ dataset: a, range: { start: 0, end: 2 * MIN }, fences: [], actor: 'test', action: 'purge' });
    expect(await index.range(a.nodeId, MIN, 0, 2 * MIN)).toEqual([]);
    expect(queries()).toBe(before + 2);
  });
});
