/**
 * The embedded database's write queue (src/engines/duckdb/connection.ts): one write at a time,
 * `normal` writes in call order ahead of any waiting `background` write (issue 12: a read's
 * writes must not queue behind a burst of background jobs' shard bookkeeping).
 */
import { describe, expect, it } from 'vitest';
import { createSerialQueue } from '../../../../src/engines/duckdb/internal.js';

describe('the embedded write queue', () => {
  it('runs a normal write queued after many background writes before the waiting background ones', async () => {
    const queue = createSerialQueue();
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const task = (name: string) => async (): Promise<string> => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => { setImmediate(resolve); });
      order.push(name);
      running--;
      return name;
    };
    const all: Promise<string>[] = [];
    for (let i = 0; i < 5; i++) all.push(queue.run(task(`background ${i}`), 'background'));
    all.push(queue.run(task('read'), 'normal'));
    all.push(queue.run(task('bars')));
    expect(await Promise.all(all)).toEqual(['background 0', 'background 1', 'background 2', 'background 3', 'background 4', 'read', 'bars']);
    // Queued in one turn, nothing had started: the normal writes first, each lane in call order.
    expect(order).toEqual(['read', 'bars', 'background 0', 'background 1', 'background 2', 'background 3', 'background 4']);
    expect(maxRunning).toBe(1);
  });

  it('settles each caller with its own result or error, and drains once idle', async () => {
    const queue = createSerialQueue();
    const failing = queue.run(async () => { throw new RangeError('boom'); }, 'background');
    const ok = queue.run(async () => 42);
    await expect(failing).rejects.toThrow('boom');
    await expect(ok).resolves.toBe(42);
    await queue.drain();
  });
});
