/**
 * Parsing of single cells into numbers, shared by the CSV reader and the Parquet reader (for
 * text timestamps). Each returns the value, or NaN after reporting the problem to `issues`.
 */
import { InvalidRequestError, MAX_TIME_MS, formatInterval, formatTime, parseTime } from '../../core/index.js';
import type { IssueCollector } from './issue-collector.js';
import { quote } from './issue-collector.js';

// A plain decimal number: `Number()` alone would also accept "", " ", "0x1f", "0b11" and "Infinity".
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A value cell. Empty is NaN (missing) for a nullable column and a problem otherwise. */
export function parseValueCell(text: string, nullable: boolean, issues: IssueCollector, at: number, field: string): number {
  if (text.length === 0) {
    if (!nullable) issues.add(at, field, text, 'missing value (the column is not nullable)');
    return Number.NaN;
  }
  if (!DECIMAL.test(text)) {
    if (nullable && (text === 'NaN' || text.toLowerCase() === 'null')) return Number.NaN;
    issues.add(at, field, text, `${quote(text)} is not a number`);
    return Number.NaN;
  }
  const v = Number(text);
  if (!Number.isFinite(v)) {
    issues.add(at, field, text, `${quote(text)} is not a finite number`);
    return Number.NaN;
  }
  return v;
}

/** A timestamp cell: epoch ms digits or ISO-8601 (core parseTime), on the interval grid. */
export function parseTsCell(text: string, intervalMs: number, issues: IssueCollector, at: number, field: string): number {
  if (text.length === 0) {
    issues.add(at, field, text, 'missing timestamp');
    return Number.NaN;
  }
  let t: number;
  try {
    t = parseTime(text, field);
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    // parseTime's message starts with "<field>: "; the location already names the field.
    const reason = err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
    issues.add(at, field, text, reason);
    return Number.NaN;
  }
  return checkGrid(t, text, intervalMs, issues, at, field);
}

/**
 * Reports a timestamp off the interval grid (or fractional), or a bar that would end after the
 * largest supported time; returns t or NaN. A bar covers [ts, ts + interval), and its coverage end
 * must stay a time (MAX_TIME_MS): refused here, before anything is written.
 */
export function checkGrid(t: number, text: string, intervalMs: number, issues: IssueCollector, at: number, field: string): number {
  if (t % intervalMs !== 0) {
    issues.add(at, field, text, `${quote(text)} is not on the ${formatInterval(intervalMs)} grid (ts % ${intervalMs} must be 0)`);
    return Number.NaN;
  }
  if (t > MAX_TIME_MS - intervalMs) {
    const lastStart = Math.floor((MAX_TIME_MS - intervalMs) / intervalMs) * intervalMs;
    issues.add(at, field, text, `${quote(text)}: the ${formatInterval(intervalMs)} bar would end after the largest supported time ${formatTime(MAX_TIME_MS)} (${MAX_TIME_MS} ms); the last ${formatInterval(intervalMs)} bar starts at ${formatTime(lastStart)}`);
    return Number.NaN;
  }
  return t;
}
