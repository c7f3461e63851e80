/**
 * What the CLI prints: aligned tables, bar tables with a head/tail cut (a read's summary is
 * read-summary.ts), and errors as ONE line `seamless: <code>: <message>` (an import adds its issue lines; the stack
 * only with SEAMLESS_DEBUG=1).
 */
import { formatTime, isSeamlessError } from '../core/index.js';
import { ImportError, describeIssue } from '../sources/index.js';
import { writeLine } from './context.js';
import type { CliContext } from './context.js';

export type Align = 'left' | 'right';

/** Lines of a table with a header row; columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths = headers.map((h, c) => rows.reduce((w, r) => Math.max(w, (r[c] ?? '').length), h.length));
  const line = (cells: readonly string[]): string => cells
    .map((cell, c) => (align[c] === 'right' ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
    .join('  ')
    .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** A number for people: at most 10 significant digits, no trailing zeros; NaN as empty. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '';
  if (Number.isInteger(x) || !Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(10)));
}

export interface Columns {
  /** Column names, `ts` first. */
  readonly names: readonly string[];
  readonly values: readonly ArrayLike<number>[];
  readonly length: number;
}

/**
 * The rows of a read as a table: all of them up to `limit`, else the first and last
 * `limit / 2` around an ellipsis line.
 */
export function formatBars(cols: Columns, limit: number): string[] {
  const { names, values, length } = cols;
  const shown = (i: number): string[] => values.map((col, c) => (names[c] === 'ts' ? formatTime(col[i]) : formatNumber(col[i])));
  const rows: string[][] = [];
  const cut = length > limit;
  const head = cut ? Math.ceil(limit / 2) : length;
  for (let i = 0; i < head; i++) rows.push(shown(i));
  if (cut) {
    rows.push(names.map((_, c) => (c === 0 ? `… ${length - limit} more rows` : '')));
    for (let i = length - (limit - head); i < length; i++) rows.push(shown(i));
  }
  return formatTable(names, rows, names.map((n) => (n === 'ts' ? 'left' : 'right')));
}

export function formatPercent(ratio: number): string {
  const pct = ratio * 100;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)}%`;
}

/** How many issue lines an import failure lists after its first line. */
export const MAX_ISSUE_LINES = 10;

/** The failure as printed: one line, plus the issues of an import and (debug) the stack. */
export function errorLines(err: unknown, debug: boolean): string[] {
  const code = isSeamlessError(err) ? err.code : 'internal';
  const message = err instanceof Error ? err.message : String(err);
  const lines = [`seamless: ${code}: ${message.replace(/\s*\n\s*/g, ' ')}`];
  if (err instanceof ImportError) {
    // The message names the first issue; list the next ones.
    const rest = err.issues.slice(1, 1 + MAX_ISSUE_LINES);
    for (const issue of rest) lines.push(`  ${describeIssue(issue)}`);
    const hidden = err.issues.length - 1 - rest.length;
    if (hidden > 0) lines.push(`  … and ${hidden}${err.details.truncated === true ? '+' : ''} more`);
  }
  if (!isSeamlessError(err) && !debug) lines[0] += ' (SEAMLESS_DEBUG=1 shows the stack)';
  if (debug) {
    let e: unknown = err;
    for (let depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) lines.push(depth === 0 ? (e.stack ?? '') : `caused by: ${e.stack ?? e.message}`);
  }
  return lines;
}

export function printError(ctx: CliContext, err: unknown): void {
  for (const line of errorLines(err, ctx.debug)) writeLine(ctx.stderr, line);
}
