/**
 * Errors of the sources folder. A file import that finds bad input throws one `ImportError`
 * listing every problem found (up to MAX_IMPORT_ISSUES), so the user can fix the file in one go.
 */
import { InvalidRequestError } from '../core/index.js';

/** How many problems an import collects before it stops reading and throws. */
export const MAX_IMPORT_ISSUES = 100;

/** A problem at a CSV line (1-based file line; the header is line 1). */
export interface CsvImportIssue {
  readonly line: number;
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

/** A problem at a Parquet row (1-based row number in the file; 0 = the file's schema). */
export interface ParquetImportIssue {
  readonly row: number;
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

export type ImportIssue = CsvImportIssue | ParquetImportIssue;

/** `line 7, field "close": "abc" is not a number` */
export function describeIssue(issue: ImportIssue): string {
  const at = 'line' in issue ? `line ${issue.line}` : issue.row === 0 ? 'schema' : `row ${issue.row}`;
  return `${at}, field "${issue.field}": ${issue.message}`;
}

/**
 * A file that cannot be imported. `code` is `invalid_request`, `field` is `file`; the message
 * names the first problem and `details.issues` lists them all (up to MAX_IMPORT_ISSUES).
 */
export class ImportError extends InvalidRequestError {
  readonly issues: readonly ImportIssue[];

  constructor(readonly path: string, issues: readonly ImportIssue[], truncated: boolean) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1}${truncated ? '+' : ''} more)` : '';
    super('file', `cannot import ${path}: ${describeIssue(issues[0])}${more}`, { path, issues, truncated });
    this.issues = issues;
    this.name = 'ImportError';
  }
}
