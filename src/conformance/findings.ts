/**
 * A small accumulator of findings: one entry per (flag, column) with the affected count, the
 * first (earliest) offending ts and an optional detail. Stages count in local variables inside
 * their loops and call `add` once per column afterwards, so the accumulator never sees a row.
 */
import { formatTime } from '../core/index.js';
import type { ConformanceWarning } from './conformance-report.js';
import { FLAG_CATALOGUE, FLAG_TYPES } from './flags.js';
import type { FlagStage, FlagType } from './flags.js';

export interface Findings {
  /**
   * Adds `count` affected rows (bars, for gaps) of `flag` in `column`. `firstTs` is the earliest
   * offending ts, or NaN when there is none; repeated adds sum counts and keep the earliest ts.
   * A zero count is ignored.
   */
  add(flag: FlagType, column: string, count: number, firstTs: number, detail?: string): void;
  /** Counts per flag (summed over columns), only for flags that occurred. */
  counts(): Partial<Record<FlagType, number>>;
  /** One warning per (flag, column), in catalogue order, then in order of first addition. */
  warnings(): ConformanceWarning[];
  /** Whether any error-level flag was added. */
  hasErrors(): boolean;
  /** Messages of error-level findings of one stage (the schema violations of a check). */
  messages(stage: FlagStage): string[];
}

interface Entry {
  readonly flag: FlagType;
  readonly column: string;
  count: number;
  firstTs: number;
  detail: string;
}

const ORDER: Readonly<Record<string, number>> = Object.fromEntries(FLAG_TYPES.map((f, i) => [f, i]));

class FindingsImpl implements Findings {
  readonly #entries: Entry[] = [];
  readonly #byKey = new Map<string, Entry>();

  add(flag: FlagType, column: string, count: number, firstTs: number, detail = ''): void {
    if (!(count > 0)) return;
    // A structured key (not `${flag}:${column}`): column names may contain any character.
    const key = JSON.stringify([flag, column]);
    const have = this.#byKey.get(key);
    if (have) {
      have.count += count;
      if (firstTs < have.firstTs || (Number.isNaN(have.firstTs) && !Number.isNaN(firstTs))) have.firstTs = firstTs;
      if (have.detail === '') have.detail = detail;
      return;
    }
    const entry: Entry = { flag, column, count, firstTs, detail };
    this.#byKey.set(key, entry);
    this.#entries.push(entry);
  }

  counts(): Partial<Record<FlagType, number>> {
    const out: Partial<Record<FlagType, number>> = {};
    for (const e of this.#sorted()) out[e.flag] = (out[e.flag] ?? 0) + e.count;
    return out;
  }

  warnings(): ConformanceWarning[] {
    return this.#sorted().map(toWarning);
  }

  hasErrors(): boolean {
    return this.#entries.some((e) => FLAG_CATALOGUE[e.flag].level === 'error');
  }

  messages(stage: FlagStage): string[] {
    const out: string[] = [];
    for (const e of this.#sorted()) {
      const c = FLAG_CATALOGUE[e.flag];
      if (c.stage === stage && c.level === 'error') out.push(toWarning(e).message);
    }
    return out;
  }

  #sorted(): Entry[] {
    // Array.prototype.sort is stable, so columns keep their order of first addition.
    return [...this.#entries].sort((a, b) => ORDER[a.flag] - ORDER[b.flag]);
  }
}

export function createFindings(): Findings {
  return new FindingsImpl();
}

/** Builds the warning of one (flag, column) finding, with its message. */
export function toWarning(e: { readonly flag: FlagType; readonly column: string; readonly count: number; readonly firstTs: number; readonly detail: string }): ConformanceWarning {
  const c = FLAG_CATALOGUE[e.flag];
  const unit = e.flag === 'gap' || e.flag === 'stale_price' ? (e.count === 1 ? 'bar' : 'bars') : e.count === 1 ? 'row' : 'rows';
  const firstTs = Number.isFinite(e.firstTs) ? e.firstTs : null;
  let message = `${e.flag}: ${e.count} ${unit} in column ${JSON.stringify(e.column)}: ${c.description}`;
  if (e.detail !== '') message += `; ${e.detail}`;
  if (firstTs !== null) message += `; first at ${isoOrMs(firstTs)}`;
  return { flag: e.flag, level: c.level, column: e.column, count: e.count, firstTs, message };
}

function isoOrMs(ts: number): string {
  return ts >= 0 && ts <= 8.64e15 ? formatTime(ts) : `${ts} ms`;
}
