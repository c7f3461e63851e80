/**
 * Conformance's IngestFindingStore in the embedded DuckDB database (migrations 6 and 8):
 * row-level findings met while storing upstream batches. Rows are never deleted; the one change
 * a row ever gets is `superseded_at_ms`, set by the bar write that replaced the rows it
 * describes. A batch is checked whole before any SQL and inserted in one transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IngestFinding, IngestFindingStore, RecordedFinding } from '../../conformance/index.js';
import type { TimeRange } from '../../core/index.js';
import type { DatasetKey } from '../../storage/index.js';
import type { DatabaseHandle } from './duckdb-database.js';
import { numberOf, textOf } from './row-values.js';
import { runPrepared } from './prepared-statements.js';
import { validateDataset, validateFindings, validateRange } from '../../storage/index.js';

/** Rows per INSERT statement (7 parameters each); a batch is several statements in one transaction. */
const ROWS_PER_INSERT = 256;

const SELECT = `SELECT flag, ts::DOUBLE, count::DOUBLE, at_ms::DOUBLE, detail, superseded_at_ms::DOUBLE FROM ingest_findings
  WHERE node_id = $1 AND interval_ms = $2::BIGINT AND ts >= $3::BIGINT AND ts < $4::BIGINT`;
const IN_FORCE_SQL = `${SELECT} AND superseded_at_ms IS NULL ORDER BY ts, rowid`;
const HISTORY_SQL = `${SELECT} ORDER BY ts, rowid`;
const SUPERSEDE_SQL = `UPDATE ingest_findings SET superseded_at_ms = $1::BIGINT
  WHERE node_id = $2 AND interval_ms = $3::BIGINT AND ts >= $4::BIGINT AND ts < $5::BIGINT AND superseded_at_ms IS NULL`;

/**
 * Marks the findings in force inside `ranges` superseded at `at`, inside the caller's (bar write)
 * transaction on the writer connection. Every bar write runs it: prepared once (prepared-statements.ts).
 */
export async function supersedeFindings(conn: DuckDBConnection, dataset: DatasetKey, ranges: readonly TimeRange[], at: number): Promise<void> {
  for (const r of ranges) await runPrepared(conn, SUPERSEDE_SQL, [at, dataset.nodeId, dataset.intervalMs, r.start, r.end]);
}

/** Inserts already validated findings on `conn`, inside the caller's transaction. */
export async function insertFindings(conn: DuckDBConnection, findings: readonly IngestFinding[]): Promise<void> {
  for (let from = 0; from < findings.length; from += ROWS_PER_INSERT) {
    const to = Math.min(findings.length, from + ROWS_PER_INSERT);
    const values: string[] = [];
    const params: (string | number)[] = [];
    for (let i = from; i < to; i++) {
      const f = findings[i];
      const p = params.length;
      values.push(`($${p + 1}, $${p + 2}::BIGINT, $${p + 3}, $${p + 4}::BIGINT, $${p + 5}::BIGINT, $${p + 6}::BIGINT, $${p + 7})`);
      params.push(f.nodeId, f.intervalMs, f.flag, f.ts, f.count, f.at, f.detail);
    }
    await conn.run(`INSERT INTO ingest_findings (node_id, interval_ms, flag, ts, count, at_ms, detail) VALUES ${values.join(', ')}`, params);
  }
}

/** The findings store of an open database; it shares the database's connections and write queue. */
export function ingestFindingStoreOn(db: DatabaseHandle): IngestFindingStore {
  return new DuckDbIngestFindingStore(db);
}

class DuckDbIngestFindingStore implements IngestFindingStore {
  readonly #db: DatabaseHandle;

  constructor(db: DatabaseHandle) {
    this.#db = db;
  }

  async appendFindings(findings: readonly IngestFinding[]): Promise<void> {
    this.#db.assertOpen('findings.append');
    validateFindings(findings);
    if (findings.length === 0) return;
    await this.#db.transact('findings.append', (conn) => insertFindings(conn, findings));
  }

  async findings(nodeId: string, intervalMs: number, start: number, end: number): Promise<IngestFinding[]> {
    const rows = await this.#select(IN_FORCE_SQL, nodeId, intervalMs, start, end);
    const out: IngestFinding[] = [];
    for (const r of rows) out.push({ nodeId: r.nodeId, intervalMs: r.intervalMs, flag: r.flag, ts: r.ts, count: r.count, at: r.at, detail: r.detail });
    return out;
  }

  history(nodeId: string, intervalMs: number, start: number, end: number): Promise<RecordedFinding[]> {
    return this.#select(HISTORY_SQL, nodeId, intervalMs, start, end);
  }

  async #select(sql: string, nodeId: string, intervalMs: number, start: number, end: number): Promise<RecordedFinding[]> {
    this.#db.assertOpen('findings.read');
    validateDataset({ nodeId, intervalMs });
    validateRange({ start, end });
    if (end === start) return [];
    return await this.#db.query('findings.read', async (conn) => {
      const rows = (await conn.runAndReadAll(sql, [nodeId, intervalMs, start, end])).getRowsJS();
      const out: RecordedFinding[] = [];
      for (const row of rows) {
        out.push({
          nodeId,
          intervalMs,
          // Only known flags are ever inserted (validateFinding, ../write-validation.ts).
          flag: textOf(row[0]) as IngestFinding['flag'],
          ts: numberOf(row[1]),
          count: numberOf(row[2]),
          at: numberOf(row[3]),
          detail: textOf(row[4]),
          supersededAt: row[5] === null ? null : numberOf(row[5]),
        });
      }
      return out;
    });
  }
}
