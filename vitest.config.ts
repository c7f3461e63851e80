import { configDefaults, defineConfig } from 'vitest/config';

/** Unit files that need a process of their own: they call process.chdir (not allowed in a worker thread). */
const UNIT_PROCESS_FILES = ['test/unit/config/load-config.test.ts'];

/**
 * Workers per project. Vitest's default on a 2-core machine is one (cores − 1), so without this
 * every project ran its files one after the other.
 */
const TWO_WORKERS = 2;

/**
 * Integration files that run one at a time (project `integration-serial`, after the others):
 * each holds a lease, heartbeat, rate, budget or fixed window that a second file loading the
 * cores could stretch (etcd and PostgreSQL leases, upstream permits, SLA latency budgets,
 * SIGKILL/restart timing, socket back-pressure), or it runs `bin/seamless.js` through tsx
 * (readme-tour). Every other integration file is parallel-safe: free loopback ports, its own
 * temp directories, etcd prefixes and PostgreSQL databases, and deadlines that only guard
 * against hangs. A new file that depends on timing belongs here.
 */
const INTEGRATION_SERIAL_FILES = [
  'duckdb-reopen-after-kill', 'etcd-coordinator', 'etcd-lease-store', 'etcd-quorum-health', 'events',
  'exchange-backfill', 'gateway-shutdown', 'lease-protocol', 'postgres-shared-state', 'prometheus-scrape',
  'readme-tour', 'remote-worker-tracing', 'remote-workers', 'sla-read', 'startup-unwinding', 'stream',
  'tracing', 'upstream-budget', 'upstream-permits-api', 'worker-startup-unwinding',
].map((name) => `test/integration/${name}.test.ts`);

/**
 * Scenario files that run two at a time (project `scenarios-parallel`, before the others): each
 * deploys its own processes on free loopback ports, in its own temp directories (PostgreSQL: its
 * own server), and nothing it checks depends on how fast the machine is. Read for that, file by
 * file:
 * - cache-coherence: waits for the import and the listener's reconnection with deadlines that
 *   only guard against hangs;
 * - catalog-condition, universe-read: the exchange fails on purpose; the attempts, not their
 *   timing, decide what is stored and reported;
 * - pre-flight-estimate: the estimate before the slowness is computed from the budget, and the
 *   one after it from measured latency, asserted as a lower bound only (load can only raise it);
 * - repair: its kill mid-purge accepts both outcomes (all purged and audited, or nothing);
 * - repair-after-defects, resample: no fault in time at all;
 * - keep-alive-reuse: its client blocks its own thread for 6.5 s between reads (a pause only load
 *   can lengthen) against the gateway's default keep-alive of 72 s;
 * - snapshots: the gateway is killed once the first rows of a month from a 1 s-per-request
 *   upstream are stored, two rounds of those requests before the month is done (a window that
 *   load does not shorten).
 * Every other scenario stays in `scenarios`, one file at a time: leases and their expiry
 * (lease-string-tokens, restart-after-lease, remote-coordinator-postgres, multi-gateway,
 * storage-failures), a kill timed against writing (gateway-killed-mid-import) or a restart on the
 * same port (stream), SLA budgets and slow upstreams (upstream-faults, rollback-switches,
 * sla-violation-telemetry), a canary window of 1.5 s (schema-governance), socket timeouts
 * (gateway-abuse), stall guards and budgets under load (abuse, burst-writes, load-and-abuse,
 * load-mix). A new scenario is serial until read for this list.
 */
const SCENARIO_PARALLEL_FILES = [
  'cache-coherence', 'catalog-condition', 'keep-alive-reuse', 'pre-flight-estimate', 'repair', 'repair-after-defects',
  'resample', 'snapshots', 'universe-read',
].map((name) => `test/scenarios/${name}.test.ts`);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          // Worker threads: cheaper to start and to load modules in than forked processes
          // (about a fifth less CPU for the unit suite on the 2-core test machine).
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT_PROCESS_FILES],
          pool: 'threads',
          isolate: false,
          maxWorkers: TWO_WORKERS,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // The rest of the unit tests, in forked processes; `npm test` runs both unit projects.
          name: 'unit-process',
          include: UNIT_PROCESS_FILES,
          pool: 'forks',
          // Same worker count as `unit`: both run in one invocation (`npm test`), where Vitest
          // requires projects of one group order to agree on it.
          maxWorkers: TWO_WORKERS,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // Integration files two at a time (one worker each): most of a file's time is child
          // processes starting and servers answering, which leaves the second core idle.
          name: 'integration',
          isolate: false,
          include: ['test/integration/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...INTEGRATION_SERIAL_FILES],
          // Bundles the CLI once per run, so `seamless` children start without tsx.
          globalSetup: ['test/setup/cli-bundle.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: TWO_WORKERS,
          // Tests marked concurrent (the CLI files: each CLI start is mostly one core loading
          // modules) run at most this many at once.
          maxConcurrency: 3,
        },
      },
      {
        test: {
          // The timing-dependent integration files, one at a time, after the parallel ones.
          name: 'integration-serial',
          isolate: false,
          // After the parallel project of the same run (a group of its own, one file at a time).
          sequence: { groupOrder: 1 },
          include: INTEGRATION_SERIAL_FILES,
          globalSetup: ['test/setup/cli-bundle.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          maxConcurrency: 3,
        },
      },
      {
        test: {
          // The parallel-safe scenarios (SCENARIO_PARALLEL_FILES), two files at a time: most of a
          // scenario's time is waiting on its child processes, which leaves the second core idle.
          name: 'scenarios-parallel',
          isolate: false,
          include: SCENARIO_PARALLEL_FILES,
          globalSetup: ['test/setup/cli-bundle.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          maxWorkers: TWO_WORKERS,
        },
      },
      {
        test: {
          // Deployments with faults: real processes (gateway, coordinator, workers) and real
          // etcd / PostgreSQL / NATS where the topology needs them, driven as a user would. One
          // file at a time, after the parallel ones: every scenario not in SCENARIO_PARALLEL_FILES.
          name: 'scenarios',
          isolate: false,
          // After the parallel project of the same run (a group of its own, one file at a time).
          sequence: { groupOrder: 1 },
          include: ['test/scenarios/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SCENARIO_PARALLEL_FILES],
          globalSetup: ['test/setup/cli-bundle.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // The dashboard page in Debian's chromium (playwright-core) against real gateways;
          // web/dist is built once before the files run.
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/cli-bundle.ts', 'test/setup/web-build.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
