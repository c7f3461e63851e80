/**
 * Child scripts of test/harness (`*-child.ts`) started as processes of their own. Under the
 * integration and scenarios projects a script runs from the bundle test/setup/cli-bundle.ts
 * built for this run (no tsx transform of src/ at every start); elsewhere, or with
 * `TEST_CLI=launcher`, through `node --import tsx`. Every child is tracked (test/harness/leftovers.ts).
 *
 * `runUnwindingChild` is the check shared by the start-unwinding tests: the child prints its
 * outcome, stays alive until its stdin ends, and must then exit by itself with status 0 (a leaked
 * client, timer, loop or socket would keep it running).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { until } from '../helpers/until.js';
import { trackChild } from './leftovers.js';
import { exited } from './server-process.js';

/** The bundled child scripts of this run, when the project bundles them. */
const bundled: Record<string, string> | undefined = inject('childScripts');

/** Starts test/harness/<name>.ts with `args`, piping stdin, stdout and stderr. */
export function spawnChildScript(name: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  const script = bundled?.[name];
  const argv = script === undefined ? ['--import', 'tsx', join(import.meta.dirname, `${name}.ts`), ...args] : [script, ...args];
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  return child;
}

export interface UnwindingChild {
  /** The child script (test/harness/<script>.ts) and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  /** Output that means the start has ended (its outcome is printed). */
  readonly ended: RegExp;
  /** What the output must match once the start has ended. */
  readonly expected: RegExp;
  /** Checks run while the child is still alive, after its outcome matched. */
  readonly whileAlive?: () => Promise<void>;
}

export async function runUnwindingChild(o: UnwindingChild): Promise<void> {
  const child = spawnChildScript(o.script, o.args);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
  try {
    await until(() => o.ended.test(output) || child.exitCode !== null, `the child's start to end (output: ${output})`, 60_000);
    expect(output).toMatch(o.expected);
    await o.whileAlive?.();
    child.stdin.end();
    await until(() => child.exitCode !== null || child.signalCode !== null, `the child to exit by itself once its stdin ended (output: ${output})`, 30_000);
    expect(child.exitCode).toBe(0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  }
}
