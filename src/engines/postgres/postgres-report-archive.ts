/**
 * Conformance's ReportArchive in PostgreSQL (migration 9), shared by every gateway on the
 * database: a report archived by one is served by all. Append-only: a report is inserted once
 * and never updated or deleted; a second report with a stored id is a ConflictError (the
 * primary key decides, so two gateways racing with one id cannot both win). The report is kept
 * whole as JSON text (report-codec.ts) next to the columns lists filter on, its range included.
 */
import type { TimeRange } from '../../core/index.js';
import { archivableReportId, decodeReport, duplicateReportError, encodeReport, reportListQuery } from '../../conformance/index.js';
import type { ConformanceReport, ReportArchive } from '../../conformance/index.js';
import { validateDataset } from '../../storage/index.js';
import type { PgDatabase } from './postgres-database.js';

/** Newest first; seq breaks ties between reports created in the same millisecond (arrival order). */
const NEWEST_FIRST = 'ORDER BY created_at_ms DESC, seq DESC';
const INSERT_SQL = `INSERT INTO conformance_reports (id, node_id, interval_ms, created_at_ms, has_errors, range_start_ms, range_end_ms, report)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`;

export function createPgReportArchive(db: PgDatabase): ReportArchive {
  return new PgReportArchive(db);
}

class PgReportArchive implements ReportArchive {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async append(report: ConformanceReport): Promise<ConformanceReport> {
    this.#db.assertOpen('reports.append');
    const id = archivableReportId(report);
    validateDataset({ nodeId: report.nodeId, intervalMs: report.intervalMs }, 'report');
    const text = encodeReport(report);
    const inserted = await this.#db.query('reports.append', async (client) => {
      const result = await client.query(INSERT_SQL, [
        id, report.nodeId, report.intervalMs, report.createdAt, report.hasErrors, report.range.start, report.range.end, text,
      ]);
      return result.rowCount === 1;
    });
    if (!inserted) throw duplicateReportError(id);
    return report;
  }

  async get(id: string): Promise<ConformanceReport | undefined> {
    const rows = await this.#reports('reports.get', 'SELECT report FROM conformance_reports WHERE id = $1', [id]);
    return rows[0];
  }

  async list(filter: { readonly nodeId?: string; readonly intervalMs?: number; readonly limit?: number }): Promise<ConformanceReport[]> {
    this.#db.assertOpen('reports.list');
    const { where, params, limitParam } = reportListQuery(filter, '');
    const sql = `SELECT report FROM conformance_reports ${where} ${NEWEST_FIRST} LIMIT ${limitParam}`;
    return await this.#reports('reports.list', sql, params);
  }

  async latest(nodeId: string, intervalMs: number, overlapping?: TimeRange): Promise<ConformanceReport | undefined> {
    const rows = overlapping === undefined
      ? await this.#reports('reports.latest', `SELECT report FROM conformance_reports WHERE node_id = $1 AND interval_ms = $2 ${NEWEST_FIRST} LIMIT 1`, [nodeId, intervalMs])
      : await this.#reports('reports.latest', `SELECT report FROM conformance_reports WHERE node_id = $1 AND interval_ms = $2
          AND range_start_ms < $4 AND range_end_ms > $3 ${NEWEST_FIRST} LIMIT 1`, [nodeId, intervalMs, overlapping.start, overlapping.end]);
    return rows[0];
  }

  async #reports(operation: string, sql: string, params: readonly (string | number)[]): Promise<ConformanceReport[]> {
    return await this.#db.query(operation, async (client) => {
      const result = await client.query<{ report: string }>(sql, [...params]);
      const out: ConformanceReport[] = [];
      for (const row of result.rows) out.push(decodeReport(row.report));
      return out;
    });
  }
}
