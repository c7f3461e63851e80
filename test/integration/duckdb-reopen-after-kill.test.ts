/**
 * A DuckDB data directory stays openable after the process that created (and migrated) it was
 * killed: the migrations' ALTER TABLE statements must not be left for a WAL replay, which DuckDB
 * cannot do for a column added with a default ("Failure while replaying WAL file"). A real
 * child process opens a fresh database and is SIGKILLed; this process then reopens the file.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/index.js';
import { openDatabaseHandle } from '../../src/engines/duckdb/internal.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HANDLE = fileURLToPath(new URL('../../src/engines/duckdb/duckdb-database.ts', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => { await Promise.all(cleanups.map((c) => c())); });

describe('a DuckDB database whose process was killed', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('reopens after the process that created and migrated it was killed', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'seamless.duckdb');
    const script = join(dir.path, 'open-and-die.mts');
    await writeFile(script, [
      `import { openDatabaseHandle } from ${JSON.stringify(HANDLE)};`,
      `await openDatabaseHandle(${JSON.stringify(file)}, { now: () => Date.now() });`,
      `process.kill(process.pid, 'SIGKILL');`,
    ].join('\n'));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', script], { cwd: ROOT }, () => undefined);
      child.once('exit', (_code, sig) => resolve(sig));
    });
    expect(signal).toBe('SIGKILL');
    expect(existsSync(file)).toBe(true);
    const handle = await openDatabaseHandle(file, systemClock);
    await handle.close();
  });
});
