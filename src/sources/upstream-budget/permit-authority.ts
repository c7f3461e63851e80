/**
 * The authority that grants permits of upstream budgets. Two kinds implement it: the store
 * authority here (GCRA decided in this process, state in an UpstreamBudgetStore: memory or
 * etcd), and the coordinator's HTTP permits API for `seamless worker` processes
 * (`backfill/remote/upstream-permit-client.ts`), which asks the coordinator's own authority.
 */
import { AbortedError } from '../../core/index.js';
import type { BudgetRecord, UpstreamBudgetStore } from './budget-store.js';
import { decidePause, decidePermit } from './gcra.js';
import type { BudgetRate, BudgetState } from './gcra.js';

export interface PermitDecision {
  readonly granted: boolean;
  /** When not granted: how long until a permit may be free (a hint; 0 when unknown). */
  readonly waitMs: number;
}

/** The shared state of one upstream's budget as the authority sees it, with the authority's clock. */
export interface BudgetView {
  readonly state: BudgetState | undefined;
  readonly nowMs: number;
}

export interface PermitAuthority {
  /** `memory`, `etcd` or `coordinator`. */
  readonly kind: string;
  /**
   * True when the authority queues concurrent askers itself, first in first out (the
   * coordinator's permits API holds each request until its permit is free): every waiter of a
   * process then asks at once, so the round trip to the authority costs no throughput. Otherwise
   * (a store's compare-and-set) only the head of the process's queue asks.
   */
  readonly queuesWaiters?: boolean;
  /**
   * Takes one permit of `upstream` if the budget allows it now; otherwise answers how long until
   * one may be free. A remote authority may wait a while before answering "not yet".
   */
  tryAcquire(upstream: string, rate: BudgetRate, signal?: AbortSignal): Promise<PermitDecision>;
  /** The upstream said "too many requests": no permit for anyone during `pauseMs`. Returns the pause end (authority clock). */
  pause(upstream: string, rate: BudgetRate, pauseMs: number): Promise<number>;
  view(upstream: string): Promise<BudgetView>;
  close(): Promise<void>;
}

export interface StorePermitAuthorityOptions {
  /** Real time, epoch ms (never a frozen test clock: waits would never end). Default Date.now. */
  readonly now?: () => number;
}

/** Lost compare-and-set races per call before answering "not yet, try again at once". */
const CAS_ROUNDS = 8;

class StorePermitAuthority implements PermitAuthority {
  readonly kind: string;
  readonly #store: UpstreamBudgetStore;
  readonly #now: () => number;
  /** The last record seen per upstream. States only grow, so a stale copy can only fail its CAS. */
  readonly #seen = new Map<string, BudgetRecord | undefined>();

  constructor(store: UpstreamBudgetStore, now: () => number) {
    this.kind = store.kind;
    this.#store = store;
    this.#now = now;
  }

  async tryAcquire(upstream: string, rate: BudgetRate, signal?: AbortSignal): Promise<PermitDecision> {
    let record = await this.#record(upstream);
    for (let round = 0; round < CAS_ROUNDS; round++) {
      if (signal?.aborted === true) throw new AbortedError(signal.reason);
      const verdict = decidePermit(record?.state, rate, this.#now());
      if (!verdict.granted) return { granted: false, waitMs: verdict.waitMs };
      const result = await this.#store.compareAndSet(upstream, record?.version, verdict.next);
      if (result.ok) {
        this.#seen.set(upstream, result.record);
        return { granted: true, waitMs: 0 };
      }
      record = result.current;
      this.#seen.set(upstream, record);
    }
    return { granted: false, waitMs: 0 };
  }

  async pause(upstream: string, rate: BudgetRate, pauseMs: number): Promise<number> {
    let record = await this.#record(upstream);
    for (;;) {
      const now = this.#now();
      const next = decidePause(record?.state, rate, now, pauseMs);
      if (record !== undefined && next.pausedUntilMs === record.state.pausedUntilMs && next.tatMs === record.state.tatMs) return next.pausedUntilMs;
      const result = await this.#store.compareAndSet(upstream, record?.version, next);
      if (result.ok) {
        this.#seen.set(upstream, result.record);
        return next.pausedUntilMs;
      }
      record = result.current;
      this.#seen.set(upstream, record);
    }
  }

  async view(upstream: string): Promise<BudgetView> {
    const record = await this.#store.read(upstream);
    this.#seen.set(upstream, record);
    return { state: record?.state, nowMs: this.#now() };
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  async #record(upstream: string): Promise<BudgetRecord | undefined> {
    if (this.#seen.has(upstream)) return this.#seen.get(upstream);
    const record = await this.#store.read(upstream);
    this.#seen.set(upstream, record);
    return record;
  }
}

/**
 * Grants permits by GCRA over `store` with compare-and-set, so any number of processes sharing
 * the store share the budget. Closing the authority closes the store.
 */
export function createStorePermitAuthority(store: UpstreamBudgetStore, options: StorePermitAuthorityOptions = {}): PermitAuthority {
  return new StorePermitAuthority(store, options.now ?? Date.now);
}
