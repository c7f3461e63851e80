/**
 * The per-test deadline of the tests that run the real CLI as child processes (SEAMLESS_CLI of
 * test/harness/seamless-cli.ts: the run's bundle of the CLI, or bin/seamless.js). Each such
 * process pays the whole module graph at start: about 1.4 s of CPU from the bundle, 3.3 s
 * through tsx, even for `seamless --version` (measured on the shared 2-core test machine), and
 * under the load of several engineers' test runs one start took 70–90 s of wall time. A test of two to six CLI
 * processes can then pass 120 s without hanging; this deadline only guards against hangs.
 * The files that use it run their tests one at a time (vitest's default within a file; the
 * integration project also runs one file at a time), so no test's budget is shared.
 */
export const CLI_TEST_TIMEOUT_MS = 360_000;
