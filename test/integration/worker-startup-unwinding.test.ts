/**
 * A `seamless worker` is opened by the composition root (app `openWorker`) on one ResourceStack:
 * a start that fails after tracing, the upstream budgets and sources opened closes them, and a
 * started worker's close() is the same unwinding (its loops stop though the coordinator never
 * answered). Each case runs the worker in a child process that never calls process.exit: once its
 * stdin ends it must exit by itself (a leaked loop, timer or socket would keep it running).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import { runUnwindingChild } from '../harness/child-script.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Nothing listens on port 1 of loopback: connections are refused at once. */
const NOWHERE = '127.0.0.1:1';

const CASES: ReadonlyArray<{ readonly name: string; readonly config: SeamlessConfigInput; readonly coordinator: string; readonly expected: RegExp }> = [
  {
    name: 'a start refused on its sources (two budgets for one exchange) closes the tracing and upstream budgets it had opened',
    config: {
      tracing: { endpoint: `http://${NOWHERE}/v1/traces` },
      sources: {
        a: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 4 } },
        b: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 8 } },
      },
    },
    coordinator: `http://${NOWHERE}`,
    expected: /^failed invalid_request sources\.b\.rateLimit /m,
  },
  {
    name: 'a coordinator URL that is not http is refused, naming the coordinator, before anything opens',
    config: { tracing: { endpoint: `http://${NOWHERE}/v1/traces` } },
    coordinator: `ftp://${NOWHERE}`,
    expected: /^failed invalid_request coordinator coordinator: must be http or https, got ftp:/m,
  },
  {
    name: 'a started worker whose coordinator never answers stops its loops and closes everything on close()',
    config: { tracing: { endpoint: `http://${NOWHERE}/v1/traces` }, sources: { demo: { kind: 'synthetic' } } },
    coordinator: `http://${NOWHERE}`,
    expected: /^opened worker-\S+\nclosed$/m,
  },
];

let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
afterEach(async () => {
  await dir?.remove();
  dir = undefined;
});

describe('the worker process, opened by the composition root', () => {
  for (const { name, config, coordinator, expected } of CASES) {
    it(name, async () => {
      dir = await tempDir();
      const file = join(dir.path, 'seamless.yml');
      // JSON is YAML.
      await writeFile(file, JSON.stringify(config));
      await runUnwindingChild({ script: 'open-worker-child', args: [file, coordinator], ended: /^(failed|closed)/m, expected });
    }, 120_000);
  }
});
