/**
 * Reads a directory of SLA policy files (`*.yml`, `*.yaml`, one policy per file, sorted by file
 * name) at start. `checkSlaPolicies` collects every problem (for `seamless sla lint`);
 * `loadSlaPolicies` refuses the first one as an InvalidRequestError naming file, line and key.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidRequestError } from '../core/index.js';
import { parseSlaPolicy, problemError } from './parse-policy.js';
import type { SlaPolicyProblem } from './parse-policy.js';
import { createSlaPolicySet, findConflicts } from './policy-set.js';
import type { SlaPolicySet } from './policy-set.js';
import type { SlaPolicy } from './policy-schema.js';

/** Where the example policies live, relative to the repository (and the CLI's default). */
export const DEFAULT_SLA_POLICY_DIR = 'configs/seamless/sla';
const POLICY_FILE = /\.ya?ml$/;

export interface SlaPolicyCheck {
  /** The policies that parsed (even when others did not). */
  readonly policies: readonly SlaPolicy[];
  readonly problems: readonly SlaPolicyProblem[];
  readonly files: readonly string[];
  /** Line of each policy's `name` key. */
  readonly nameLines: ReadonlyMap<SlaPolicy, number>;
}

export function checkSlaPolicies(dir: string): SlaPolicyCheck {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InvalidRequestError('sla.dir', `not a directory: ${dir}`, { dir });
  }
  const files = readdirSync(dir).filter((f) => POLICY_FILE.test(f)).sort().map((f) => join(dir, f));
  const policies: SlaPolicy[] = [];
  const problems: SlaPolicyProblem[] = [];
  const nameLines = new Map<SlaPolicy, number>();
  for (const file of files) {
    const parsed = parseSlaPolicy(readFileSync(file, 'utf8'), file);
    problems.push(...parsed.problems);
    if (parsed.policy) {
      policies.push(parsed.policy);
      if (parsed.nameLine !== undefined) nameLines.set(parsed.policy, parsed.nameLine);
    }
  }
  problems.push(...findConflicts(policies, nameLines));
  return { policies, problems, files, nameLines };
}

/**
 * Loads and validates every policy of `dir`.
 *
 * @example
 * const sla = loadSlaPolicies('configs/seamless/sla');
 * sla.resolve('ohlcv:demo:BTC-USD', 60_000)?.policy.name; // "demo-1m"
 */
export function loadSlaPolicies(dir: string): SlaPolicySet {
  const check = checkSlaPolicies(dir);
  if (check.problems.length > 0) throw problemError(check.problems[0], check.problems);
  return createSlaPolicySet(check.policies, check.nameLines);
}
