/**
 * The per-test deadline of the tests that run the real CLI as child processes (SEAMLESS_CLI of
 * test/harness/seamless-cli.ts: the run's bundle of the CLI, or bin/seamless.js). Each such
 * process pays the whole module graph at start: about 1.4 s of CPU from the bundle, 3.3 s
 * through tsx, even for `seamless --version` (measured on the shared 2-core test machine), and
 * under the load of several engineers' test runs one start took 70–90 s of wall time. A test of two to six CLI
 * processes can then pass 120 s without hanging; this deadline only guards against hangs.
 * cli.test.ts and cli-schema.test.ts run their tests concurrently (at most `maxConcurrency` of
 * the integration project at once, see vitest.config.ts); the deadline is per test and still
 * only guards against hangs.
 */
export const CLI_TEST_TIMEOUT_MS = 360_000;
