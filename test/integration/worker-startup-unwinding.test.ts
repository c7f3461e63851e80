/**
 * A `seamless worker` is opened by the composition root (app `openWorker`) on one ResourceStack:
 * a start that fails after tracing, the upstream budgets and sources opened closes them, and a
 * started worker's close() is the same unwinding (its loops stop though the coordinator never
 * answered). Each case runs the worker in a child process that never calls process.exit: once its
 * stdin ends it must exit by itself (a leaked loop, timer or socket would keep it running).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import { exited } from '../harness/server-process.js';
import { trackChild } from '../harness/leftovers.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const CHILD = join(import.meta.dirname, '../harness/open-worker-child.ts');
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
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, coordinator], { stdio: ['pipe', 'pipe', 'pipe'] });
      trackChild(child);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
      child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
      try {
        await until(() => /^(failed|closed)/m.test(output) || child.exitCode !== null, `the child's start to end (output: ${output})`, 60_000);
        expect(output).toMatch(expected);
        child.stdin.end();
        await until(() => child.exitCode !== null || child.signalCode !== null, `the child to exit by itself once its stdin ended (output: ${output})`, 30_000);
        expect(child.exitCode).toBe(0);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited(child);
      }
    }, 120_000);
  }
});
