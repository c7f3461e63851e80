/**
 * Collects import problems (up to MAX_IMPORT_ISSUES) in one place for both formats: CSV problems
 * are located by file line, Parquet problems by row.
 */
import { ImportError, MAX_IMPORT_ISSUES } from '../errors.js';
import type { ImportIssue } from '../errors.js';

export type IssueLocation = 'line' | 'row';

/** Thrown from inside a reader's loop to stop reading once the collector is full. */
export class StopReading extends Error {
  constructor() {
    super('import stopped: too many problems');
    this.name = 'StopReading';
  }
}

export class IssueCollector {
  readonly location: IssueLocation;
  readonly #issues: ImportIssue[] = [];
  #truncated = false;

  constructor(location: IssueLocation) {
    this.location = location;
  }

  get count(): number {
    return this.#issues.length;
  }

  get full(): boolean {
    return this.#issues.length >= MAX_IMPORT_ISSUES;
  }

  /** Records a problem; returns true when the collector is now full. */
  add(at: number, field: string, value: string, message: string): boolean {
    if (this.full) {
      this.#truncated = true;
      return true;
    }
    this.#issues.push(this.location === 'line' ? { line: at, field, value, message } : { row: at, field, value, message });
    return this.full;
  }

  /** Marks that reading stopped early, so more problems may exist. */
  markTruncated(): void {
    this.#truncated = true;
  }

  /** Throws one ImportError listing the problems (sorted by position) if there are any. */
  throwIfAny(path: string): void {
    if (this.#issues.length === 0) return;
    const issues = this.#issues.slice().sort((a, b) => position(a) - position(b));
    throw new ImportError(path, issues, this.#truncated);
  }
}

function position(issue: ImportIssue): number {
  return 'line' in issue ? issue.line : issue.row;
}

/** `"abc"`: how values are quoted in messages (long values are cut). */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value);
}
