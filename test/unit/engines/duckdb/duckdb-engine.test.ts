/**
 * The DuckDB engine descriptor: opens the embedded file under the data directory and registers
 * its close on the resource stack, so disposing the stack is what closes it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceStack, systemClock } from '../../../../src/core/index.js';
import { duckdbEngine } from '../../../../src/engines/duckdb/index.js';
import { StorageEngineError } from '../../../../src/storage/index.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const DS = { nodeId: 'ohlcv:test:ENGINE', intervalMs: 60_000 };

describe('duckdb engine descriptor', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('opens a relative path under the data directory, creating the directory', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const dataDir = join(dir.path, 'data');
    const resources = new ResourceStack();
    cleanups.push(() => resources.disposeAsync());
    const db = await duckdbEngine.open({ path: 'bars.duckdb' }, resources, { clock: systemClock, dataDir });
    expect(await db.bars.coverage(DS)).toEqual([]);
    expect(existsSync(join(dataDir, 'bars.duckdb'))).toBe(true);
  });

  it('is closed by disposing the resource stack it was opened on, and the file opens again', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const resources = new ResourceStack();
    const db = await duckdbEngine.open({ path: 'bars.duckdb' }, resources, { clock: systemClock, dataDir: dir.path });
    await resources.disposeAsync();
    await expect(db.bars.coverage(DS)).rejects.toBeInstanceOf(StorageEngineError);
    const again = new ResourceStack();
    cleanups.push(() => again.disposeAsync());
    const reopened = await duckdbEngine.open({ path: 'bars.duckdb' }, again, { clock: systemClock, dataDir: dir.path });
    expect(await reopened.bars.coverage(DS)).toEqual([]);
  });
});
