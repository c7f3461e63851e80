/**
 * The setup the raw-baseline benches share: a scratch directory removed at the end whatever
 * happens, and a store opened on a DuckDB file beside a byte copy of that file opened raw (one
 * process opens a DuckDB file once, so the raw reads need their own copy: same bytes, same rows).
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openRawDuckDb } from './raw-duckdb.js';
import type { RawDuckDb } from './raw-duckdb.js';

/** Runs `fn` in a fresh directory under the OS temp dir (`prefix` names it), removed afterwards. */
export async function inTempDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Copies the DuckDB file `path` to `raw.duckdb` beside it, opens the store (`openStore`, on
 * `path`) and the copy raw (read-only unless `readOnly` is false), runs `fn`, then closes the raw
 * copy and the store.
 */
export async function withRawCopy<S extends { close(): Promise<void> }>(
  path: string, openStore: () => Promise<S>, fn: (store: S, raw: RawDuckDb) => Promise<void>, readOnly = true,
): Promise<void> {
  const rawPath = join(dirname(path), 'raw.duckdb');
  await copyFile(path, rawPath);
  const store = await openStore();
  try {
    const raw = await openRawDuckDb(rawPath, readOnly);
    try {
      await fn(store, raw);
    } finally {
      raw.close();
    }
  } finally {
    await store.close();
  }
}
