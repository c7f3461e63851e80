/**
 * Parses the text of one policy file into a frozen `SlaPolicy`, or into problems that each name
 * the file, the line and the key (yaml's Document API keeps the source positions).
 */
import { LineCounter, isMap, isPair, isScalar, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { INTERVAL_NAMES, InvalidRequestError } from '../core/index.js';
import { BUDGET_PHASES, SlaPolicySchema } from './policy-schema.js';
import type { SlaPolicy } from './policy-schema.js';

/** One thing wrong with a policy file. `line` is 1-based; absent when the file has no lines (empty). */
export interface SlaPolicyProblem {
  readonly file: string;
  readonly line: number | undefined;
  /** Dotted key (`budgets.total`), or `(file)` for the file as a whole. */
  readonly key: string;
  readonly message: string;
}

export interface ParsedPolicy {
  readonly policy: SlaPolicy | undefined;
  readonly problems: readonly SlaPolicyProblem[];
  /** Line of the `name:` key, to point at duplicates and ambiguities. */
  readonly nameLine: number | undefined;
}

/** `file:line: key: message`, as `seamless sla lint` prints it. */
export function formatProblem(p: SlaPolicyProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.key}: ${p.message}`;
}

/** The problem as an InvalidRequestError: field = key, message `file:line: …`. */
export function problemError(p: SlaPolicyProblem, all: readonly SlaPolicyProblem[] = [p]): InvalidRequestError {
  const more = all.length > 1 ? ` (and ${all.length - 1} more)` : '';
  return new InvalidRequestError(p.key, `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}${more}`, {
    file: p.file, line: p.line, key: p.key, problems: all.map(formatProblem),
  });
}

export function parseSlaPolicy(text: string, file: string): ParsedPolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (path: readonly PropertyKey[], unrecognized?: string): number | undefined => lineOf(doc, lines, path, unrecognized);
  if (doc.errors.length > 0) {
    return failed(doc.errors.map((e) => ({
      file, line: e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line, key: '(yaml)', message: e.message.split('\n')[0],
    })));
  }
  const tree: unknown = doc.toJS();
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) {
    return failed([{ file, line: at([]) ?? 1, key: '(file)', message: 'must be a mapping with one policy (name, match, mode, budgets, …)' }]);
  }
  const nameLine = at(['name']);
  const parsed = SlaPolicySchema.safeParse(tree);
  if (!parsed.success) return { policy: undefined, problems: zodProblems(parsed.error, file, at), nameLine };

  const spec = parsed.data;
  const problems: SlaPolicyProblem[] = [];
  const total = spec.budgets.total;
  for (const phase of BUDGET_PHASES) {
    const ms = spec.budgets[phase];
    if (phase !== 'total' && total !== undefined && ms !== undefined && ms > total) {
      problems.push({ file, line: at(['budgets', phase]), key: `budgets.${phase}`, message: `${ms} ms exceeds budgets.total (${total} ms); a phase cannot outlast the whole read` });
    }
  }
  if (problems.length > 0) return { policy: undefined, problems, nameLine };
  const intervalMs = spec.match.interval === undefined ? undefined : INTERVAL_NAMES[spec.match.interval];
  const policy: SlaPolicy = deepFreeze({ ...spec, source: file, intervalMs });
  return { policy, problems: [], nameLine };
}

function failed(problems: SlaPolicyProblem[]): ParsedPolicy {
  return { policy: undefined, problems, nameLine: undefined };
}

type Locate = (path: readonly PropertyKey[], unrecognized?: string) => number | undefined;

function zodProblems(error: z.ZodError, file: string, at: Locate): SlaPolicyProblem[] {
  const out: SlaPolicyProblem[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        out.push({ file, line: at(issue.path, k), key: [...base, k].join('.'), message: `unknown key "${k}"` });
      }
      continue;
    }
    out.push({ file, line: at(issue.path), key: base.join('.') || '(file)', message: issue.message });
  }
  return out;
}

/**
 * Line of the node at `path`, or of the nearest ancestor that exists (a missing key is reported
 * at its parent mapping). With `unrecognized`, the line of that key inside the mapping at `path`.
 */
function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[], unrecognized?: string): number | undefined {
  const keys = path.filter((k): k is string | number => typeof k !== 'symbol');
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (node === undefined || node === null) continue;
    if (unrecognized !== undefined && n === keys.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === unrecognized);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return lines.linePos(range[0]).line;
    }
    const range = (node as { range?: readonly number[] | null }).range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
