/**
 * Vitest globalSetup of the integration and scenarios projects: bundles the CLI
 * (src/cli/main.ts and everything it imports from src/) once per run with esbuild into
 * `.test-build/<run>/main.mjs`, and hands its path to the test files (`inject('seamlessCli')`,
 * read by test/harness/seamless-cli.ts). A `seamless` child started from the bundle runs the
 * same code as `bin/seamless.js` without tsx transforming the module graph at every start
 * (about 1.4 s of CPU per start instead of 3.4 s on the 2-core test machine), split into chunks
 * as bin/seamless.js does, so that a command loads only what it runs, with the same esbuild
 * options (scripts/cli-bundle.mjs: the pure-JavaScript packages every start loads are bundled,
 * the others and native modules such as DuckDB's load from node_modules). The bundle sits two
 * levels under the repository root so `new URL('../../package.json', import.meta.url)` in
 * src/cli/version.ts still finds package.json. Teardown removes the run's directory; runs
 * killed before teardown leave one that the next run removes once it is a day old.
 * The child scripts of test/harness (`*-child.ts`, started by test/harness/child-script.ts) are
 * bundled the same way, beside main.mjs (same depth, so the package.json lookup holds for them
 * too), and handed over as `inject('childScripts')`: a child started from its bundle does not pay
 * tsx's transform of src/ at every start either.
 * `TEST_CLI=launcher` skips the bundles: children then run bin/seamless.js and the child scripts
 * through tsx, as a user does.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';
import { cliBundleOptions } from '../../scripts/cli-bundle.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_DIR = join(ROOT, '.test-build');
const STALE_MS = 24 * 60 * 60 * 1000;

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the bundled CLI (node <path> …args behaves as bin/seamless.js …args). */
    seamlessCli: string;
    /** Absolute path of each bundled child script of test/harness, by its file name without `.ts`. */
    childScripts: Record<string, string>;
  }
}

function removeStaleRuns(): void {
  let entries: string[];
  try {
    entries = readdirSync(BUILD_DIR);
  } catch {
    return; // no .test-build yet: nothing stale
  }
  for (const name of entries) {
    const dir = join(BUILD_DIR, name);
    if (Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true });
  }
}

/** The child scripts of test/harness: files named `*-child.ts`. */
function childScriptEntries(): string[] {
  const harness = join(ROOT, 'test/harness');
  return readdirSync(harness).filter((name) => name.endsWith('-child.ts')).map((name) => join(harness, name));
}

export default async function setup(project: TestProject): Promise<() => void> {
  // TEST_CLI=launcher: children run bin/seamless.js through tsx, as before the bundle.
  if (process.env.TEST_CLI === 'launcher') return () => undefined;
  removeStaleRuns();
  mkdirSync(BUILD_DIR, { recursive: true });
  const dir = mkdtempSync(join(BUILD_DIR, 'run-'));
  const outfile = join(dir, 'main.mjs');
  const cli = { ...cliBundleOptions(ROOT, dir, 'cli-chunk'), logLevel: 'warning' } as const;
  const children = childScriptEntries();
  await Promise.all([
    // Split as bin/seamless.js splits it: a command loads the chunks of what it runs (a client
    // command never loads DuckDB, fastify or the engines), so the bundle starts as the CLI does.
    build(cli),
    // Each child script whole (no chunks), with the CLI's packages inlined and external alike.
    build({ ...cli, entryPoints: children, splitting: false }),
  ]);
  project.provide('seamlessCli', outfile);
  project.provide('childScripts', Object.fromEntries(children.map((file) => {
    const name = basename(file, '.ts');
    return [name, join(dir, `${name}.mjs`)];
  })));
  return () => rmSync(dir, { recursive: true, force: true });
}
