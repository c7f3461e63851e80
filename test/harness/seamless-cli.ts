/**
 * The script a test runs as the `seamless` CLI: `node SEAMLESS_CLI …args`. Under the
 * integration and scenarios projects it is the bundle test/setup/cli-bundle.ts built for this
 * run (same code as bin/seamless.js, without tsx at every start); anywhere else (a project
 * without that globalSetup) it is bin/seamless.js itself. test/integration/readme-tour.test.ts
 * runs bin/seamless.js as a user does, so the launcher stays covered.
 */
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const SEAMLESS_LAUNCHER = fileURLToPath(new URL('../../bin/seamless.js', import.meta.url));

/** Undefined when the project has no cli-bundle globalSetup (inject returns what was provided). */
const bundled: string | undefined = inject('seamlessCli');

export const SEAMLESS_CLI: string = bundled ?? SEAMLESS_LAUNCHER;
