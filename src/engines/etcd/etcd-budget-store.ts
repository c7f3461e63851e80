/**
 * The upstream budgets' GCRA state on etcd, shared by every process of a cluster (the
 * `UpstreamBudgetStore` of sources/upstream-budget). One key per upstream,
 * `<prefix>upstreams/<encodeURIComponent(name)>` → JSON `{tatMs, pausedUntilMs}`; a write is
 * one transaction `if (mod_revision == seen) then put else range`, so a lost race returns the
 * winner's state without another read, and the version is the key's mod revision (0: absent).
 *
 * Client conventions as in the lease store (etcd-lease-store.ts): every unary call carries a
 * deadline (`callTimeoutMs`), unavailability is retried with backoff inside it and then
 * rejects with the retryable LeaseStoreUnavailableError (etcd-errors.ts translates). A compare
 * that timed out may still have landed: the retry then sees a newer revision and decides again,
 * which at worst spends one permit nobody used — never one too many.
 *
 * Times in the state are the deciding process's wall clock: keep the cluster's clocks in sync
 * (NTP), as for lease expiry.
 */
import type { Etcd3 } from 'etcd3';
import { InvalidRequestError } from '../../core/index.js';
import type { BudgetRecord, BudgetState, CompareAndSetResult, UpstreamBudgetStore } from '../../sources/index.js';
import { openEtcdClient } from './etcd-client.js';
import { retryEtcd } from './etcd-retry.js';

export const DEFAULT_ETCD_BUDGET_PREFIX = '/seamless/backfill/';
const KEY_SEGMENT = 'upstreams/';

export interface EtcdBudgetStoreOptions {
  readonly endpoints: readonly string[];
  /** Key prefix (default the lease store's, `/seamless/backfill/`); must end with `/`. */
  readonly prefix?: string;
  /** Deadline of one store operation, retries included (default 2 s). */
  readonly callTimeoutMs?: number;
}

interface KeyValue {
  readonly value: Buffer;
  readonly mod_revision: string;
}

class EtcdBudgetStore implements UpstreamBudgetStore {
  readonly kind = 'etcd';
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #callTimeoutMs: number;
  #closed = false;

  constructor(client: Etcd3, prefix: string, callTimeoutMs: number) {
    this.#client = client;
    this.#prefix = prefix;
    this.#callTimeoutMs = callTimeoutMs;
  }

  read(upstream: string): Promise<BudgetRecord | undefined> {
    const key = this.#key(upstream);
    return this.#run('budget read', async (deadline) => {
      const res = await this.#client.kv.range({ key }, { deadline });
      return decode(res.kvs[0]);
    });
  }

  compareAndSet(upstream: string, expected: string | undefined, next: BudgetState): Promise<CompareAndSetResult> {
    const key = this.#key(upstream);
    const value = Buffer.from(JSON.stringify({ tatMs: next.tatMs, pausedUntilMs: next.pausedUntilMs }));
    return this.#run('budget compare-and-set', async (deadline) => {
      const res = await this.#client.kv.txn({
        compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: expected ?? 0 }],
        success: [{ request_put: { key, value } }],
        failure: [{ request_range: { key } }],
      }, { deadline });
      if (res.succeeded) return { ok: true, record: { state: next, version: res.header.revision } };
      return { ok: false, current: decode(res.responses[0].response_range.kvs[0]) };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }

  #key(upstream: string): Buffer {
    return Buffer.from(`${this.#prefix}${KEY_SEGMENT}${encodeURIComponent(upstream)}`);
  }

  #run<T>(what: string, op: (deadline: number) => Promise<T>): Promise<T> {
    return retryEtcd(what, op, { budgetMs: this.#callTimeoutMs });
  }
}

/**
 * The record of a stored value. A damaged value (not our JSON) reads as a fresh budget at its
 * revision, so the next compare-and-set overwrites it instead of wedging the upstream.
 */
function decode(kv: KeyValue | undefined): BudgetRecord | undefined {
  if (kv === undefined) return undefined;
  const p = parseState(kv.value.toString('utf8'));
  return { state: p ?? { tatMs: 0, pausedUntilMs: 0 }, version: kv.mod_revision };
}

function parseState(text: string): BudgetState | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // not JSON: damaged (see decode)
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const { tatMs, pausedUntilMs } = parsed as Record<string, unknown>;
  return typeof tatMs === 'number' && typeof pausedUntilMs === 'number' ? { tatMs, pausedUntilMs } : undefined;
}

/** Opens the etcd budget store; does not connect until the first call (etcd being down is reported then). */
export function createEtcdBudgetStore(options: EtcdBudgetStoreOptions): UpstreamBudgetStore {
  if (options.endpoints.length === 0) throw new InvalidRequestError('endpoints', 'at least one etcd endpoint is required');
  const prefix = options.prefix ?? DEFAULT_ETCD_BUDGET_PREFIX;
  if (!prefix.endsWith('/')) throw new InvalidRequestError('prefix', `must end with "/" (got ${JSON.stringify(prefix)})`);
  const callTimeoutMs = options.callTimeoutMs ?? 2_000;
  const client = openEtcdClient(options.endpoints, callTimeoutMs);
  return new EtcdBudgetStore(client, prefix, callTimeoutMs);
}
