/**
 * Bar tables partitioned by time (migration 10): each of `bars_ohlcv|bars_tick|bars_quote` is
 * `PARTITION BY RANGE (ts)` with one partition per UTC calendar month (`<table>_pYYYY_MM`,
 * [first ms of the month, first ms of the next)) and a DEFAULT partition (`<table>_default`)
 * as the safety net for rows no month partition takes (ts before 1970 or from year 10000 on, or a
 * month an operator detached). The primary key stays (dataset_id, ts): it is the index of every
 * range read, one B-tree per month, so a read touches one or two small trees however many months
 * are stored, and old months are detached or dropped whole (docs/storage.md).
 *
 * Partitions are created on demand, BEFORE the write that needs them, in their own short
 * transaction (`ensureBarPartitions`): the server-side function `seamless_ensure_bar_partitions`
 * serialises creators with a transaction advisory lock per table, skips months that exist,
 * creates the month as a plain table, moves into it any rows the DEFAULT partition holds for
 * that month, and attaches it (ATTACH takes a SHARE UPDATE EXCLUSIVE lock on the parent: reads
 * and writes of other months go on). Each store remembers the months it has seen exist, so a
 * steady-state write costs no query here. The history tables (bars_*_history) stay unpartitioned:
 * they are pruned by supersession time, not by ts, so time partitions would not make pruning a drop.
 */
import type { PoolClient } from 'pg';
import type { BarTable } from '../../storage/index.js';
import { ALL_BAR_TABLES } from '../../storage/index.js';

/** Rows with ts in [PARTITIONED_FROM, PARTITIONED_UNTIL) get month partitions: 1970-01-01 to 10000-01-01 UTC. */
export const PARTITIONED_FROM = 0;
export const PARTITIONED_UNTIL = 253_402_300_800_000;

const FUNCTIONS: readonly string[] = [
  // The first ms (UTC) of ts's month; the SQL twin of monthStart below.
  `CREATE FUNCTION seamless_bar_month(ts BIGINT) RETURNS BIGINT LANGUAGE sql IMMUTABLE STRICT AS
     $$ SELECT (extract(epoch FROM date_trunc('month', to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC')) * 1000)::bigint $$`,
  // Creates the missing month partitions of parent for the given month starts; returns how many it created.
  `CREATE FUNCTION seamless_ensure_bar_partitions(parent TEXT, months BIGINT[]) RETURNS INTEGER LANGUAGE plpgsql AS $$
   DECLARE
     from_ms BIGINT;
     to_ms BIGINT;
     m TIMESTAMP;
     part TEXT;
     created INTEGER := 0;
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtext('seamless_bar_partitions:' || parent));
     FOREACH from_ms IN ARRAY months LOOP
       IF from_ms < ${PARTITIONED_FROM} OR from_ms >= ${PARTITIONED_UNTIL} OR seamless_bar_month(from_ms) <> from_ms THEN
         RAISE EXCEPTION 'seamless_ensure_bar_partitions: % is not the first ms of a month from 1970 to 9999', from_ms
           USING ERRCODE = 'invalid_parameter_value';
       END IF;
       m := to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC';
       to_ms := (extract(epoch FROM m + interval '1 month') * 1000)::bigint;
       part := parent || '_p' || to_char(m, 'YYYY_MM');
       CONTINUE WHEN to_regclass(part) IS NOT NULL;
       EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', part, parent);
       -- Rows the DEFAULT partition took for this month (written while the month had no partition) move in first:
       -- ATTACH refuses a month the DEFAULT partition still holds rows of.
       EXECUTE format('WITH moved AS (DELETE FROM %I WHERE ts >= $1 AND ts < $2 RETURNING *) INSERT INTO %I SELECT * FROM moved',
         parent || '_default', part) USING from_ms, to_ms;
       EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', parent, part, from_ms, to_ms);
       created := created + 1;
     END LOOP;
     RETURN created;
   END $$`,
];

