/**
 * Where the GCRA state of each upstream budget lives: a small key-value interface with
 * compare-and-set on a version, which the memory store (one process) and the etcd store
 * (`src/engines/etcd/etcd-budget-store.ts`, a cluster; version = the key's mod revision) implement.
 */
import type { BudgetState } from './gcra.js';

export interface BudgetRecord {
  readonly state: BudgetState;
  /** Opaque version of the stored state; changes with every write. */
  readonly version: string;
}

export type CompareAndSetResult =
  | { readonly ok: true; readonly record: BudgetRecord }
  /** The record changed since `expected`: here is the current one (undefined when absent). */
  | { readonly ok: false; readonly current: BudgetRecord | undefined };

export interface UpstreamBudgetStore {
  /** `memory`, `etcd`, … (shown by health and the permits API). */
  readonly kind: string;
  read(upstream: string): Promise<BudgetRecord | undefined>;
  /**
   * Writes `next` when the upstream's record is still at version `expected` (undefined: no
   * record yet). Rejects with a retryable SeamlessError when the store cannot be reached.
   */
  compareAndSet(upstream: string, expected: string | undefined, next: BudgetState): Promise<CompareAndSetResult>;
  close(): Promise<void>;
}

class MemoryBudgetStore implements UpstreamBudgetStore {
  readonly kind = 'memory';
  readonly #records = new Map<string, BudgetRecord>();
  #version = 0;

  read(upstream: string): Promise<BudgetRecord | undefined> {
    return Promise.resolve(this.#records.get(upstream));
  }

  compareAndSet(upstream: string, expected: string | undefined, next: BudgetState): Promise<CompareAndSetResult> {
    const current = this.#records.get(upstream);
    if (current?.version !== expected) return Promise.resolve({ ok: false, current });
    const record: BudgetRecord = { state: next, version: String(++this.#version) };
    this.#records.set(upstream, record);
    return Promise.resolve({ ok: true, record });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The budget store of one process: every source of this process shares it. */
export function createMemoryBudgetStore(): UpstreamBudgetStore {
  return new MemoryBudgetStore();
}
