/**
 * PostgreSQL migration 9: the state many gateways on one database share (issue 18.1) — the
 * schema registry (schemas, subject versions, compatibility config, validation modes,
 * promotions, the append-only audit log, validation failures), its change counter, the
 * conformance report archive and the lease store used when no etcd is configured (backfill
 * shards and jobs). Column for column the embedded DuckDB tables (duckdb-migrations.ts 4, 5, 7,
 * 8, 10, 11), with `registry_` / `lease_` prefixes where a bare name would be ambiguous.
 *
 * `registry_changes` holds one row: every registry write bumps `seq` first (which also locks
 * the row until commit, so registry writes of all gateways run one at a time: no duplicate
 * global id or version number). Gateways poll it every `schema_registry.refresh_ms` and drop
 * their registry cache when it moved. `lease_changes` is the sequence that stamps each shard
 * write (`backfill_shards.change_seq`); lease writes run one at a time under `lease_lock`,
 * so stamps follow commit order and a watcher polling `change_seq > last` misses nothing.
 */
export const SHARED_STATE_MIGRATION_STATEMENTS: readonly string[] = Object.freeze([
  'CREATE TABLE registry_schemas (id BIGINT PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, schema TEXT NOT NULL)',
  // schema: the text as this subject registered it (registry_schemas.schema is the first text of the id).
  `CREATE TABLE registry_subject_versions (subject TEXT NOT NULL, version INTEGER NOT NULL,
     schema_id BIGINT NOT NULL REFERENCES registry_schemas (id), schema TEXT NOT NULL, registered_at_ms BIGINT NOT NULL,
     deleted_at_ms BIGINT, PRIMARY KEY (subject, version))`,
  // subject '' is the registry-wide setting (a primary key cannot be NULL; '' is no valid subject).
  'CREATE TABLE registry_config (subject TEXT PRIMARY KEY, compatibility TEXT NOT NULL)',
  'CREATE TABLE registry_subject_modes (subject TEXT PRIMARY KEY, mode TEXT NOT NULL)',
  // seq: first-save order, the tie-break among promotions requested in the same ms.
  `CREATE TABLE registry_promotions (id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
     subject TEXT NOT NULL, version INTEGER NOT NULL, requested_by TEXT NOT NULL, change_request TEXT NOT NULL,
     requested_at_ms BIGINT NOT NULL, approvals JSONB NOT NULL, state TEXT NOT NULL, decided_at_ms BIGINT)`,
  // Append-only: the store holds no UPDATE or DELETE of it.
  `CREATE TABLE registry_audit_log (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at_ms BIGINT NOT NULL,
     action TEXT NOT NULL, subject TEXT NOT NULL, version INTEGER, bundle_sha TEXT NOT NULL, approvers JSONB NOT NULL,
     change_request TEXT, canary_window_ms BIGINT, canary_failures BIGINT, actor TEXT NOT NULL, detail TEXT NOT NULL)`,
  `CREATE TABLE registry_validation_failures (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, subject TEXT NOT NULL,
     mode TEXT NOT NULL, at_ms BIGINT NOT NULL, messages JSONB NOT NULL)`,
  'CREATE INDEX registry_validation_failures_subject ON registry_validation_failures (subject, at_ms)',
  'CREATE TABLE registry_changes (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL)',
  'INSERT INTO registry_changes (id, seq) VALUES (1, 0)',
  // seq orders reports of one created_at by arrival; the report is kept whole as JSON text.
  `CREATE TABLE conformance_reports (id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
     node_id TEXT NOT NULL, interval_ms BIGINT NOT NULL, created_at_ms BIGINT NOT NULL, has_errors BOOLEAN NOT NULL,
     range_start_ms DOUBLE PRECISION, range_end_ms DOUBLE PRECISION, report TEXT NOT NULL)`,
  'CREATE INDEX conformance_reports_dataset ON conformance_reports (node_id, interval_ms, created_at_ms)',
  // One row per shard (src/backfill/lease-store.ts); token: the last granted fencing token.
  `CREATE TABLE backfill_shards (key TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
     node_id TEXT NOT NULL, interval_ms BIGINT NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,
     state TEXT NOT NULL, holder TEXT, token BIGINT NOT NULL, lease_until_ms BIGINT, attempts INTEGER NOT NULL,
     not_before_ms BIGINT NOT NULL, last_error TEXT, rows_written BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL,
     priority INTEGER NOT NULL DEFAULT 1, rank BIGINT NOT NULL DEFAULT 0, known_empty JSONB,
     change_seq BIGINT NOT NULL, changed_by TEXT NOT NULL)`,
  'CREATE INDEX backfill_shards_changes ON backfill_shards (change_seq)',
  'CREATE INDEX backfill_shards_state ON backfill_shards (state)',
  'CREATE SEQUENCE lease_changes',
  // One row, locked by every lease write: lease writes of all processes run one at a time.
  'CREATE TABLE lease_lock (id INTEGER PRIMARY KEY CHECK (id = 1))',
  'INSERT INTO lease_lock (id) VALUES (1)',
  `CREATE TABLE backfill_jobs (id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY,
     node_id TEXT NOT NULL, interval_ms BIGINT NOT NULL, shard_keys JSONB NOT NULL, requested_by TEXT NOT NULL,
     created_at_ms BIGINT NOT NULL)`,
]);