function columnsOf(t: BarTable): string {
  return ['dataset_id', 'ts', ...t.columns.map((c) => `"${c}"`), 'version_id'].join(', ');
}

/**
 * One bar table moved to the partitioned layout with its rows: the old table renamed aside (its
 * key index too, freeing the name), the partitioned table and its DEFAULT partition created, the
 * months the rows fall in created, the rows copied in (in key order: each month's heap starts
 * clustered by dataset), the old table dropped. Runs inside the migration's transaction.
 */
function partitionTable(t: BarTable): string[] {
  const old = `${t.table}_unpartitioned`;
  const cols = columnsOf(t);
  return [
    `ALTER TABLE ${t.table} RENAME TO ${old}`,
    `ALTER INDEX ${t.table}_pkey RENAME TO ${old}_pkey`,
    `CREATE TABLE ${t.table} (dataset_id INTEGER NOT NULL, ts BIGINT NOT NULL,
       ${t.columns.map((c) => `"${c}" DOUBLE PRECISION`).join(', ')}, version_id BIGINT,
       PRIMARY KEY (dataset_id, ts)) PARTITION BY RANGE (ts)`,
    `CREATE TABLE ${t.table}_default PARTITION OF ${t.table} DEFAULT`,
    `SELECT seamless_ensure_bar_partitions('${t.table}', ARRAY(SELECT DISTINCT seamless_bar_month(ts) FROM ${old}
       WHERE ts >= ${PARTITIONED_FROM} AND ts < ${PARTITIONED_UNTIL}))`,
    `INSERT INTO ${t.table} (${cols}) SELECT ${cols} FROM ${old} ORDER BY dataset_id, ts`,
    `DROP TABLE ${old}`,
  ];
}

/** Migration 10: the partition functions, then every bar table partitioned with its rows. */
export const PARTITION_MIGRATION_STATEMENTS: readonly string[] = Object.freeze([...FUNCTIONS, ...ALL_BAR_TABLES.flatMap(partitionTable)]);

/** The first ms (UTC) of ts's month; ts within [PARTITIONED_FROM, PARTITIONED_UNTIL). */
export function monthStart(ts: number): number {
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The distinct month starts of the partitioned span that `ts` (any order) falls in, ascending. */
export function monthsOf(ts: Float64Array): number[] {
  const months = new Set<number>();
  // The current month's bounds: a row inside them costs two comparisons, no Date.
  let lo = 1;
  let hi = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t >= lo && t < hi) continue;
    if (!(t >= PARTITIONED_FROM && t < PARTITIONED_UNTIL)) continue;
    lo = monthStart(t);
    const d = new Date(lo);
    hi = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    months.add(lo);
  }
  return [...months].sort((a, b) => a - b);
}

/** The months a store has seen exist (or created), per bar table: the writer's fast path. */
export class PartitionKeeper {
  readonly #known = new Map<string, Set<number>>();

  /** The months of `ts` not yet known to exist in `t`'s partitions ([] in the steady state). */
  missing(t: BarTable, ts: Float64Array): number[] {
    const known = this.#known.get(t.table);
    const months = monthsOf(ts);
    return known === undefined ? months : months.filter((m) => !known.has(m));
  }

  /** Records months as existing (after ensureBarPartitions committed them). */
  remember(t: BarTable, months: readonly number[]): void {
    let known = this.#known.get(t.table);
    if (known === undefined) {
      known = new Set();
      this.#known.set(t.table, known);
    }
    for (const m of months) known.add(m);
  }
}

/** Creates `t`'s missing month partitions among `months` (one statement); returns how many were created. */
export async function ensureBarPartitions(client: PoolClient, t: BarTable, months: readonly number[]): Promise<number> {
  if (months.length === 0) return 0;
  const result = await client.query<{ created: number }>('SELECT seamless_ensure_bar_partitions($1, $2::bigint[]) AS created', [t.table, months]);
  return result.rows[0].created;
}
