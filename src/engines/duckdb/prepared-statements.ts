/**
 * Statements of a connection prepared once per SQL text and reused. `conn.run(sql, values)`
 * extracts, prepares, binds, runs and destroys a statement on every call; on the cold path (a few
 * statements per backfilled shard: claim, fence, coverage, complete) the extract and prepare cost
 * as much as the run (bench/backfill/cold-breakdown.ts, CPU profile); on a 1,440-bar read
 * they cost ~0.4 ms CPU of ~3.8 (bench/provider/fixed-cost.bench.ts).
 *
 * Only for a connection one caller holds at a time: the writer inside the database's write queue,
 * or an exclusive reader (`DatabaseHandle.exclusiveQuery`). A prepared statement holds one set of
 * bindings, so two callers must never bind it at once. Only for fixed SQL texts (the cache is
 * never evicted): statements whose text varies with their input use `conn.run`.
 */
import type { DuckDBConnection, DuckDBMaterializedResult, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';

const byConnection = new WeakMap<DuckDBConnection, Map<string, Promise<DuckDBPreparedStatement>>>();

/** Runs `sql` with `values` through the connection's prepared statement for that text. */
export async function runPrepared(conn: DuckDBConnection, sql: string, values: readonly DuckDBValue[]): Promise<DuckDBMaterializedResult> {
  const statement = await preparedStatement(conn, sql);
  statement.bind([...values]);
  return await statement.run();
}

/** The connection's prepared statement for `sql`, prepared on first use. */
export async function preparedStatement(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  let statements = byConnection.get(conn);
  if (statements === undefined) {
    statements = new Map();
    byConnection.set(conn, statements);
  }
  let prepared = statements.get(sql);
  if (prepared === undefined) {
    const cache = statements;
    prepared = conn.prepare(sql);
    cache.set(sql, prepared);
    // A text that fails to prepare is not kept: the next call prepares it again (and fails again, saying why).
    void prepared.catch(() => cache.delete(sql));
  }
  return await prepared;
}

/** `runPrepared` and every row as JS values. */
export async function readPrepared(conn: DuckDBConnection, sql: string, values: readonly DuckDBValue[]): Promise<unknown[][]> {
  return await (await runPrepared(conn, sql, values)).getRowsJS();
}
