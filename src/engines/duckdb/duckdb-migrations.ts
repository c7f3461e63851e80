/**
 * Versioned schema migrations. Each entry is applied once, in order, inside its own
 * transaction together with its `schema_migrations` row, so a crash mid-migration leaves the
 * previous version intact and reopening a database applies nothing twice; each applied migration
 * is checkpointed into the file (its DDL is never left for a WAL replay). Never edit a shipped
 * migration: append a new one.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StorageEngineError } from '../../storage/index.js';
import { inTransaction } from './connection.js';
import { VERSION_MIGRATION_STATEMENTS, WHOLE_SPAN_MIGRATION_STATEMENTS } from './duckdb-bar-versions.js';

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
  // Epoch-millisecond columns end in `_ms` (`AT` is a reserved word in DuckDB); JSON columns
  // hold arrays or documents that are only ever read whole.
  {
    version: 4,
    name: 'schema registry',
    statements: [
      `CREATE TABLE schemas (id INTEGER PRIMARY KEY, fingerprint VARCHAR NOT NULL UNIQUE, schema VARCHAR NOT NULL)`,
      // schema: the text as this subject registered it (schemas.schema is the first text of the id).
      `CREATE TABLE subject_versions (subject VARCHAR NOT NULL, version INTEGER NOT NULL, schema_id INTEGER NOT NULL,
         schema VARCHAR NOT NULL, registered_at_ms BIGINT NOT NULL,
         PRIMARY KEY (subject, version))`,
      // subject NULL is the registry-wide setting.
      'CREATE TABLE registry_config (subject VARCHAR UNIQUE, compatibility VARCHAR NOT NULL)',
      'CREATE TABLE subject_modes (subject VARCHAR PRIMARY KEY, mode VARCHAR NOT NULL)',
      // seq: first-save order, the tie-break among promotions requested in the same ms.
      'CREATE SEQUENCE promotions_seq START 1',
      `CREATE TABLE promotions (id VARCHAR PRIMARY KEY, seq BIGINT NOT NULL DEFAULT nextval('promotions_seq'),
         subject VARCHAR NOT NULL, version INTEGER NOT NULL,
         requested_by VARCHAR NOT NULL, change_request VARCHAR NOT NULL, requested_at_ms BIGINT NOT NULL,
         approvals JSON NOT NULL, state VARCHAR NOT NULL, decided_at_ms BIGINT)`,
      'CREATE SEQUENCE audit_log_seq START 1',
      `CREATE TABLE audit_log (seq BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'), at_ms BIGINT NOT NULL,
         action VARCHAR NOT NULL, subject VARCHAR NOT NULL, version INTEGER, bundle_sha VARCHAR NOT NULL,
         approvers JSON NOT NULL, change_request VARCHAR, canary_window_ms BIGINT, canary_failures BIGINT,
         actor VARCHAR NOT NULL, detail VARCHAR NOT NULL)`,
      `CREATE TABLE validation_failures (subject VARCHAR NOT NULL, mode VARCHAR NOT NULL, at_ms BIGINT NOT NULL,
         messages JSON NOT NULL)`,
    ],
  },
  {
    version: 5,
    name: 'conformance report archive',
    statements: [
      // seq orders reports of one created_at by arrival.
      'CREATE SEQUENCE conformance_reports_seq START 1',
      `CREATE TABLE conformance_reports (id VARCHAR PRIMARY KEY,
         seq BIGINT NOT NULL DEFAULT nextval('conformance_reports_seq'),
         node_id VARCHAR NOT NULL, interval_ms BIGINT NOT NULL, created_at_ms BIGINT NOT NULL,
         has_errors BOOLEAN NOT NULL, report JSON NOT NULL)`,
      'CREATE INDEX conformance_reports_dataset ON conformance_reports (node_id, interval_ms, created_at_ms)',
    ],
  },
  {
    version: 6,
    name: 'ingest findings',
    statements: [
      `CREATE TABLE ingest_findings (node_id VARCHAR NOT NULL, interval_ms BIGINT NOT NULL, flag VARCHAR NOT NULL,
         ts BIGINT NOT NULL, count BIGINT NOT NULL, at_ms BIGINT NOT NULL, detail VARCHAR NOT NULL)`,
      'CREATE INDEX ingest_findings_dataset ON ingest_findings (node_id, interval_ms, ts)',
    ],
  },
  {
    version: 7,
    name: 'backfill leases',
    statements: [
      // One row per shard (src/backfill/lease-store.ts). token: the last granted fencing token,
      // +1 per grant inside the claim's transaction. seq: creation order, kept for inspection.
      // No secondary index: an indexed column that changes is rewritten as delete + insert.
      'CREATE SEQUENCE backfill_shards_seq START 1',
      `CREATE TABLE backfill_shards (key VARCHAR PRIMARY KEY,
         seq BIGINT NOT NULL DEFAULT nextval('backfill_shards_seq'),
         node_id VARCHAR NOT NULL, interval_ms BIGINT NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,
         state VARCHAR NOT NULL, holder VARCHAR, token BIGINT NOT NULL, lease_until_ms BIGINT, attempts INTEGER NOT NULL,
         not_before_ms BIGINT NOT NULL, last_error VARCHAR, rows_written BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL)`,
      // seq orders jobs created in the same millisecond.
      'CREATE SEQUENCE backfill_jobs_seq START 1',
      `CREATE TABLE backfill_jobs (id VARCHAR PRIMARY KEY,
         seq BIGINT NOT NULL DEFAULT nextval('backfill_jobs_seq'),
         node_id VARCHAR NOT NULL, interval_ms BIGINT NOT NULL, shard_keys JSON NOT NULL,
         requested_by VARCHAR NOT NULL, created_at_ms BIGINT NOT NULL)`,
    ],
  },
  {
    version: 8,
    name: 'superseded ingest findings',
    statements: [
      // Set (once) by the bar write that replaced the rows a finding describes; NULL: in force.
      'ALTER TABLE ingest_findings ADD COLUMN superseded_at_ms BIGINT',
    ],
  },
  {
    version: 9,
    name: 'schema registry soft deletes',
    statements: [
      // NULL: live; else when the version was soft-deleted (Confluent DELETE without permanent).
      'ALTER TABLE subject_versions ADD COLUMN deleted_at_ms BIGINT',
    ],
  },
  {
    version: 10,
    name: 'backfill shard priority and rank',
    statements: [
      // priority: 0 = a waiting read needs the shard, 1 = background; rank: its place in its job.
      // Claim order is (priority, rank, updated_at_ms, start_ms, key); see shard-transitions.ts.
      // The table is rebuilt, not altered: DuckDB 1.5 cannot replay from its WAL an
      // `ALTER TABLE … ADD COLUMN` on a table with a nextval default (seq), so a process killed
      // before the next checkpoint left a file no one could open again. Never ALTER such a table.
      `CREATE TABLE backfill_shards_v10 (key VARCHAR PRIMARY KEY,
         seq BIGINT NOT NULL DEFAULT nextval('backfill_shards_seq'),
         node_id VARCHAR NOT NULL, interval_ms BIGINT NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,
         state VARCHAR NOT NULL, holder VARCHAR, token BIGINT NOT NULL, lease_until_ms BIGINT, attempts INTEGER NOT NULL,
         not_before_ms BIGINT NOT NULL, last_error VARCHAR, rows_written BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL,
         priority INTEGER DEFAULT 1, rank BIGINT DEFAULT 0)`,
      `INSERT INTO backfill_shards_v10 (key, seq, node_id, interval_ms, start_ms, end_ms, state, holder, token,
         lease_until_ms, attempts, not_before_ms, last_error, rows_written, updated_at_ms)
       SELECT key, seq, node_id, interval_ms, start_ms, end_ms, state, holder, token,
         lease_until_ms, attempts, not_before_ms, last_error, rows_written, updated_at_ms FROM backfill_shards`,
      'DROP TABLE backfill_shards',
      'ALTER TABLE backfill_shards_v10 RENAME TO backfill_shards',
    ],
  },
  {
    version: 11,
    name: 'backfill known-empty provenance',
    statements: [
      // known_empty: the provenance of a known_empty shard ({source, worker, start, end, checkedAt,
      // decidedAt}, src/backfill/lease-store.ts KnownEmptyProvenance); NULL for every other state and
      // for the shards decided before this migration. Rebuilt, not altered, for the reason of v10.
      `CREATE TABLE backfill_shards_v11 (key VARCHAR PRIMARY KEY,
         seq BIGINT NOT NULL DEFAULT nextval('backfill_shards_seq'),
         node_id VARCHAR NOT NULL, interval_ms BIGINT NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,
         state VARCHAR NOT NULL, holder VARCHAR, token BIGINT NOT NULL, lease_until_ms BIGINT, attempts INTEGER NOT NULL,
         not_before_ms BIGINT NOT NULL, last_error VARCHAR, rows_written BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL,
         priority INTEGER DEFAULT 1, rank BIGINT DEFAULT 0, known_empty JSON)`,
      `INSERT INTO backfill_shards_v11 (key, seq, node_id, interval_ms, start_ms, end_ms, state, holder, token,
         lease_until_ms, attempts, not_before_ms, last_error, rows_written, updated_at_ms, priority, rank)
       SELECT key, seq, node_id, interval_ms, start_ms, end_ms, state, holder, token,
         lease_until_ms, attempts, not_before_ms, last_error, rows_written, updated_at_ms, priority, rank FROM backfill_shards`,
      'DROP TABLE backfill_shards',
      'ALTER TABLE backfill_shards_v11 RENAME TO backfill_shards',
    ],
  },
  {
    version: 12,
    name: 'repair audit',
    statements: [
      // Append-only: one row per purge (and per forced backfill's purge), committed with it.
      'CREATE SEQUENCE repair_audit_seq START 1',
      `CREATE TABLE repair_audit (id BIGINT PRIMARY KEY DEFAULT nextval('repair_audit_seq'), at_ms BIGINT NOT NULL,
         actor VARCHAR NOT NULL, action VARCHAR NOT NULL, node_id VARCHAR NOT NULL, interval_ms BIGINT NOT NULL,
         start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, rows_removed BIGINT NOT NULL, findings_retired BIGINT NOT NULL,
         coverage_removed JSON NOT NULL)`,
    ],
  },
  {
    version: 13,
    name: 'versioned bars',
    // Rows written before it carry no version (read as version 0: known at every as_of).
    statements: VERSION_MIGRATION_STATEMENTS,
  },
  {
    version: 14,
    name: 'snapshots',
    statements: [
      // Named, immutable snapshots (src/storage/snapshot-store.ts): the manifest, and each
      // dataset's rows as columnar blobs in parts (src/storage/snapshot-columns.ts), written
      // together in one transaction and never updated. Version 13 is the versioned bars' (issue 16).
      `CREATE TABLE snapshots (name VARCHAR PRIMARY KEY, created_at_ms BIGINT NOT NULL, created_by VARCHAR NOT NULL,
         manifest VARCHAR NOT NULL)`,
      `CREATE TABLE snapshot_datasets (snapshot VARCHAR NOT NULL, node_id VARCHAR NOT NULL, interval_ms BIGINT NOT NULL,
         part INTEGER NOT NULL, schema VARCHAR NOT NULL, rows BIGINT NOT NULL, columns BLOB NOT NULL,
         PRIMARY KEY (snapshot, node_id, interval_ms, part))`,
    ],
  },
  {
    version: 15,
    name: 'versions that replaced their whole span',
    // bar_versions.whole_span: an as-of read of a range a later such version covers reads the history alone.
    statements: WHOLE_SPAN_MIGRATION_STATEMENTS,
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
  if (current === 0 && migrations.length > 0) {
    // A new database: every migration in one transaction and one checkpoint (fourteen
    // checkpoints made creating a data directory take seconds). Nothing is in the file before
    // the commit, and the checkpoint right after it leaves no ALTER in the WAL (below).
    await inTransaction(conn, async () => {
      for (const m of migrations) {
        for (const sql of m.statements) await conn.run(sql);
        await conn.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [m.version, m.name]);
      }
    });
    await conn.run('CHECKPOINT');
    return migrations.map((m) => m.version);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    await inTransaction(conn, async () => {
      for (const sql of m.statements) await conn.run(sql);
      await conn.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [m.version, m.name]);
    });
    // Into the database file at once: DuckDB cannot replay an ALTER TABLE … ADD COLUMN … DEFAULT
    // from the WAL (an internal error on open), so a process killed before its next automatic
    // checkpoint would leave a data directory that no longer opens.
    await conn.run('CHECKPOINT');
    applied.push(m.version);
  }
  return applied;
}
