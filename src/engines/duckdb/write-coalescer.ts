/**
 * Group commit for single bar writes. A `write` joins the writes waiting for the write queue; the
 * first of them puts one task on the queue, and when that task's turn comes it takes every write
 * waiting by then and commits them in ONE transaction (the `writeMany` body), consecutive writes
 * of one frame schema together. Nothing waits on purpose: a write that finds the queue idle runs
 * alone at once; writes that arrive while the queue is busy (the shards of a backfill claimed
 * together finish fetching within a millisecond of each other) share a BEGIN, a COMMIT and the
 * batched statements instead of paying them each.
 *
 * Each write keeps its own outcome: when the shared transaction fails (a stale fence of one shard,
 * a frame storage refuses), it is rolled back whole and every write of it runs again on its own,
 * so one refused write never fails the others.
 */

/** One write waiting for the queue. */
interface Waiting<P, R> {
  readonly prepared: P;
  readonly resolve: (report: R) => void;
  readonly reject: (error: unknown) => void;
}

export interface WriteCoalescerOptions<P, R> {
  /** Puts a task on the write queue (the task never rejects). */
  enqueue(task: () => Promise<void>): void;
  /** One write in its own transaction; runs on the queue. */
  writeOne(prepared: P): Promise<R>;
  /** Several writes in one transaction, one report each in order; runs on the queue. */
  writeMany(prepared: readonly P[]): Promise<R[]>;
  /** Whether two writes may share a transaction (the same frame schema). */
  joinable(a: P, b: P): boolean;
}

export interface WriteCoalescer<P, R> {
  write(prepared: P): Promise<R>;
}

export function createWriteCoalescer<P, R>(o: WriteCoalescerOptions<P, R>): WriteCoalescer<P, R> {
  let waiting: Waiting<P, R>[] = [];

  async function settleOne(w: Waiting<P, R>): Promise<void> {
    try {
      w.resolve(await o.writeOne(w.prepared));
    } catch (error) {
      w.reject(error);
    }
  }

  async function settleGroup(group: readonly Waiting<P, R>[]): Promise<void> {
    if (group.length === 1) return await settleOne(group[0]);
    let reports: R[];
    try {
      reports = await o.writeMany(group.map((w) => w.prepared));
    } catch {
      // Rolled back whole: each write on its own, with its own outcome.
      for (const w of group) await settleOne(w);
      return;
    }
    group.forEach((w, i) => w.resolve(reports[i]));
  }

  /** The queue task: every write waiting now, in arrival order, in runs of joinable writes. */
  async function drain(): Promise<void> {
    const taken = waiting;
    waiting = [];
    let from = 0;
    for (let i = 1; i <= taken.length; i++) {
      if (i < taken.length && o.joinable(taken[from].prepared, taken[i].prepared)) continue;
      await settleGroup(taken.slice(from, i));
      from = i;
    }
  }

  return {
    write(prepared) {
      return new Promise<R>((resolve, reject) => {
        waiting.push({ prepared, resolve, reject });
        if (waiting.length === 1) o.enqueue(drain);
      });
    },
  };
}
