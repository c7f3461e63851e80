/**
 * The backfill topology is checked before anything is opened: a gateway that hands its jobs to a
 * remote coordinator (`seamless.backfill.endpoint` a URL) must read the storage the coordinator's
 * workers write to, so it cannot keep its own embedded DuckDB for bars.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/core/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import { RemoteCoordinatorStorageError } from '../../../src/provider/index.js';
import { createSeamless } from '../../../src/app/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('a gateway whose coordinator is another process', () => {
  it('is refused at start when its bars would stay in its own embedded DuckDB, naming seamless.backfill.endpoint and storage.url', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    try {
      // Nothing listens there: the refusal must not depend on reaching the coordinator.
      const start = createSeamless({
        config: { dataDir, seamless: { backfill: { endpoint: 'http://127.0.0.1:9', localWorkers: 0 } } },
        env: {}, logger: silentLogger(),
      });
      const error: unknown = await start.then(
        async (s) => { await s.close(); return undefined; },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RemoteCoordinatorStorageError);
      expect(error).toBeInstanceOf(InvalidRequestError);
      const refusal = error as InvalidRequestError;
      expect(refusal.code).toBe('invalid_request');
      expect(refusal.field).toBe('seamless.backfill.endpoint');
      expect(refusal.message).toContain('seamless.backfill.endpoint');
      expect(refusal.message).toContain('storage.url');
      expect(refusal.message).not.toContain('\n');
      expect(refusal.details).toMatchObject({ keys: ['seamless.backfill.endpoint', 'storage.url'], endpoint: 'http://127.0.0.1:9' });
      // Refused before anything was opened: no database file in the data directory.
      expect(existsSync(join(dataDir, 'seamless.duckdb'))).toBe(false);
    } finally {
      await dir.remove();
    }
  });

  it('is refused whatever the embedded path, ":memory:" included', async () => {
    await expect(createSeamless({
      config: { storage: { path: ':memory:' }, seamless: { backfill: { endpoint: 'http://127.0.0.1:9', localWorkers: 0 } } },
      env: {}, logger: silentLogger(),
    })).rejects.toMatchObject({ code: 'invalid_request', field: 'seamless.backfill.endpoint' });
  });

  it('still starts with the default embedded coordinator on DuckDB', async () => {
    const seamless = await createSeamless({ config: { storage: { path: ':memory:' } }, env: {}, logger: silentLogger() });
    await seamless.close();
    expect(seamless.config.seamless.backfill.endpoint).toBe('embedded');
  });
});
