// The placement of a universe read's rows (dataset-buckets.ts): DuckDB returns them in scan order,
// which nothing promises to be by dataset or by time; the answer is by request position, ascending.
import { describe, expect, it } from 'vitest';
import { TICK_SCHEMA } from '../../../../src/core/index.js';
import { createBuckets, finishBuckets, placeChunk } from '../../../../src/engines/duckdb/internal.js';

/** A chunk as the reader sees it: dataset ids, ts, price, size (price and size derived from id and ts). */
function chunk(rows: readonly (readonly [number, number])[]): Float64Array[] {
  return [
    Float64Array.from(rows, (r) => r[0]),
    Float64Array.from(rows, (r) => r[1]),
    Float64Array.from(rows, (r) => r[0] * 1000 + r[1]),
    Float64Array.from(rows, (r) => -r[1]),
  ];
}

function place(positionOf: Map<number, number>, sizes: number[], chunks: (readonly (readonly [number, number])[])[]) {
  const buckets = createBuckets(TICK_SCHEMA, positionOf, Float64Array.from(sizes));
  for (const rows of chunks) placeChunk(buckets, chunk(rows), rows.length);
  const many = finishBuckets(buckets);
  const span = (i: number) => {
    const f = many.frame.slice(many.starts[i], many.ends[i]);
    return { ts: Array.from(f.ts), price: Array.from(f.values[0]), size: Array.from(f.values[1]) };
  };
  return { many, span };
}

describe('universe read row placement', () => {
  it('puts interleaved, descending rows of several datasets in request order, each ascending by ts', () => {
    // Dataset id 7 is asked first, id 3 second; rows arrive mixed across two chunks, newest first.
    const { many, span } = place(new Map([[7, 0], [3, 1]]), [4, 4], [
      [[3, 30], [7, 40], [7, 30], [3, 10]],
      [[7, 20], [3, 20], [7, 10]],
    ]);
    expect(span(0)).toEqual({ ts: [10, 20, 30, 40], price: [7010, 7020, 7030, 7040], size: [-10, -20, -30, -40] });
    expect(span(1)).toEqual({ ts: [10, 20, 30], price: [3010, 3020, 3030], size: [-10, -20, -30] });
    expect(Array.from(many.starts)).toEqual([0, 4]);
    expect(Array.from(many.ends)).toEqual([4, 7]);
    expect(many.frame.length).toBe(7);
  });

  it('keeps the columns it filled when every dataset fills its bound in order', () => {
    const { many, span } = place(new Map([[1, 0], [2, 1]]), [2, 2], [[[1, 0], [1, 1], [2, 0], [2, 1]]]);
    expect(many.frame.length).toBe(4);
    expect(span(0).ts).toEqual([0, 1]);
    expect(span(1).price).toEqual([2000, 2001]);
  });

  it('gives a dataset without rows and a position not read an empty span', () => {
    const { many, span } = place(new Map([[5, 2]]), [0, 0, 3], [[[5, 2], [5, 1]]]);
    expect(Array.from(many.starts)).toEqual([0, 0, 0]);
    expect(Array.from(many.ends)).toEqual([0, 0, 2]);
    expect(span(2).ts).toEqual([1, 2]);
  });

  it('refuses rows of a dataset it did not ask for, and more rows than a dataset can hold', () => {
    const buckets = createBuckets(TICK_SCHEMA, new Map([[1, 0]]), Float64Array.from([1]));
    expect(() => placeChunk(buckets, chunk([[9, 0]]), 1)).toThrow(/dataset id 9/);
    expect(() => placeChunk(buckets, chunk([[1, 0], [1, 1]]), 2)).toThrow(/more than 1 rows of dataset id 1/);
  });
});
