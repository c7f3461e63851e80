/**
 * The SnapshotStore of the embedded DuckDB database (migration 14): the manifest as JSON text and
 * each dataset's rows as columnar blobs in parts (src/storage/snapshot-columns.ts), inserted in one
 * transaction behind the database's one write queue, never updated. A duplicate name is checked
 * inside that transaction.
 */
import { DuckDBBlobValue, blobValue } from '@duckdb/node-api';
import type { Frame, FrameSchema } from '../../core/index.js';
import { DuplicateSnapshotError, StorageEngineError, decodeSnapshotParts, encodeSnapshotParts } from '../../storage/index.js';
import type { SnapshotDatasetRows, SnapshotManifest, SnapshotPart, SnapshotStore } from '../../storage/index.js';
import type { DatabaseHandle } from './duckdb-database.js';
import { numberOf, textOf } from './row-values.js';

/** The snapshot store of an open database; it shares the database's connections and write queue. */
export function snapshotStoreOn(db: DatabaseHandle): SnapshotStore {
  return new DuckDbSnapshotStore(db);
}

class DuckDbSnapshotStore implements SnapshotStore {
  readonly #db: DatabaseHandle;

  constructor(db: DatabaseHandle) {
    this.#db = db;
  }

  async create(manifest: SnapshotManifest, datasets: readonly SnapshotDatasetRows[]): Promise<void> {
    this.#db.assertOpen('snapshot.create');
    const text = JSON.stringify(manifest);
    await this.#db.transact('snapshot.create', async (conn) => {
      const found = await conn.runAndReadAll('SELECT 1 FROM snapshots WHERE name = $1', [manifest.name]);
      if (found.getRowsJS().length > 0) throw new DuplicateSnapshotError(manifest.name);
      await conn.run('INSERT INTO snapshots (name, created_at_ms, created_by, manifest) VALUES ($1, $2::BIGINT, $3, $4)',
        [manifest.name, manifest.createdAt, manifest.createdBy, text]);
      for (const d of datasets) {
        const parts = encodeSnapshotParts(d.frame);
        for (let i = 0; i < parts.length; i++) {
          await conn.run(
            'INSERT INTO snapshot_datasets (snapshot, node_id, interval_ms, part, schema, rows, columns) VALUES ($1, $2, $3::BIGINT, $4, $5, $6::BIGINT, $7)',
            [manifest.name, d.nodeId, d.intervalMs, i, d.frame.schema.name, parts[i].rows, blobValue(parts[i].bytes)],
          );
        }
      }
    });
  }

  list(): Promise<SnapshotManifest[]> {
    return this.#db.query('snapshot.list', async (conn) => {
      const rows = (await conn.runAndReadAll('SELECT manifest FROM snapshots ORDER BY created_at_ms DESC, name')).getRowsJS();
      const out: SnapshotManifest[] = [];
      for (const row of rows) out.push(decodeManifest(textOf(row[0])));
      return out;
    });
  }

  get(name: string): Promise<SnapshotManifest | undefined> {
    return this.#db.query('snapshot.get', async (conn) => {
      const rows = (await conn.runAndReadAll('SELECT manifest FROM snapshots WHERE name = $1', [name])).getRowsJS();
      return rows.length === 0 ? undefined : decodeManifest(textOf(rows[0][0]));
    });
  }

  readDataset(name: string, nodeId: string, intervalMs: number, schema: FrameSchema): Promise<Frame | undefined> {
    return this.#db.query('snapshot.read', async (conn) => {
      const rows = (await conn.runAndReadAll(
        'SELECT rows::DOUBLE, schema, columns FROM snapshot_datasets WHERE snapshot = $1 AND node_id = $2 AND interval_ms = $3::BIGINT ORDER BY part',
        [name, nodeId, intervalMs],
      )).getRows();
      if (rows.length === 0) return undefined;
      const parts: SnapshotPart[] = [];
      for (const [count, stored, blob] of rows) {
        if (textOf(stored) !== schema.name) {
          throw new StorageEngineError('duckdb', 'snapshot.read', `snapshot ${name} holds ${nodeId} as ${textOf(stored)}, not ${schema.name}`);
        }
        if (!(blob instanceof DuckDBBlobValue)) throw new StorageEngineError('duckdb', 'snapshot.read', 'snapshot columns are not a BLOB');
        parts.push({ rows: numberOf(count), bytes: blob.bytes });
      }
      return decodeSnapshotParts(parts, schema, 'duckdb');
    }, `snapshot ${name} ${nodeId}`);
  }

  async delete(name: string): Promise<boolean> {
    this.#db.assertOpen('snapshot.delete');
    return await this.#db.transact('snapshot.delete', async (conn) => {
      await conn.run('DELETE FROM snapshot_datasets WHERE snapshot = $1', [name]);
      const removed = await conn.runAndReadAll('DELETE FROM snapshots WHERE name = $1 RETURNING name', [name]);
      return removed.getRowsJS().length > 0;
    });
  }
}

/** The stored text is what this store wrote (JSON.stringify of a manifest). */
export function decodeManifest(text: string): SnapshotManifest {
  return JSON.parse(text) as SnapshotManifest;
}
