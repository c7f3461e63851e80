/**
 * A start that fails half-way leaves nothing open: everything createSeamless opened before the
 * failure is closed, in reverse. Each case starts an instance in a child process with a fault at
 * one stage; while that process is still alive, this process opens the same data directory (the
 * DuckDB file lock is per process, so a leaked database refuses it), and once its stdin ends the
 * child must exit by itself (a leaked client, timer or socket would keep it running).
 */
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { createSeamless } from '../../src/app/index.js';
import { silentLogger } from '../../src/observability/index.js';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import { runUnwindingChild } from '../harness/child-script.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Nothing listens on port 1 of loopback: connections are refused at once. */
const NOWHERE = '127.0.0.1:1';

const STAGES: ReadonlyArray<{ readonly stage: string; readonly config: (dataDir: string) => SeamlessConfigInput; readonly field: string }> = [
  {
    stage: 'the etcd engine (its lease store refused after storage, registry and tracing opened)',
    config: (dataDir) => ({
      dataDir, tracing: { endpoint: `http://${NOWHERE}/v1/traces` },
      seamless: { backfill: { store: 'etcd', etcd: { endpoints: [`http://${NOWHERE}`], prefix: 'no-trailing-slash', callTimeoutMs: 500 } } },
    }),
    field: 'prefix',
  },
  {
    stage: 'the sources (two budgets for one exchange, after storage and tracing opened)',
    config: (dataDir) => ({
      dataDir, tracing: { endpoint: `http://${NOWHERE}/v1/traces` },
      sources: {
        a: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 4 } },
        b: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 8 } },
      },
    }),
    field: 'sources.b.rateLimit',
  },
  {
    stage: 'the event feed (NATS unreachable, after the coordinator and its workers started)',
    config: (dataDir) => ({ dataDir, seamless: { events: { nats: { servers: [`nats://${NOWHERE}`] } } } }),
    field: '-',
  },
];

let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
afterEach(async () => {
  await dir?.remove();
  dir = undefined;
});

describe('a start that fails at one stage', () => {
  for (const { stage, config, field } of STAGES) {
    it(`closes everything opened before ${stage}`, async () => {
      dir = await tempDir();
      const dataDir = join(dir.path, 'data');
      await runUnwindingChild({
        script: 'create-seamless-child', args: [JSON.stringify(config(dataDir))],
        ended: /^(failed|opened)/m,
        expected: new RegExp(`^failed \\S+ ${field.replace(/[.]/g, '\\.')} `, 'm'),
        // The child is still alive: its data directory opens here only if its database was closed.
        whileAlive: async () => {
          const again = await createSeamless({ config: { dataDir }, env: {}, logger: silentLogger() });
          await again.close();
        },
      });
    }, 120_000);
  }
});
