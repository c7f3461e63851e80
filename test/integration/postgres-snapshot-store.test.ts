/**
 * The PostgreSQL snapshot store (migration 8) through the shared snapshot store suite, against a
 * real PostgreSQL server on loopback (test/harness/postgres-server.ts, a fresh database per store).
 * Skipped when the server binaries are not installed (scripts/system-packages.txt).
 */
import { describe } from 'vitest';
import { describeSnapshotStore } from '../storage-suite/snapshot-store-suite.js';
import { postgresAvailable } from '../harness/postgres-server.js';
import { postgresForSuite } from '../helpers/postgres-storage.js';

describe.skipIf(!postgresAvailable())('postgres snapshot store', () => {
  const server = postgresForSuite({ poolMax: 2 });
  describeSnapshotStore('postgres', async () => (await server.open()).snapshots);
});
