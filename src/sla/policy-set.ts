/**
 * A validated set of SLA policies and which one applies to a read. Precedence, most specific
 * first: (1) an exact node beats a glob; (2) among globs, more literal (non-wildcard) characters
 * win; (3) a policy naming the interval beats one that does not. Two policies that tie on all
 * three and can match the same read are refused when the set is built, naming both files.
 */
import { formatInterval } from '../core/index.js';
import { compileGlob, globsOverlap } from './glob.js';
import type { NodeGlob } from './glob.js';
import { problemError } from './parse-policy.js';
import type { SlaPolicyProblem } from './parse-policy.js';
import type { SlaPolicy } from './policy-schema.js';

export interface SlaResolution {
  readonly policy: SlaPolicy;
  /** Why it applies, e.g. `glob "ohlcv:demo:*" (11 literal characters), interval 1m`. */
  readonly reason: string;
}

export interface SlaCandidate {
  readonly policy: SlaPolicy;
  readonly matched: boolean;
  readonly winner: boolean;
  readonly reason: string;
}

export interface SlaExplanation {
  readonly nodeId: string;
  readonly intervalMs: number;
  /** Every policy, most specific first. */
  readonly candidates: readonly SlaCandidate[];
  readonly winner: SlaPolicy | undefined;
}

export interface SlaPolicySet {
  /** Most specific first (the order `resolve` tries them in). */
  readonly policies: readonly SlaPolicy[];
  resolve(nodeId: string, intervalMs: number): SlaResolution | undefined;
  explain(nodeId: string, intervalMs: number): SlaExplanation;
  byName(name: string): SlaPolicy | undefined;
}

interface Ranked {
  readonly policy: SlaPolicy;
  readonly glob: NodeGlob;
  readonly specificity: string;
}

/** Compares by precedence: negative when `a` is more specific than `b`, 0 on a tie. */
export function comparePrecedence(a: SlaPolicy, b: SlaPolicy): number {
  const ga = compileGlob(a.match.node);
  const gb = compileGlob(b.match.node);
  return rankCompare(ga, a, gb, b);
}

function rankCompare(ga: NodeGlob, a: SlaPolicy, gb: NodeGlob, b: SlaPolicy): number {
  if (ga.exact !== gb.exact) return ga.exact ? -1 : 1;
  if (ga.literals !== gb.literals) return gb.literals - ga.literals;
  const ia = a.intervalMs !== undefined;
  const ib = b.intervalMs !== undefined;
  if (ia !== ib) return ia ? -1 : 1;
  return 0;
}

/** Whether one read (node and interval) could match both policies. */
export function policiesOverlap(a: SlaPolicy, b: SlaPolicy): boolean {
  if (a.intervalMs !== undefined && b.intervalMs !== undefined && a.intervalMs !== b.intervalMs) return false;
  return globsOverlap(a.match.node, b.match.node);
}

/** Duplicate names and ambiguous ties, one problem each (at the second policy's `name` line). */
export function findConflicts(policies: readonly SlaPolicy[], nameLines: ReadonlyMap<SlaPolicy, number> = new Map()): SlaPolicyProblem[] {
  const problems: SlaPolicyProblem[] = [];
  const globs = policies.map((p) => compileGlob(p.match.node));
  const seen = new Map<string, SlaPolicy>();
  policies.forEach((p, j) => {
    const line = nameLines.get(p);
    const first = seen.get(p.name);
    if (first) {
      problems.push({ file: p.source, line, key: 'name', message: `policy "${p.name}" is declared twice: in ${first.source} and in ${p.source}` });
      return;
    }
    seen.set(p.name, p);
    for (let i = 0; i < j; i++) {
      const q = policies[i];
      if (rankCompare(globs[i], q, globs[j], p) === 0 && policiesOverlap(q, p)) {
        problems.push({
          file: p.source, line, key: 'match',
          message: `ambiguous: "${q.name}" (${q.source}) and "${p.name}" (${p.source}) are equally specific ` +
            `(${describeSpecificity(globs[j], p)}) and can match the same read; make one more specific`,
        });
      }
    }
  });
  return problems;
}

/** Builds the set; refuses duplicates and ambiguous ties with an InvalidRequestError naming both files. */
export function createSlaPolicySet(policies: readonly SlaPolicy[], nameLines?: ReadonlyMap<SlaPolicy, number>): SlaPolicySet {
  const conflicts = findConflicts(policies, nameLines);
  if (conflicts.length > 0) throw problemError(conflicts[0], conflicts);
  const ranked: Ranked[] = policies.map((policy) => {
    const glob = compileGlob(policy.match.node);
    return { policy, glob, specificity: describeSpecificity(glob, policy) };
  });
  ranked.sort((a, b) => rankCompare(a.glob, a.policy, b.glob, b.policy) || a.policy.name.localeCompare(b.policy.name));
  const byName = new Map(ranked.map((r) => [r.policy.name, r.policy]));

  const intervalOk = (p: SlaPolicy, intervalMs: number): boolean => p.intervalMs === undefined || p.intervalMs === intervalMs;

  return Object.freeze({
    policies: Object.freeze(ranked.map((r) => r.policy)),
    byName: (name: string) => byName.get(name),
    resolve(nodeId: string, intervalMs: number): SlaResolution | undefined {
      for (const r of ranked) {
        if (r.glob.matches(nodeId) && intervalOk(r.policy, intervalMs)) return { policy: r.policy, reason: r.specificity };
      }
      return undefined;
    },
    explain(nodeId: string, intervalMs: number): SlaExplanation {
      let winner: SlaPolicy | undefined;
      const candidates = ranked.map((r): SlaCandidate => {
        if (!r.glob.matches(nodeId)) {
          return { policy: r.policy, matched: false, winner: false, reason: `node "${nodeId}" does not match "${r.glob.pattern}"` };
        }
        if (!intervalOk(r.policy, intervalMs)) {
          return { policy: r.policy, matched: false, winner: false, reason: `interval ${formatInterval(intervalMs)} is not ${r.policy.match.interval ?? ''}` };
        }
        if (winner === undefined) {
          winner = r.policy;
          return { policy: r.policy, matched: true, winner: true, reason: `${r.specificity}: the most specific match` };
        }
        return { policy: r.policy, matched: true, winner: false, reason: `${r.specificity}: outranked by "${winner.name}"` };
      });
      return { nodeId, intervalMs, candidates, winner };
    },
  });
}

function describeSpecificity(glob: NodeGlob, p: SlaPolicy): string {
  const node = glob.exact ? `exact node "${glob.pattern}"` : `glob "${glob.pattern}" (${glob.literals} literal characters)`;
  return `${node}, ${p.match.interval !== undefined ? `interval ${p.match.interval}` : 'any interval'}`;
}

/**
 * The rollback switch `seamless.sla.forceDryRun`: the same policies, every one in `dry-run` —
 * measured and reported, never changing a response.
 */
export function asDryRun(set: SlaPolicySet): SlaPolicySet {
  return createSlaPolicySet(set.policies.map((p) => (p.mode === 'dry-run' ? p : { ...p, mode: 'dry-run' as const })));
}
