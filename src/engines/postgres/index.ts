// The door of the PostgreSQL engine and its descriptor: the bar store (bars, coverage, fences)
// and ingest findings on one pool at `storage.url`, and the listener of the changes other processes
// commit there (cache coherence). The embedded engine keeps the rest.
import type { PostgresStorageConfig } from '../../config/index.js';
import type { EngineDescriptor, StorageChangeFeed } from '../../storage/index.js';
import { openPgChangeListener } from './postgres-change-listener.js';
import { createPostgresStorage } from './postgres-storage.js';
import type { PostgresStorage } from './postgres-storage.js';

/** What the engine opens: the stores, and the feed of changes other processes commit (cache coherence). */
export interface PostgresEngineParts extends PostgresStorage {
  readonly changes: StorageChangeFeed;
}

/**
 * The pool at `url` (an unreachable database fails here, naming the URL) and the change listener's
 * own connection (postgres-change-listener.ts), both closed by `resources`.
 */
export const postgresEngine: EngineDescriptor<'postgres', PostgresStorageConfig, PostgresEngineParts> = {
  kind: 'postgres',
  async open(config, resources, context) {
    const pg = resources.adopt(await createPostgresStorage({
      url: config.url, pool: { max: config.pool.max }, connectTimeoutMs: config.connectTimeoutMs, clock: context.clock,
      // storage.readUrl: reads of bars, coverage and the catalog may go to that hot standby (postgres-replica.ts).
      ...(config.readUrl === undefined ? {} : {
        replica: {
          url: config.readUrl, maxLagMs: config.maxReplicaLagMs, retryMs: config.replicaRetryMs,
          ...(context.readRouting === undefined ? {} : { observer: context.readRouting }),
        },
      }),
    }), (p) => p.close());
    const changes = resources.adopt(await openPgChangeListener({ url: config.url, connectTimeoutMs: config.connectTimeoutMs, origin: pg.origin }), (c) => c.close());
    return { ...pg, changes };
  },
};
