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
