/**
 * How an archived conformance report is kept by every engine (duckdb, postgres): the whole
 * report as JSON text that reads back equal to what was appended, and the list limit of
 * `ReportArchive.list`.
 */
import { ConflictError, InvalidRequestError } from '../core/index.js';
import type { ConformanceReport } from './conformance-report.js';

export const DEFAULT_REPORT_LIST_LIMIT = 50;
export const MAX_REPORT_LIST_LIMIT = 1000;

/** The list limit: 50 when omitted, at most 1000 (larger asks are capped), a positive integer. */
export function reportListLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_REPORT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidRequestError('limit', `must be a positive integer, got ${String(limit)}`);
  return Math.min(limit, MAX_REPORT_LIST_LIMIT);
}

/**
 * What every archive checks before it appends a report (the dataset is checked by the engine's
 * storage validation): its id set and its creation time an integer epoch ms. Returns the id.
 */
export function archivableReportId(report: ConformanceReport): string {
  const id = report.id;
  if (typeof id !== 'string' || id.length === 0) throw new InvalidRequestError('report.id', 'an archived report needs its id set');
  if (!Number.isSafeInteger(report.createdAt)) throw new InvalidRequestError('report.createdAt', `must be an integer epoch ms, got ${String(report.createdAt)}`);
  return id;
}

/** The refusal of a second report with a stored id (reports are append-only). */
export function duplicateReportError(id: string): ConflictError {
  return new ConflictError(`conformance report ${JSON.stringify(id)} is already archived; reports are never overwritten`, { reason: 'duplicate_report_id', id });
}

/**
 * The WHERE clause and parameters of `ReportArchive.list` (node, interval, then the limit as the
 * last parameter); `intervalCast` is the engine's cast of the interval parameter (`::BIGINT` or '').
 */
export function reportListQuery(
  filter: { readonly nodeId?: string; readonly intervalMs?: number; readonly limit?: number }, intervalCast: string,
): { where: string; params: (string | number)[]; limitParam: string } {
  const limit = reportListLimit(filter.limit);
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  if (filter.nodeId !== undefined) {
    params.push(filter.nodeId);
    clauses.push(`node_id = $${params.length}`);
  }
  if (filter.intervalMs !== undefined) {
    params.push(filter.intervalMs);
    clauses.push(`interval_ms = $${params.length}${intervalCast}`);
  }
  params.push(limit);
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params, limitParam: `$${params.length}` };
}

/**
 * JSON has no NaN, ±Infinity or -0 (a completeness ratio over no expected bars may be NaN), and
 * a report must read back equal to what was appended: such numbers are written as
 * `{"$float": "NaN"}` and revived on read.
 */
const FLOAT_TAG = '$float';

export function encodeReport(report: ConformanceReport): string {
  return JSON.stringify(report, (_key, value: unknown) =>
    typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0)) ? { [FLOAT_TAG]: Object.is(value, -0) ? '-0' : String(value) } : value);
}

export function decodeReport(text: string): ConformanceReport {
  // Written only by encodeReport from a typed ConformanceReport.
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      const tagged: unknown = keys.length === 1 && keys[0] === FLOAT_TAG ? Reflect.get(value, FLOAT_TAG) : undefined;
      if (typeof tagged === 'string') return Number(tagged);
    }
    return value;
  }) as ConformanceReport;
}
