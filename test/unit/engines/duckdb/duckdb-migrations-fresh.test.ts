/**
 * A new database takes every migration in one transaction (one checkpoint instead of one per
 * migration); it must end with exactly the schema that applying them one at a time gives, and a
 * database part-way up must still take the rest one at a time.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { DUCKDB_MIGRATIONS, migrate } from '../../../../src/engines/duckdb/internal.js';

async function withMemoryDb<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Every table's columns with types, defaults and nullability, and every index, in a stable order. */
async function schemaOf(conn: DuckDBConnection): Promise<unknown[][]> {
  const columns = (await conn.runAndReadAll(`SELECT table_name, column_name, data_type, column_default, is_nullable
    FROM information_schema.columns WHERE table_schema = 'main' ORDER BY table_name, ordinal_position`)).getRowsJS();
  const indexes = (await conn.runAndReadAll("SELECT table_name, index_name, sql FROM duckdb_indexes() ORDER BY table_name, index_name")).getRowsJS();
  const constraints = (await conn.runAndReadAll(`SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints()
    WHERE schema_name = 'main' ORDER BY table_name, constraint_type, constraint_text`)).getRowsJS();
  return [...columns, ...indexes, ...constraints];
}

describe('duckdb migrations on a new database', () => {
  it('applies all of them at once and ends with the schema of applying them one at a time', async () => {
    const oneShot = await withMemoryDb(async (conn) => {
      expect(await migrate(conn)).toEqual(DUCKDB_MIGRATIONS.map((m) => m.version));
      return schemaOf(conn);
    });
    const stepwise = await withMemoryDb(async (conn) => {
      for (const m of DUCKDB_MIGRATIONS) {
        expect(await migrate(conn, DUCKDB_MIGRATIONS.filter((x) => x.version <= m.version))).toEqual([m.version]);
      }
      return schemaOf(conn);
    });
    expect(oneShot.length).toBeGreaterThan(20);
    expect(oneShot).toEqual(stepwise);
  });

  it('takes the remaining migrations of a database part-way up, and none on the next open', async () => {
    await withMemoryDb(async (conn) => {
      const half = DUCKDB_MIGRATIONS[Math.floor(DUCKDB_MIGRATIONS.length / 2)].version;
      await migrate(conn, DUCKDB_MIGRATIONS.filter((m) => m.version <= half));
      expect(await migrate(conn)).toEqual(DUCKDB_MIGRATIONS.filter((m) => m.version > half).map((m) => m.version));
      expect(await migrate(conn)).toEqual([]);
    });
  });
});
