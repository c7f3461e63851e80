// The door of the DuckDB engine (the embedded database) and its descriptor: one file under the
// data directory (or `:memory:`) providing the bar store, ingest findings, the schema registry
// store, the conformance report archive and the embedded lease store, on one write queue.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { DuckDbStorageConfig } from '../../config/index.js';
import type { EngineDescriptor } from '../../storage/index.js';
import { createEmbeddedDatabase } from './embedded-database.js';
import type { EmbeddedDatabase } from './embedded-database.js';

export { createParquetFrames } from './duckdb-parquet.js';
export type { EmbeddedDatabase } from './embedded-database.js';
export type { ParquetFrames } from './duckdb-parquet.js';

/** The embedded file (relative paths under `dataDir`, created on demand), closed by `resources`. */
export const duckdbEngine: EngineDescriptor<'duckdb', Pick<DuckDbStorageConfig, 'path'>, EmbeddedDatabase> = {
  kind: 'duckdb',
  async open(config, resources, context) {
    const path = config.path === ':memory:' || isAbsolute(config.path) ? config.path : join(context.dataDir, config.path);
    if (path !== ':memory:') mkdirSync(context.dataDir, { recursive: true });
    return resources.adopt(await createEmbeddedDatabase({ path, clock: context.clock }), (db) => db.close());
  },
};
