/**
 * Versioned schema migrations. Each entry is applied once, in order, inside its own
 * transaction together with its `schema_migrations` row, so a crash mid-migration leaves the
 * previous version intact and reopening a database applies nothing twice. Never edit a shipped
 * migration: append a new one.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StorageEngineError } from '../errors.js';
import { inTransaction } from './connection.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const DUCKDB_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'datasets and fences',
    statements: [
      'CREATE SEQUENCE datasets_id_seq START 1',
      `CREATE TABLE datasets (
         id INTEGER PRIMARY KEY DEFAULT nextval('datasets_id_seq'),
         node_id VARCHAR NOT NULL,
         interval_ms BIGINT NOT NULL,
         schema VARCHAR,
         UNIQUE (node_id, interval_ms))`,
      'CREATE TABLE fences (key VARCHAR PRIMARY KEY, token BIGINT NOT NULL)',
    ],
  },
  {
    version: 2,
    name: 'bar tables per frame schema',
    statements: [
      `CREATE TABLE bars_ohlcv (dataset_id INTEGER NOT NULL, ts BIGINT NOT NULL,
         open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE,
         PRIMARY KEY (dataset_id, ts))`,
      `CREATE TABLE bars_tick (dataset_id INTEGER NOT NULL, ts BIGINT NOT NULL,
         price DOUBLE, size DOUBLE,
         PRIMARY KEY (dataset_id, ts))`,
      `CREATE TABLE bars_quote (dataset_id INTEGER NOT NULL, ts BIGINT NOT NULL,
         bid DOUBLE, ask DOUBLE, bid_size DOUBLE, ask_size DOUBLE,
         PRIMARY KEY (dataset_id, ts))`,
    ],
  },
  {
    version: 3,
    name: 'coverage index',
    statements: [
      `CREATE TABLE coverage (dataset_id INTEGER NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,
         state VARCHAR NOT NULL, reason VARCHAR, attempts INTEGER, updated_at_ms BIGINT NOT NULL,
         PRIMARY KEY (dataset_id, start_ms))`,
    ],
  },
]);

/** Applies the migrations newer than the database's version; returns the versions applied. */
export async function migrate(conn: DuckDBConnection, migrations: readonly Migration[] = DUCKDB_MIGRATIONS): Promise<number[]> {
  await conn.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`);
  const result = await conn.runAndReadAll('SELECT coalesce(max(version), 0)::DOUBLE FROM schema_migrations');
  const current = Number(result.getRowsJS()[0][0]);
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  if (current > latest) {
    // A newer Seamless migrated this file; running older code on it could corrupt it.
    throw new StorageEngineError('duckdb', 'migrate', `the database is at schema version ${current}, newer than this Seamless knows (${latest}); upgrade Seamless or use another data directory`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    await inTransaction(conn, async () => {
      for (const sql of m.statements) await conn.run(sql);
      await conn.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [m.version, m.name]);
    });
    applied.push(m.version);
  }
  return applied;
}
