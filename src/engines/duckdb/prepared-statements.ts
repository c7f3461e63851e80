/**
 * Statements of the writer connection prepared once per SQL text and reused. `conn.run(sql,
 * values)` extracts, prepares, binds, runs and destroys a statement on every call; on the cold
 * path (a few statements per backfilled shard: claim, fence, coverage, complete) the extract and
 * prepare cost as much as the run (bench/backfill/cold-breakdown.ts, CPU profile).
 *
 * Only for the writer connection inside the database's write queue: a prepared statement holds
 * one set of bindings, so two callers must never bind it at once (the queue runs one write at a
 * time). Only for fixed SQL texts (the cache is never evicted): statements whose text varies
 * with their input use `conn.run`.
 */
import type { DuckDBConnection, DuckDBMaterializedResult, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';

const byConnection = new WeakMap<DuckDBConnection, Map<string, Promise<DuckDBPreparedStatement>>>();

/** Runs `sql` with `values` through the connection's prepared statement for that text. */
export async function runPrepared(conn: DuckDBConnection, sql: string, values: readonly DuckDBValue[]): Promise<DuckDBMaterializedResult> {
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
  const statement = await prepared;
  statement.bind([...values]);
  return await statement.run();
}

/** `runPrepared` and every row as JS values. */
export async function readPrepared(conn: DuckDBConnection, sql: string, values: readonly DuckDBValue[]): Promise<unknown[][]> {
  return await (await runPrepared(conn, sql, values)).getRowsJS();
}
