/**
 * The SnapshotStore in PostgreSQL (migration 8): the manifest as JSON text and each dataset's
 * rows as columnar BYTEA parts (src/storage/snapshot-columns.ts), inserted in one transaction and
 * never updated. The name is claimed first with ON CONFLICT DO NOTHING, so two processes creating
 * the same name race safely: the loser gets DuplicateSnapshotError and writes nothing.
 */
import type { Frame, FrameSchema } from '../../core/index.js';
import { DuplicateSnapshotError, StorageEngineError, decodeSnapshotParts, encodeSnapshotParts } from '../../storage/index.js';
import type { SnapshotDatasetRows, SnapshotManifest, SnapshotPart, SnapshotStore } from '../../storage/index.js';
import type { PgDatabase } from './postgres-database.js';

export function createPgSnapshotStore(db: PgDatabase): SnapshotStore {
  return new PgSnapshotStore(db);
}

class PgSnapshotStore implements SnapshotStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async create(manifest: SnapshotManifest, datasets: readonly SnapshotDatasetRows[]): Promise<void> {
    this.#db.assertOpen('snapshot.create');
    const text = JSON.stringify(manifest);
    await this.#db.transact('snapshot.create', async (client) => {
      const claimed = await client.query(
        'INSERT INTO snapshots (name, created_at_ms, created_by, manifest) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING name',
        [manifest.name, manifest.createdAt, manifest.createdBy, text],
      );
      if (claimed.rowCount !== 1) throw new DuplicateSnapshotError(manifest.name);
      for (const d of datasets) {
        const parts = encodeSnapshotParts(d.frame);
        for (let i = 0; i < parts.length; i++) {
          const { rows, bytes } = parts[i];
          await client.query(
            'INSERT INTO snapshot_datasets (snapshot, node_id, interval_ms, part, schema, rows, columns) VALUES ($1, $2, $3, $4, $5, $6, $7)',
            [manifest.name, d.nodeId, d.intervalMs, i, d.frame.schema.name, rows, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
          );
        }
      }
    });
  }

  list(): Promise<SnapshotManifest[]> {
    return this.#db.query('snapshot.list', async (client) => {
      const result = await client.query<{ manifest: string }>('SELECT manifest FROM snapshots ORDER BY created_at_ms DESC, name');
      const out: SnapshotManifest[] = [];
      for (const row of result.rows) out.push(JSON.parse(row.manifest) as SnapshotManifest);
      return out;
    });
  }

  get(name: string): Promise<SnapshotManifest | undefined> {
    return this.#db.query('snapshot.get', async (client) => {
      const result = await client.query<{ manifest: string }>('SELECT manifest FROM snapshots WHERE name = $1', [name]);
      return result.rows.length === 0 ? undefined : JSON.parse(result.rows[0].manifest) as SnapshotManifest;
    });
  }

  readDataset(name: string, nodeId: string, intervalMs: number, schema: FrameSchema): Promise<Frame | undefined> {
    return this.#db.query('snapshot.read', async (client) => {
      const result = await client.query<{ rows: number; schema: string; columns: Buffer }>(
        'SELECT rows::float8 AS rows, schema, columns FROM snapshot_datasets WHERE snapshot = $1 AND node_id = $2 AND interval_ms = $3 ORDER BY part',
        [name, nodeId, intervalMs],
      );
      if (result.rows.length === 0) return undefined;
      const parts: SnapshotPart[] = [];
      for (const row of result.rows) {
        if (row.schema !== schema.name) throw new StorageEngineError('postgres', 'snapshot.read', `snapshot ${name} holds ${nodeId} as ${row.schema}, not ${schema.name}`);
        parts.push({ rows: row.rows, bytes: row.columns });
      }
      return decodeSnapshotParts(parts, schema, 'postgres');
    });
  }

  async delete(name: string): Promise<boolean> {
    this.#db.assertOpen('snapshot.delete');
    return await this.#db.transact('snapshot.delete', async (client) => {
      await client.query('DELETE FROM snapshot_datasets WHERE snapshot = $1', [name]);
      const removed = await client.query('DELETE FROM snapshots WHERE name = $1', [name]);
      return removed.rowCount === 1;
    });
  }
}
