import { configDefaults, defineConfig } from 'vitest/config';

/** Unit files that need a process of their own: they call process.chdir (not allowed in a worker thread). */
const UNIT_PROCESS_FILES = ['test/unit/config/load-config.test.ts'];

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
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // The rest of the unit tests, in forked processes; `npm test` runs both unit projects.
          name: 'unit-process',
          include: UNIT_PROCESS_FILES,
          pool: 'forks',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Bundles the CLI once per run, so `seamless` children start without tsx.
          globalSetup: ['test/setup/cli-bundle.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // Tests marked concurrent (the CLI files: each CLI start is mostly one core loading
          // modules) run at most this many at once.
          maxConcurrency: 3,
        },
      },
      {
        test: {
          // Deployments with faults: real processes (gateway, coordinator, workers) and real
          // etcd / PostgreSQL / NATS where the topology needs them, driven as a user would.
          name: 'scenarios',
          include: ['test/scenarios/**/*.test.ts'],
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
