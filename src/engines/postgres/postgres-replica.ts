/**
 * A hot standby behind the bar store (`storage.readUrl`): its pool (opened lazily, no migration,
 * no retries: postgres-database.ts `standby`), the probe, the read router and the routed bar
 * store. Opening never connects, so a standby that is down at start does not stop the gateway;
 * its health (`storage:standby` of /healthz) says so and reads go to the primary.
 */
import type { Clock } from '../../core/index.js';
import type { BarStore, DatasetKey } from '../../storage/index.js';
import { createPgBarStore } from './postgres-bar-store.js';
import { READ_ONLY_NOTIFIER } from './postgres-change-notify.js';
import { openPgDatabase } from './postgres-database.js';
import type { PgDatabase } from './postgres-database.js';
import { datasetCacheKey } from './postgres-dataset-registry.js';
import { createReadRouter } from './postgres-read-routing.js';
import type { ReplicaHealth, ReplicaObserver } from './postgres-read-routing.js';
import { createReplicaProbe } from './postgres-replica-probe.js';
import { createRoutedBarStore } from './postgres-routed-bar-store.js';

export const DEFAULT_MAX_REPLICA_LAG_MS = 5_000;
export const DEFAULT_REPLICA_RETRY_MS = 5_000;

export interface ReplicaOptions {
  /** The standby's `postgres://` URL (same database, user and password rules as storage.url). */
  readonly url: string;
  readonly maxLagMs: number;
  readonly retryMs: number;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  /** Routing decisions and lag, for metrics; nothing by default. */
  readonly observer?: ReplicaObserver;
}

export interface Replica {
  /** The bar store whose reads are routed; its close closes the standby pool and `primaryBars`. */
  readonly bars: Required<BarStore>;
  /** Probes the standby now: up, lagging or down (always `ok`: reads then go to the primary). */
  health(): Promise<ReplicaHealth>;
  /**
   * Another process wrote `dataset` for this one (a backfill shard a remote worker completed):
   * its reads go to the primary until the standby has replayed what the primary has now.
   */
  wrote(dataset: DatasetKey): void;
}

const NO_OBSERVER: ReplicaObserver = Object.freeze({ read: () => undefined, lag: () => undefined });

export async function openReplica(primary: PgDatabase, primaryBars: Required<BarStore>, options: ReplicaOptions, clock: Clock): Promise<Replica> {
  const standby = await openPgDatabase({ url: options.url, poolMax: options.poolMax, connectTimeoutMs: options.connectTimeoutMs, clock, standby: true });
  const router = createReadRouter({
    probe: createReplicaProbe(primary, standby),
    observer: options.observer ?? NO_OBSERVER,
    clock,
    maxLagMs: options.maxLagMs,
    retryMs: options.retryMs,
    // A standby that does not answer its probe within the connect timeout is down.
    probeTimeoutMs: options.connectTimeoutMs,
  });
  return {
    bars: createRoutedBarStore(primaryBars, createPgBarStore(standby, READ_ONLY_NOTIFIER), router),
    health: () => router.health(),
    wrote: (dataset) => router.wrote([datasetCacheKey(dataset)]),
  };
}
