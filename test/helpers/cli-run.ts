/**
 * Running the real `seamless` CLI as a child process (SEAMLESS_CLI of test/harness/seamless-cli.ts)
 * in a workspace of its own: the test's environment without any SEAMLESS_* variable, the data
 * directory `<cwd>/data`. `cliWorkspaces` hands out those workspaces for one test file and removes
 * them in afterAll. A run never rejects: its exit code, stdout and stderr are the answer.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SEAMLESS_CLI } from '../harness/seamless-cli.js';
import { tempDir } from './temp-dir.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A maker of fresh workspaces (temp dirs named by `prefix`), all removed after the file's tests. */
export function cliWorkspaces(prefix: string): () => Promise<string> {
  const removers: (() => Promise<void>)[] = [];
  afterAll(async () => { await Promise.all(removers.map((remove) => remove())); });
  return async () => {
    const dir = await tempDir(prefix);
    removers.push(dir.remove);
    return dir.path;
  };
}

/** `seamless ...args` in `cwd` (data directory `<cwd>/data`), `extraEnv` set over the clean environment. */
export function runSeamless(cwd: string, args: readonly string[], extraEnv: Readonly<Record<string, string>> = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  Object.assign(env, { SEAMLESS_DATA_DIR: join(cwd, 'data') }, extraEnv);
  return new Promise((resolve) => {
    execFile(process.execPath, [SEAMLESS_CLI, ...args], { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}
