/**
 * `seamless fetch … | head`: a reader that closes the pipe before the output ends. The CLI ends
 * quietly with exit code 0, as a Unix tool ended by SIGPIPE does, instead of an unhandled EPIPE
 * error with a stack trace on stderr.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEAMLESS_CLI } from '../harness/seamless-cli.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { cliWorkspaces } from '../helpers/cli-run.js';

const workspace = cliWorkspaces('seamless-cli-pipe-');

describe('a seamless command whose reader goes away', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('ends with exit code 0 and nothing on stderr when stdout is closed after the first chunk', async () => {
    const cwd = await workspace();
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
    env.SEAMLESS_DATA_DIR = join(cwd, 'data');
    // Three days of 1m bars as CSV: about 400 kB, several times what a pipe holds.
    const child = spawn(process.execPath, [
      SEAMLESS_CLI, 'fetch', '--node', 'ohlcv:demo:BTC-USD', '--interval', '1m',
      '--start', '2024-01-02T00:00:00Z', '--end', '2024-01-05T00:00:00Z', '--format', 'csv',
    ], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    let first = '';
    child.stdout.once('data', (chunk: Buffer) => {
      first = chunk.toString('utf8');
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(first.startsWith('ts,open,high,low,close,volume')).toBe(true);
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
