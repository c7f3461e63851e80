/**
 * The PostgreSQL snapshot store (migration 8) through the shared snapshot store suite, against a
 * real PostgreSQL server on loopback (test/harness/postgres-server.ts, a fresh database per store).
 * Skipped when the server binaries are not installed (scripts/system-packages.txt).
 */
import { afterAll, beforeAll } from 'vitest';
import { describe } from 'vitest';
import { createPostgresStorage } from '../../src/engines/postgres/internal.js';
import type { PostgresStorage } from '../../src/engines/postgres/internal.js';
import { describeSnapshotStore } from '../storage-suite/snapshot-store-suite.js';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';

describe.skipIf(!postgresAvailable())('postgres snapshot store', () => {
  let server: PostgresServer;
  const opened: PostgresStorage[] = [];
  beforeAll(async () => {
    server = await startPostgresServer();
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await server?.stop();
  });
  describeSnapshotStore('postgres', async () => {
    const storage = await createPostgresStorage({ url: await server.createDatabase(), pool: { max: 2 } });
    opened.push(storage);
    return storage.snapshots;
  });
});
