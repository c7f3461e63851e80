// The door of the PostgreSQL engine and its descriptor: the bar store (bars, coverage, fences)
// and ingest findings on one pool at `storage.url`. The embedded engine keeps the rest.
import type { PostgresStorageConfig } from '../../config/index.js';
import type { EngineDescriptor } from '../../storage/index.js';
import { createPostgresStorage } from './postgres-storage.js';
import type { PostgresStorage } from './postgres-storage.js';

/** The pool at `url` (an unreachable database fails here, naming the URL), closed by `resources`. */
export const postgresEngine: EngineDescriptor<'postgres', PostgresStorageConfig, PostgresStorage> = {
  kind: 'postgres',
  async open(config, resources, context) {
    const pg = await createPostgresStorage({
      url: config.url, pool: { max: config.pool.max }, connectTimeoutMs: config.connectTimeoutMs, clock: context.clock,
      // storage.readUrl: reads of bars, coverage and the catalog may go to that hot standby (postgres-replica.ts).
      ...(config.readUrl === undefined ? {} : {
        replica: {
          url: config.readUrl, maxLagMs: config.maxReplicaLagMs, retryMs: config.replicaRetryMs,
          ...(context.readRouting === undefined ? {} : { observer: context.readRouting }),
        },
      }),
    });
    return resources.adopt(pg, (p) => p.close());
  },
};
