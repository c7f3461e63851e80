/**
 * How an archived conformance report is kept by every engine (duckdb, postgres): the whole
 * report as JSON text that reads back equal to what was appended, and the list limit of
 * `ReportArchive.list`.
 */
import { InvalidRequestError } from '../core/index.js';
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
