/**
 * Conformance's ReportArchive in the embedded DuckDB database (migration 5). Append-only: a
 * report is inserted once and never updated or deleted; a second report with a stored id is a
 * ConflictError. The report is kept whole as JSON text next to the columns lists filter on.
 */
import { archivableReportId, decodeReport, duplicateReportError, encodeReport, reportListQuery } from '../../conformance/index.js';
import type { ConformanceReport, ReportArchive } from '../../conformance/index.js';
import type { TimeRange } from '../../core/index.js';
import type { DatabaseHandle } from './duckdb-database.js';
import { textOf } from './row-values.js';
import { validateDataset } from '../../storage/index.js';

export { DEFAULT_REPORT_LIST_LIMIT, MAX_REPORT_LIST_LIMIT, reportListLimit } from '../../conformance/index.js';

/** Newest first; seq breaks ties between reports created in the same millisecond (arrival order). */
const NEWEST_FIRST = 'ORDER BY created_at_ms DESC, seq DESC';

/** The report archive of an open database; it shares the database's connections and write queue. */
export function reportArchiveOn(db: DatabaseHandle): ReportArchive {
  return new DuckDbReportArchive(db);
}

class DuckDbReportArchive implements ReportArchive {
  readonly #db: DatabaseHandle;

  constructor(db: DatabaseHandle) {
    this.#db = db;
  }

  async append(report: ConformanceReport): Promise<ConformanceReport> {
    this.#db.assertOpen('reports.append');
    const id = archivableReportId(report);
    validateDataset({ nodeId: report.nodeId, intervalMs: report.intervalMs }, 'report');
    const text = encodeReport(report);
    await this.#db.transact('reports.append', async (conn) => {
      // Checked inside the write transaction behind the one write queue: nothing can insert the id in between.
      const found = await conn.runAndReadAll('SELECT 1 FROM conformance_reports WHERE id = $1', [id]);
      if (found.getRowsJS().length > 0) throw duplicateReportError(id);
      await conn.run(
        `INSERT INTO conformance_reports (id, node_id, interval_ms, created_at_ms, has_errors, report)
         VALUES ($1, $2, $3::BIGINT, $4::BIGINT, $5, $6)`,
        [id, report.nodeId, report.intervalMs, report.createdAt, report.hasErrors, text],
      );
    });
    return report;
  }

  get(id: string): Promise<ConformanceReport | undefined> {
    return this.#db.query('reports.get', async (conn) => {
      const rows = (await conn.runAndReadAll('SELECT report::VARCHAR FROM conformance_reports WHERE id = $1', [id])).getRowsJS();
      return rows.length === 0 ? undefined : decodeReport(textOf(rows[0][0]));
    });
  }

  async list(filter: { readonly nodeId?: string; readonly intervalMs?: number; readonly limit?: number }): Promise<ConformanceReport[]> {
    this.#db.assertOpen('reports.list');
    const { where, params, limitParam } = reportListQuery(filter, '::BIGINT');
    const sql = `SELECT report::VARCHAR FROM conformance_reports ${where} ${NEWEST_FIRST} LIMIT ${limitParam}`;
    return await this.#db.query('reports.list', async (conn) => {
      const rows = (await conn.runAndReadAll(sql, params)).getRowsJS();
      const out: ConformanceReport[] = [];
      for (const row of rows) out.push(decodeReport(textOf(row[0])));
      return out;
    });
  }

  latest(nodeId: string, intervalMs: number, overlapping?: TimeRange): Promise<ConformanceReport | undefined> {
    // The range lives in the report's JSON (written by encodeReport: plain integers).
    const sql = overlapping === undefined
      ? `SELECT report::VARCHAR FROM conformance_reports WHERE node_id = $1 AND interval_ms = $2::BIGINT ${NEWEST_FIRST} LIMIT 1`
      : `SELECT report::VARCHAR FROM conformance_reports WHERE node_id = $1 AND interval_ms = $2::BIGINT
           AND CAST(json_extract(report, '$.range.start') AS DOUBLE) < $4::DOUBLE
           AND CAST(json_extract(report, '$.range.end') AS DOUBLE) > $3::DOUBLE ${NEWEST_FIRST} LIMIT 1`;
    const params = overlapping === undefined ? [nodeId, intervalMs] : [nodeId, intervalMs, overlapping.start, overlapping.end];
    return this.#db.query('reports.latest', async (conn) => {
      const rows = (await conn.runAndReadAll(sql, params)).getRowsJS();
      return rows.length === 0 ? undefined : decodeReport(textOf(rows[0][0]));
    });
  }
}
