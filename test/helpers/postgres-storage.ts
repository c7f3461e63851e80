/**
 * One real PostgreSQL server for the tests of a describe block (test/harness/postgres-server.ts,
 * started in beforeAll, stopped in afterAll) and the PostgresStorage instances opened on it, each
 * closed in afterAll before the server stops. Shared by the test/integration/postgres-*.test.ts
 * files that test the storage engine on fresh databases of one server.
 */
import { afterAll, beforeAll } from 'vitest';
import { createPostgresStorage } from '../../src/engines/postgres/internal.js';
import type { PostgresStorage } from '../../src/engines/postgres/internal.js';
import { startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';

export interface PostgresSuiteOptions {
  /** Prefix of the databases `createDatabase()` and `open()` make (default `seamless_test`). */
  readonly databasePrefix?: string;
  /** Connections of each opened storage's pool (default 4). */
  readonly poolMax?: number;
}

/** The suite's server (its URLs, databases and queries) and storages opened on it. */
export interface PostgresSuite {
  /** The running server; only from beforeAll on. */
  readonly server: PostgresServer;
  url(database?: string): string;
  createDatabase(prefix?: string): Promise<string>;
  query: PostgresServer['query'];
  /** A PostgresStorage on `url` (default: a fresh database), closed after the block's tests. */
  open(url?: string, options?: { readonly poolMax?: number }): Promise<PostgresStorage>;
}

/** Registers beforeAll/afterAll in the calling describe block; call it once per block. */
export function postgresForSuite(options: PostgresSuiteOptions = {}): PostgresSuite {
  let started: PostgresServer | undefined;
  const opened: PostgresStorage[] = [];
  beforeAll(async () => {
    started = await startPostgresServer();
  });
  afterAll(async () => {
    for (const storage of opened.splice(0)) await storage.close();
    await started?.stop();
  });
  const server = (): PostgresServer => {
    if (started === undefined) throw new Error('the PostgreSQL server of this suite is not started (use it from a test or a hook)');
    return started;
  };
  return {
    get server() { return server(); },
    url: (database) => server().url(database),
    createDatabase: (prefix = options.databasePrefix) => server().createDatabase(prefix),
    query: (sql, params, database) => server().query(sql, params, database),
    async open(url, openOptions = {}) {
      const storage = await createPostgresStorage({
        url: url ?? await server().createDatabase(options.databasePrefix),
        pool: { max: openOptions.poolMax ?? options.poolMax ?? 4 },
      });
      opened.push(storage);
      return storage;
    },
  };
}
