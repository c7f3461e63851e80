/**
 * The pool of exclusive DuckDB readers: bounded (a read beyond the maximum waits for a released
 * connection instead of opening one), and connections are reused rather than opened per read.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { createReaderPool } from '../../../../src/engines/duckdb/internal.js';

const instances: DuckDBInstance[] = [];
afterEach(() => {
  for (const i of instances.splice(0)) i.closeSync();
});

/** An in-memory instance whose `connect` calls are counted. */
async function countingInstance(): Promise<{ instance: DuckDBInstance; connects: () => number }> {
  const instance = await DuckDBInstance.create(':memory:');
  instances.push(instance);
  let connects = 0;
  const connect = instance.connect.bind(instance);
  instance.connect = async () => {
    connects++;
    return await connect();
  };
  return { instance, connects: () => connects };
}

describe('the DuckDB reader pool', () => {
  it('opens at most its maximum of connections: the next read waits for one released and gets it', async () => {
    const { instance, connects } = await countingInstance();
    const pool = createReaderPool(instance, 3);
    const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    let fourth: DuckDBConnection | undefined;
    const waiting = pool.acquire().then((c) => { fourth = c; });
    await new Promise((resolve) => setImmediate(resolve));
    expect(fourth).toBeUndefined();
    expect(connects()).toBe(3);
    pool.release(held[1]);
    await waiting;
    expect(fourth).toBe(held[1]);
    for (const c of [held[0], held[2], held[1]]) pool.release(c);
    pool.closeIdle();
  });

  it('answers 40 concurrent reads on at most its maximum of connections, reusing them', async () => {
    const { instance, connects } = await countingInstance();
    const pool = createReaderPool(instance, 4);
    const sums = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const conn = await pool.acquire();
      try {
        const result = await conn.runAndReadAll(`SELECT sum(range)::DOUBLE AS s FROM range(${1_000 + i})`);
        return Number(result.getRows()[0][0]);
      } finally {
        pool.release(conn);
      }
    }));
    expect(sums).toEqual(Array.from({ length: 40 }, (_, i) => ((1_000 + i) * (999 + i)) / 2));
    expect(connects()).toBeLessThanOrEqual(4);
    pool.closeIdle();
  });
});
