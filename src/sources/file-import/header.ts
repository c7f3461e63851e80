/**
 * Maps a file's column names to the schema: `ts` (or its aliases `timestamp`, `time`) plus every
 * value column of the schema, nothing else. Names are compared trimmed and case-insensitively.
 */
import type { FrameSchema } from '../../core/index.js';
import type { IssueCollector } from './issue-collector.js';
import { quote } from './issue-collector.js';

export const TS_ALIASES: readonly string[] = Object.freeze(['ts', 'timestamp', 'time']);

export interface ResolvedHeader {
  /** Number of columns in the file. */
  readonly width: number;
  /** Index in the file of the timestamp column. */
  readonly tsIndex: number;
  /** Index in the file of each schema value column, in schema order. */
  readonly valueIndex: Int32Array;
}

/**
 * Resolves `names` (the file's columns) against `schema`. Problems are reported to `issues` at
 * position `at` (line 1 for CSV, row 0 for Parquet: the header itself); returns undefined if any.
 */
export function resolveHeader(names: readonly string[], schema: FrameSchema, issues: IssueCollector, at: number): ResolvedHeader | undefined {
  const before = issues.count;
  const expected = [TS_ALIASES[0], ...schema.columns.map((c) => c.name)].join(', ');
  const seen = new Map<string, number>();
  let tsIndex = -1;
  let tsName = '';
  const valueIndex = new Int32Array(schema.columns.length).fill(-1);
  for (let i = 0; i < names.length; i++) {
    const name = names[i].trim().toLowerCase();
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      issues.add(at, name, names[i], `column ${quote(name)} appears twice (columns ${earlier + 1} and ${i + 1})`);
      continue;
    }
    seen.set(name, i);
    if (TS_ALIASES.includes(name)) {
      if (tsIndex >= 0) issues.add(at, name, names[i], `both ${quote(tsName)} and ${quote(name)} given; use one timestamp column`);
      else {
        tsIndex = i;
        tsName = name;
      }
      continue;
    }
    const c = schema.columns.findIndex((col) => col.name === name);
    if (c >= 0) valueIndex[c] = i;
    else issues.add(at, name, names[i], `unexpected column ${quote(name)}: the ${schema.name} schema has ${expected}`);
  }
  if (tsIndex < 0) issues.add(at, 'ts', '', `missing column "ts" (or "timestamp", "time"): expected ${expected}`);
  for (let c = 0; c < valueIndex.length; c++) {
    if (valueIndex[c] < 0) issues.add(at, schema.columns[c].name, '', `missing column ${quote(schema.columns[c].name)}: expected ${expected}`);
  }
  if (issues.count > before) return undefined;
  return { width: names.length, tsIndex, valueIndex };
}
