/**
 * DuckDB migrations survive a crash right after they commit: a child process applies them to a
 * file and is SIGKILLed before any checkpoint, so the next open replays them from the WAL. A
 * statement whose WAL replay fails (DuckDB 1.5 cannot replay `ALTER TABLE … ADD COLUMN` on a
 * table with a `nextval` default) leaves a data directory that no Seamless can open again.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUCKDB_MIGRATIONS } from '../../../../src/engines/duckdb/internal.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../src/engines/duckdb/duckdb-migrations.ts', import.meta.url));
const LATEST = DUCKDB_MIGRATIONS[DUCKDB_MIGRATIONS.length - 1].version;

let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir('seamless-duckdb-crash-');
});
afterAll(async () => {
  await dir.remove();
});

/**
 * In a child process: migrates `path` up to `checkpointed` and checkpoints it, then applies the
 * rest (with one background shard row, so tables are rewritten with data) and SIGKILLs itself.
 */
async function migrateThenCrash(path: string, checkpointed: number): Promise<NodeJS.Signals | null> {
  const script = [
    "import { DuckDBInstance } from '@duckdb/node-api';",
    `import { DUCKDB_MIGRATIONS, migrate } from ${JSON.stringify(MIGRATIONS)};`,
    `const db = await DuckDBInstance.create(${JSON.stringify(path)});`,
    'const conn = await db.connect();',
    `await migrate(conn, DUCKDB_MIGRATIONS.filter((m) => m.version <= ${checkpointed}));`,
    `if (${checkpointed} >= 7) await conn.run("INSERT INTO backfill_shards (key, node_id, interval_ms, start_ms, end_ms, state, token, attempts, not_before_ms, rows_written, updated_at_ms) VALUES ('k', 'n', 60000, 0, 60000, 'pending', 0, 0, 0, 0, 0)");`,
    "await conn.run('CHECKPOINT');",
    'await migrate(conn);',
    "process.kill(process.pid, 'SIGKILL');",
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../../../..', import.meta.url)), stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, s) => resolve(s)));
  if (signal !== 'SIGKILL') throw new Error(`the migrating child did not reach its SIGKILL: ${stderr}`);
  return signal;
}

async function reopen(path: string): Promise<{ versions: number[]; columns: string[]; shards: unknown[][] }> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const versions = (await conn.runAndReadAll('SELECT version FROM schema_migrations ORDER BY version')).getRowsJS().map((r) => Number(r[0]));
    const columns = (await conn.runAndReadAll("SELECT column_name FROM information_schema.columns WHERE table_name = 'backfill_shards' ORDER BY ordinal_position")).getRowsJS().map((r) => String(r[0]));
    const shards = (await conn.runAndReadAll('SELECT key, seq::DOUBLE, state, priority, rank::DOUBLE FROM backfill_shards')).getRowsJS();
    return { versions, columns, shards };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('duckdb migrations after a crash', () => {
  it.each([0, 7, LATEST - 1])('reopens a file killed right after migrating from version %i, with every migration applied', async (from) => {
    const path = join(dir.path, `from-${from}.duckdb`);
    await migrateThenCrash(path, from);
    const back = await reopen(path);
    expect(back.versions).toEqual(DUCKDB_MIGRATIONS.map((m) => m.version));
    expect(back.columns).toEqual(expect.arrayContaining(['key', 'seq', 'priority', 'rank', 'known_empty']));
    // A shard stored before the upgrade keeps its row and takes the defaults (background, rank 0).
    expect(back.shards).toEqual(from >= 7 ? [['k', 1, 'pending', 1, 0]] : []);
  }, 60_000);
});
