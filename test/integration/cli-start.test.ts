/**
 * What a `seamless` command loads when it starts. The launcher (bin/seamless.js, as a user runs it)
 * is started with a module hook that records every module resolved (test/fixtures/import-recorder):
 * `--help` and a command that only talks to a gateway (`--url`) load none of the storage engines,
 * servers or exporters (DuckDB, fastify, ws, etcd3, pg, NATS, the OpenTelemetry SDK, ccxt,
 * date-holidays): each cost start time at every invocation (about 1.3 s of CPU for `--help`
 * before, 0.5 s after, on the 2-core test machine). A command that opens a data directory still
 * loads DuckDB, which is also what shows that the recorder sees the packages loaded.
 *
 * The launcher's bundle holds the pure-JavaScript packages every start needs (scripts/cli-bundle.mjs),
 * so a package is loaded either from node_modules (recorded by its path) or inside a chunk of the
 * bundle: each chunk loaded counts the packages its source map lists.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import type { CliRun } from '../helpers/cli-run.js';
import { cliWorkspaces } from '../helpers/cli-run.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const LAUNCHER = fileURLToPath(new URL('../../bin/seamless.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('../fixtures/import-recorder/record-imports.mjs', import.meta.url));
/** Packages a command that opens no data directory has no use for. */
const HEAVY = ['@duckdb/node-api', 'fastify', 'ws', 'etcd3', 'pg', '@nats-io/transport-node', '@opentelemetry/sdk-trace-base', 'ccxt', 'date-holidays'];

const workspace = cliWorkspaces('seamless-cli-start-');

/** `seamless ...args` through the launcher with the recorder; the packages it loaded, by name. */
async function packagesLoadedBy(args: readonly string[]): Promise<CliRun & { packages: Set<string> }> {
  const cwd = await workspace();
  const log = join(cwd, 'imports.log');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  Object.assign(env, { SEAMLESS_DATA_DIR: join(cwd, 'data'), IMPORT_RECORDER_LOG: log });
  const run = await new Promise<CliRun>((resolve) => {
    execFile(process.execPath, ['--import', RECORDER, LAUNCHER, ...args], { cwd, env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
  const urls = (await readFile(log, 'utf8').catch(() => '')).split('\n');
  const packages = new Set<string>();
  const add = (path: string): void => {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (m?.[1] !== undefined) packages.add(m[1]);
  };
  for (const url of urls) {
    if (/\/\.cli-build\/[^/]+\/[^/]+\.mjs$/.test(url)) {
      const map = JSON.parse(await readFile(`${fileURLToPath(url)}.map`, 'utf8')) as { sources: string[] };
      for (const source of map.sources) add(`/${source}`);
    } else {
      add(url);
    }
  }
  return { ...run, packages };
}

describe('what a seamless command loads at start', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  const gateway = gatewayForSuite((dir) => ({ config: { ...demoConfig(), dataDir: dir } }));

  it('prints --help without loading a storage engine, a server or an exporter', async ({ expect }) => {
    const run = await packagesLoadedBy(['--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: seamless');
    expect(run.packages).toContain('commander');
    expect(HEAVY.filter((p) => run.packages.has(p))).toEqual([]);
  });

  it('lists a gateway\'s datasets with --url without loading them either', async ({ expect }) => {
    const run = await packagesLoadedBy(['datasets', '--url', gateway.url, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('ohlcv:demo:BTC-USD');
    expect(HEAVY.filter((p) => run.packages.has(p))).toEqual([]);
  });

  it('loads DuckDB for a command that opens the data directory', async ({ expect }) => {
    const run = await packagesLoadedBy(['datasets', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('ohlcv:demo:BTC-USD');
    expect(run.packages).toContain('@duckdb/node-api');
  });
});
