// The door of the etcd engine and its descriptor: the cluster lease store of distributed backfill
// and the shared upstream budget store, each on its own client under one key prefix.
import type { LeaseStore } from '../../backfill/index.js';
import type { UpstreamBudgetStore } from '../../sources/index.js';
import type { EngineDescriptor } from '../../storage/index.js';
import { createEtcdBudgetStore } from './etcd-budget-store.js';
import { createEtcdLeaseStore } from './etcd-lease-store.js';

export { createEtcdLeaseStore } from './etcd-lease-store.js';
export { createEtcdBudgetStore } from './etcd-budget-store.js';

/** `seamless.backfill.etcd`: the cluster's endpoints, the key prefix and one operation's deadline. */
export interface EtcdEngineConfig {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly callTimeoutMs: number;
  /** `seamless.backfill.opaqueLeases.graceMs` (EtcdLeaseStoreOptions.opaqueGraceMs). */
  readonly opaqueGraceMs?: number;
}

/** What etcd provides: the lease store and the upstream budget store. */
export interface EtcdEngineParts {
  readonly leases: LeaseStore;
  readonly budgets: UpstreamBudgetStore;
}

export const etcdEngine: EngineDescriptor<'etcd', EtcdEngineConfig, EtcdEngineParts> = {
  kind: 'etcd',
  async open(config, resources, context) {
    const { endpoints, prefix, callTimeoutMs } = config;
    const leases = resources.adopt(await createEtcdLeaseStore({
      endpoints, prefix, callTimeoutMs, clock: context.clock,
      ...(config.opaqueGraceMs !== undefined ? { opaqueGraceMs: config.opaqueGraceMs } : {}),
    }), (l) => l.close());
    const budgets = resources.adopt(createEtcdBudgetStore({ endpoints, prefix, callTimeoutMs }), (b) => b.close());
    return { leases, budgets };
  },
};
