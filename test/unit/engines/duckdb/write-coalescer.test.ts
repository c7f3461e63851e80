/**
 * Group commit of single writes (src/engines/duckdb/write-coalescer.ts) over a fake queue: who
 * shares a transaction, in which order, and what each caller is told when the shared one fails.
 */
import { describe, expect, it } from 'vitest';
import { createWriteCoalescer } from '../../../../src/engines/duckdb/internal.js';

interface Write { readonly id: string; readonly schema: string; readonly bad?: boolean }

function harness() {
  const tasks: (() => Promise<void>)[] = [];
  const transactions: string[][] = [];
  const coalescer = createWriteCoalescer<Write, string>({
    enqueue: (task) => { tasks.push(task); },
    writeOne: async (w) => {
      transactions.push([w.id]);
      if (w.bad === true) throw new Error(`${w.id} refused`);
      return `${w.id} stored`;
    },
    writeMany: async (ws) => {
      transactions.push(ws.map((w) => w.id));
      if (ws.some((w) => w.bad === true)) throw new Error('rolled back');
      return ws.map((w) => `${w.id} stored with ${ws.length - 1} others`);
    },
    joinable: (a, b) => a.schema === b.schema,
  });
  /** Runs the queued tasks one after the other, as the write queue does. */
  const runQueue = async (): Promise<void> => {
    while (tasks.length > 0) await (tasks.shift() as () => Promise<void>)();
  };
  return { coalescer, tasks, transactions, runQueue };
}

describe('write coalescer', () => {
  it('commits the writes waiting for the queue together, once per queue turn, in arrival order', async () => {
    const h = harness();
    const first = [h.coalescer.write({ id: 'a', schema: 'ohlcv' }), h.coalescer.write({ id: 'b', schema: 'ohlcv' }), h.coalescer.write({ id: 'c', schema: 'ohlcv' })];
    expect(h.tasks).toHaveLength(1);
    await h.runQueue();
    expect(await Promise.all(first)).toEqual(['a stored with 2 others', 'b stored with 2 others', 'c stored with 2 others']);
    // The next write, alone in its turn, runs alone.
    const alone = h.coalescer.write({ id: 'd', schema: 'ohlcv' });
    await h.runQueue();
    expect(await alone).toBe('d stored');
    expect(h.transactions).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('keeps writes of different schemas in separate transactions, in order', async () => {
    const h = harness();
    const all = ['a:ohlcv', 'b:ohlcv', 'c:tick', 'd:ohlcv'].map((x) => { const [id, schema] = x.split(':'); return h.coalescer.write({ id, schema }); });
    await h.runQueue();
    await Promise.all(all);
    expect(h.transactions).toEqual([['a', 'b'], ['c'], ['d']]);
  });

  it('runs each write of a failed shared transaction on its own, so only the refused one fails', async () => {
    const h = harness();
    const outcomes = [h.coalescer.write({ id: 'a', schema: 'ohlcv' }), h.coalescer.write({ id: 'b', schema: 'ohlcv', bad: true }), h.coalescer.write({ id: 'c', schema: 'ohlcv' })].map((p) => p.then((v) => v, (e: Error) => e.message));
    await h.runQueue();
    expect(await Promise.all(outcomes)).toEqual(['a stored', 'b refused', 'c stored']);
    expect(h.transactions).toEqual([['a', 'b', 'c'], ['a'], ['b'], ['c']]);
  });
});
