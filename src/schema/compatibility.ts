/**
 * Compatibility checks with Confluent's semantics, adapted to our field types.
 *
 * BACKWARD: a reader using the new schema can read data written with an earlier one.
 * FORWARD: a reader using an earlier schema can read data written with the new one.
 * FULL: both. `*_TRANSITIVE` compares with every earlier version, the others only with the
 * latest. NONE accepts anything.
 *
 * One reader/writer rule set serves both directions: the reader can read the writer's data when
 * every column the reader requires is one the writer requires too (an optional writer column
 * may be absent), each shared column's writer type converts to the reader's type (the same
 * type, or int64 widened to float64), a non-nullable reader column is not nullable in the
 * writer, and a reader enum holds every writer symbol. Columns only the writer has are ignored.
 */
import type { CompatibilityMode, CompatibilityResult, FieldType, ParsedSchema, SchemaField } from './schema-types.js';

type Direction = 'BACKWARD' | 'FORWARD';

/** One reason a reader cannot read a writer's data. */
type Issue =
  | { readonly kind: 'missing'; readonly field: string }
  | { readonly kind: 'required'; readonly field: string }
  | { readonly kind: 'type'; readonly field: string; readonly reader: FieldType; readonly writer: FieldType }
  | { readonly kind: 'nullability'; readonly field: string }
  | { readonly kind: 'symbols'; readonly field: string; readonly symbols: readonly string[] };

function convertible(writer: FieldType, reader: FieldType): boolean {
  return writer === reader || (writer === 'int64' && reader === 'float64');
}

function readerIssues(reader: ParsedSchema, writer: ParsedSchema): Issue[] {
  const written = new Map<string, SchemaField>();
  for (const f of writer.fields) written.set(f.name, f);
  const issues: Issue[] = [];
  for (const r of reader.fields) {
    const w = written.get(r.name);
    if (w === undefined) {
      if (r.required) issues.push({ kind: 'missing', field: r.name });
      continue;
    }
    if (r.required && !w.required) issues.push({ kind: 'required', field: r.name });
    if (!convertible(w.type, r.type)) {
      issues.push({ kind: 'type', field: r.name, reader: r.type, writer: w.type });
      continue;
    }
    if (!r.nullable && w.nullable) issues.push({ kind: 'nullability', field: r.name });
    if (r.type === 'enum') {
      const allowed = new Set(r.symbols ?? []);
      const lost = (w.symbols ?? []).filter((s) => !allowed.has(s));
      if (lost.length > 0) issues.push({ kind: 'symbols', field: r.name, symbols: lost });
    }
  }
  return issues;
}

function quoted(symbols: readonly string[]): string {
  return symbols.map((s) => JSON.stringify(s)).join(', ');
}

/** The change from the earlier schema to the new one, in words, whichever side is the reader. */
function describe(issue: Issue, direction: Direction, version: number): string {
  const backward = direction === 'BACKWARD';
  const field = `field ${JSON.stringify(issue.field)}`;
  switch (issue.kind) {
    case 'missing':
      return backward ? `${field} was added as required` : `${field} was removed but version ${version} requires it`;
    case 'required':
      return backward ? `${field} became required` : `${field} is no longer required`;
    case 'type': {
      const [from, to] = backward ? [issue.writer, issue.reader] : [issue.reader, issue.writer];
      return `${field} changed type from ${from} to ${to}`;
    }
    case 'nullability':
      return backward ? `${field} became non-nullable` : `${field} became nullable`;
    case 'symbols':
      return backward ? `${field} removed enum symbols ${quoted(issue.symbols)}` : `${field} added enum symbols ${quoted(issue.symbols)}`;
    default: {
      const never: never = issue;
      return never;
    }
  }
}

function consequence(direction: Direction, version: number): string {
  return direction === 'BACKWARD'
    ? `BACKWARD against version ${version}: readers of the new schema cannot read data written with version ${version}`
    : `FORWARD against version ${version}: readers of version ${version} cannot read data written with the new schema`;
}

function directionsOf(mode: CompatibilityMode): readonly Direction[] {
  if (mode.startsWith('BACKWARD')) return ['BACKWARD'];
  if (mode.startsWith('FORWARD')) return ['FORWARD'];
  if (mode.startsWith('FULL')) return ['BACKWARD', 'FORWARD'];
  return [];
}

/**
 * Whether `candidate` may follow `previous` (the subject's versions, oldest first: index i is
 * version i + 1) under `mode`, with one message per incompatibility naming the version it
 * breaks. Non-transitive modes compare with the last element only.
 * @example checkCompatibility('BACKWARD', v2, [v1]).messages
 *   // ['field "volume" changed type from float64 to string (BACKWARD against version 1: …)']
 */
export function checkCompatibility(mode: CompatibilityMode, candidate: ParsedSchema, previous: readonly ParsedSchema[]): CompatibilityResult {
  const directions = directionsOf(mode);
  const messages: string[] = [];
  if (directions.length > 0 && previous.length > 0) {
    const first = mode.endsWith('_TRANSITIVE') ? 0 : previous.length - 1;
    for (let i = previous.length - 1; i >= first; i--) {
      const version = i + 1;
      for (const direction of directions) {
        const [reader, writer] = direction === 'BACKWARD' ? [candidate, previous[i]] : [previous[i], candidate];
        for (const issue of readerIssues(reader, writer)) {
          messages.push(`${describe(issue, direction, version)} (${consequence(direction, version)})`);
        }
      }
    }
  }
  return Object.freeze({ compatible: messages.length === 0, messages: Object.freeze(messages) });
}
