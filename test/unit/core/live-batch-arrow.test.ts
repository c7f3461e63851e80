// Live batches as Arrow IPC (subscriptions with encoding=arrow): the universe long format plus a
// Bool `final` column, read back by our decoder and by apache-arrow's tableFromIPC.
import { DataType, tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame, createUniverseFrame, decodeLiveBatchArrow, encodeLiveBatchArrow } from '../../../src/core/index.js';
import type { LiveBatch } from '../../../src/core/index.js';

const NODES = ['ohlcv:binance:BTC/USDT', 'ohlcv:binance:ETH/USDT', 'a,b "quoted"/x:y €¥'];
const T = 1_719_828_000_000;

/** `counts[i]` rows of node i; final set on every `finalEvery`-th row; a NaN volume on row 1. */
function batch(counts: readonly number[], finalEvery = 2): LiveBatch {
  const n = counts.reduce((a, b) => a + b, 0);
  const ts = new Float64Array(n);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(n));
  const final = new Uint8Array(n);
  const offsets = new Int32Array(counts.length + 1);
  let r = 0;
  for (let i = 0; i < counts.length; i++) {
    for (let k = 0; k < counts[i]; k++, r++) {
      ts[r] = T + k * 60_000;
      for (let c = 0; c < values.length; c++) values[c][r] = i * 1000 + k + c / 10;
      final[r] = r % finalEvery === 0 ? 1 : 0;
    }
    offsets[i + 1] = r;
  }
  if (n > 1) values[4][1] = Number.NaN;
  return { bars: createUniverseFrame(createFrame(OHLCV_SCHEMA, ts, values), NODES.slice(0, counts.length), offsets), final, intervalMs: 60_000 };
}

describe('live batch Arrow encoding', () => {
  for (const counts of [[1, 1, 1], [3, 0, 2], [5, 4, 8], [1], [9, 9, 9]]) {
    it(`round-trips node, ts, values and final for rows per node ${counts.join('/')}`, () => {
      const b = batch(counts, 3);
      const d = decodeLiveBatchArrow(encodeLiveBatchArrow(b));
      expect(d.schema).toBe(OHLCV_SCHEMA);
      expect(d.intervalMs).toBe(60_000);
      expect(d.phase).toBe('live');
      const n = b.bars.frame.length;
      const nodeOfRow: string[] = [];
      for (let i = 0; i < counts.length; i++) for (let k = 0; k < counts[i]; k++) nodeOfRow.push(NODES[i]);
      expect(Array.from(d.nodeIndex, (i) => d.nodes[i])).toEqual(nodeOfRow);
      expect(Array.from(d.ts)).toEqual(Array.from(b.bars.frame.ts));
      for (let c = 0; c < OHLCV_SCHEMA.columns.length; c++) expect(Array.from(d.values[c])).toEqual(Array.from(b.bars.frame.values[c]));
      expect(Array.from(d.final)).toEqual(Array.from(b.final));
      expect(d.ts.length).toBe(n);
    });
  }

  it('is read by apache-arrow tableFromIPC: dictionary node, timestamp ts, Float64 values, Bool final, metadata', () => {
    const b = batch([2, 1, 3]);
    const table = tableFromIPC(encodeLiveBatchArrow(b));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['node', 'ts', 'open', 'high', 'low', 'close', 'volume', 'final']);
    expect(DataType.isDictionary(table.schema.fields[0].type)).toBe(true);
    expect(DataType.isTimestamp(table.schema.fields[1].type)).toBe(true);
    expect(DataType.isBool(table.schema.fields[7].type)).toBe(true);
    expect(table.schema.metadata.get('seamless.schema')).toBe('ohlcv');
    expect(table.schema.metadata.get('seamless.interval')).toBe('1m');
    expect(table.numRows).toBe(6);
    const rows = table.toArray().map((r) => r.toJSON() as Record<string, unknown>);
    expect(rows.map((r) => r.node)).toEqual([NODES[0], NODES[0], NODES[1], NODES[2], NODES[2], NODES[2]]);
    expect(rows.map((r) => r.final)).toEqual([true, false, true, false, true, false]);
    expect(rows[3].ts).toBe(T);
    expect(rows[1].volume).toBeNaN();
    expect(rows[5].close).toBe(2002.3);
  });

  it('writes an empty batch that both readers read as no rows', () => {
    const b = batch([0, 0]);
    expect(tableFromIPC(encodeLiveBatchArrow(b)).numRows).toBe(0);
    expect(decodeLiveBatchArrow(encodeLiveBatchArrow(b)).ts.length).toBe(0);
  });

  it('refuses bytes that are not an Arrow stream, naming the field arrow', () => {
    expect(() => decodeLiveBatchArrow(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'arrow' }) }));
  });
});
