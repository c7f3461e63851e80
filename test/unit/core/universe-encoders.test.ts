// Universe answers (long format) in JSON, CSV and Arrow IPC: a leading node column written from
// the spans over the node dictionary, the value columns as a single read writes them.
import { DataType, tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  OHLCV_SCHEMA, createFrame, createUniverseFrame, encodeUniverseArrow, encodeUniverseCsv, encodeUniverseJson,
  universeArrowChunks, universeJsonSlices,
} from '../../../src/core/index.js';
import type { UniverseFrame } from '../../../src/core/index.js';

const NODES = ['ohlcv:demo:BTC-USD', 'empty', 'a,b "quoted"/x:y'];

/** Rows per node: 5, 0, 4 (odd counts, so Int32 index buffers need padding). */
function universe(): UniverseFrame {
  const counts = [5, 0, 4];
  const n = counts.reduce((a, b) => a + b, 0);
  const ts = new Float64Array(n);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(n));
  let r = 0;
  for (let i = 0; i < counts.length; i++) {
    for (let k = 0; k < counts[i]; k++, r++) {
      ts[r] = 1_700_000_000_000 + k * 60_000;
      for (let c = 0; c < values.length; c++) values[c][r] = i * 100 + k + c / 10;
    }
  }
  values[4][1] = Number.NaN;
  return createUniverseFrame(createFrame(OHLCV_SCHEMA, ts, values), NODES, new Int32Array([0, 5, 5, 9]));
}

const expectedNodes = (): string[] => [...Array<string>(5).fill(NODES[0]), ...Array<string>(4).fill(NODES[2])];

describe('universe encoders', () => {
  it('writes JSON with a node column before ts, one entry per row, for any slice size', () => {
    const u = universe();
    const whole = JSON.parse(encodeUniverseJson(u)) as Record<string, unknown[]>;
    expect(Object.keys(whole)).toEqual(['node', 'ts', 'open', 'high', 'low', 'close', 'volume']);
    expect(whole.node).toEqual(expectedNodes());
    expect(whole.ts).toEqual(Array.from(u.frame.ts));
    expect(whole.volume[1]).toBeNull();
    for (const slice of [1, 2, 3, 4, 5, 8]) {
      expect(Buffer.concat([...universeJsonSlices(u, slice)]).toString('utf8')).toBe(encodeUniverseJson(u));
    }
  });

  it('writes an empty universe as empty JSON columns', () => {
    const empty = createUniverseFrame(createFrame(OHLCV_SCHEMA, new Float64Array(0), OHLCV_SCHEMA.columns.map(() => new Float64Array(0))), ['x'], new Int32Array([0, 0]));
    expect(JSON.parse(encodeUniverseJson(empty))).toEqual({ node: [], ts: [], open: [], high: [], low: [], close: [], volume: [] });
  });

  it('writes CSV with a leading node field, quoted where the id holds a comma or a quote', () => {
    const lines = encodeUniverseCsv(universe()).trimEnd().split('\n');
    expect(lines[0]).toBe('node,ts,open,high,low,close,volume');
    expect(lines.length).toBe(10);
    expect(lines[1].startsWith('ohlcv:demo:BTC-USD,1700000000000,0,')).toBe(true);
    expect(lines[2].endsWith(',')).toBe(true);
    expect(lines[6]).toBe('"a,b ""quoted""/x:y",1700000000000,200,200.1,200.2,200.3,200.4');
  });

  it('writes Arrow IPC with node as Dictionary<Utf8, Int32>, readable by apache-arrow across several batches', () => {
    const u = universe();
    for (const batchRows of [2, 3, 65_536]) {
      const table = tableFromIPC(Buffer.concat([...universeArrowChunks(u, { 'seamless.metadata': '{"x":1}' }, batchRows)]));
      expect(table.numRows).toBe(9);
      expect(table.schema.fields.map((f) => f.name)).toEqual(['node', 'ts', 'open', 'high', 'low', 'close', 'volume']);
      const nodeType = table.schema.fields[0].type as DataType;
      expect(DataType.isDictionary(nodeType)).toBe(true);
      expect(String(nodeType)).toBe('Dictionary<Int32, Utf8>');
      expect(table.getChild('node')?.toArray()).toEqual(expectedNodes());
      expect(Array.from(table.getChild('ts')?.toArray() as BigInt64Array, Number)).toEqual(Array.from(u.frame.ts));
      expect(Array.from(table.getChild('close')?.toArray() as Float64Array)).toEqual(Array.from(u.frame.values[3]));
      expect(table.schema.metadata.get('seamless.metadata')).toBe('{"x":1}');
    }
    expect(encodeUniverseArrow(u).byteLength).toBeGreaterThan(0);
  });
});
