/**
 * One request budget per upstream (requests per second, burst), shared by every worker that
 * calls it: in one process through the memory store, across processes through etcd or the
 * coordinator's permits API (see permit-authority.ts). A source calls `acquire()` before each
 * request and `pause()` when the upstream answered "too many requests".
 *
 * Inside a process the waiters of one upstream queue first-in first-out and only the head asks
 * the authority, so N local workers cost one store round trip per permit instead of a thundering
 * herd of N compare-and-sets every time a permit frees up. An authority that queues askers
 * itself (the coordinator's permits API) is asked by every waiter at once instead: one round
 * trip at a time would cap a process at one permit per round trip, below the rate on a slow link.
 */
import { AbortedError, abortable, delay } from '../../core/index.js';
import type { BudgetRate } from './gcra.js';
import { checkRate, nextPermitInMs } from './gcra.js';
import type { BudgetView, PermitAuthority } from './permit-authority.js';

export interface BudgetSnapshot {
  readonly upstream: string;
  readonly requestsPerSecond: number;
  readonly burst: number;
  /** Where the shared state lives: `memory`, `etcd` or `coordinator`. */
  readonly authority: string;
  /** Remaining pause after a 429 (0 when not paused). */
  readonly pausedForMs: number;
  /** Time until the next permit would be granted (0: free now). */
  readonly nextPermitInMs: number;
  /** Waiters queued in this process now. */
  readonly waiting: number;
  /** Permits granted to this process, and pauses it reported, since start. */
  readonly granted: number;
  readonly pauses: number;
}

export interface UpstreamBudget {
  readonly upstream: string;
  readonly rate: BudgetRate;
  /** Waits until a request to the upstream may go (rejects with AbortedError when `signal` fires). */
  acquire(signal?: AbortSignal): Promise<void>;
  /** The upstream answered 429 / rate limit exceeded: every worker waits `pauseMs` (Retry-After). Returns the pause's end (authority clock). */
  pause(pauseMs: number): Promise<number>;
  /** The shared state as the authority holds it (for the permits API). */
  state(): Promise<BudgetView>;
  snapshot(): Promise<BudgetSnapshot>;
}

export interface UpstreamBudgets {
  /** `memory`, `etcd` or `coordinator`. */
  readonly authority: string;
  /**
   * The budget of `upstream` in this process (one per name: two sources of one exchange share
   * it). Asking again with another rate changes the rate (the latest configuration wins).
   */
  budget(upstream: string, rate: BudgetRate): UpstreamBudget;
  /** The budgets asked for so far. */
  list(): UpstreamBudget[];
  /** The shared state of `upstream`'s budget, whether or not this process asked for it. */
  state(upstream: string): Promise<BudgetView>;
  close(): Promise<void>;
}

export interface UpstreamBudgetOptions {
  /** Abortable sleep (tests drive virtual time through it). Default core `delay`. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Pause between tries when the authority lost a race without a wait hint (keeps a hot loop off the store). */
const MIN_RETRY_MS = 1;

class Budget implements UpstreamBudget {
  readonly upstream: string;
  rate: BudgetRate;
  readonly #authority: PermitAuthority;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Resolves when the last queued waiter leaves the queue. */
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;
  #granted = 0;
  #pauses = 0;

  constructor(upstream: string, rate: BudgetRate, authority: PermitAuthority, sleep: (ms: number, signal?: AbortSignal) => Promise<void>) {
    this.upstream = upstream;
    this.rate = rate;
    this.#authority = authority;
    this.#sleep = sleep;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw new AbortedError(signal.reason);
    if (this.#authority.queuesWaiters === true) {
      this.#waiting++;
      try {
        await this.#ask(signal);
      } finally {
        this.#waiting--;
      }
      return;
    }
    const before = this.#tail;
    let leave: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => { leave = resolve; });
    // The next waiter starts only after this one left, even if this one is aborted while queued.
    this.#tail = before.then(() => mine);
    this.#waiting++;
    try {
      await abortable(before, signal);
      await this.#ask(signal);
    } finally {
      this.#waiting--;
      leave();
    }
  }

  /** Asks the authority until it grants a permit. */
  async #ask(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const decision = await this.#authority.tryAcquire(this.upstream, this.rate, signal);
      if (decision.granted) {
        this.#granted++;
        return;
      }
      await this.#sleep(Math.max(MIN_RETRY_MS, decision.waitMs), signal);
    }
  }

  pause(pauseMs: number): Promise<number> {
    this.#pauses++;
    return this.#authority.pause(this.upstream, this.rate, pauseMs);
  }

  state(): Promise<BudgetView> {
    return this.#authority.view(this.upstream);
  }

  async snapshot(): Promise<BudgetSnapshot> {
    const { state, nowMs } = await this.#authority.view(this.upstream);
    return {
      upstream: this.upstream,
      requestsPerSecond: this.rate.requestsPerSecond,
      burst: this.rate.burst,
      authority: this.#authority.kind,
      pausedForMs: Math.max(0, (state?.pausedUntilMs ?? 0) - nowMs),
      nextPermitInMs: nextPermitInMs(state, this.rate, nowMs),
      waiting: this.#waiting,
      granted: this.#granted,
      pauses: this.#pauses,
    };
  }
}

/**
 * The budgets of one process over one permit authority. Closing closes the authority.
 *
 * @example
 * const budgets = createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore()));
 * const binance = budgets.budget('binance', { requestsPerSecond: 20, burst: 1 });
 * await binance.acquire(signal); // then send the request
 */
export function createUpstreamBudgets(authority: PermitAuthority, options: UpstreamBudgetOptions = {}): UpstreamBudgets {
  const sleep = options.sleep ?? delay;
  const budgets = new Map<string, Budget>();
  return {
    authority: authority.kind,
    budget(upstream, rate) {
      checkRate(rate);
      const known = budgets.get(upstream);
      if (known !== undefined) {
        if (known.rate.requestsPerSecond !== rate.requestsPerSecond || known.rate.burst !== rate.burst) known.rate = rate;
        return known;
      }
      const budget = new Budget(upstream, rate, authority, sleep);
      budgets.set(upstream, budget);
      return budget;
    },
    list: () => [...budgets.values()],
    state: (upstream) => authority.view(upstream),
    close: () => authority.close(),
  };
}
