/**
 * Embedded (DuckDB) databases for a unit test file, in a temp directory of the file's own: a fresh
 * path per call of `freshPath`, every database `open` opened closed after each test, the
 * directory removed after the file. Call `embeddedDatabases` at the top of the file (it registers
 * the hooks).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createEmbeddedDatabase } from '../../src/engines/duckdb/internal.js';
import type { EmbeddedDatabase } from '../../src/engines/duckdb/index.js';

export interface EmbeddedDatabases {
  /** A path in the file's directory no database has used yet. */
  freshPath(): string;
  /** Opens the database at `path` (a fresh one by default); it is closed after the test. */
  open(path?: string): Promise<EmbeddedDatabase>;
}

export function embeddedDatabases(prefix: string): EmbeddedDatabases {
  let dir = '';
  let counter = 0;
  const opened: EmbeddedDatabase[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const freshPath = (): string => {
    counter += 1;
    return join(dir, `db-${counter}.duckdb`);
  };
  return {
    freshPath,
    open: async (path = freshPath()) => {
      const db = await createEmbeddedDatabase({ path });
      opened.push(db);
      return db;
    },
  };
}
