import { describe, expect, it } from 'vitest';
import { DEFAULT_STORAGE_VERSION_RETENTION_MS, loadConfig } from '../../../src/config/index.js';
import type { SeamlessConfigInput } from '../../../src/config/index.js';

const URL = 'postgres://seamless:secret@db.internal:5432/seamless';

function storage(input: SeamlessConfigInput['storage'], env: Record<string, string> = {}) {
  return loadConfig({ input: { storage: input }, env }).config.storage;
}

describe('storage configuration', () => {
  it('defaults to the embedded engine, whose member carries only its file path and the version retention', () => {
    expect(storage(undefined)).toEqual({ engine: 'duckdb', path: 'seamless.duckdb', versionRetentionMs: DEFAULT_STORAGE_VERSION_RETENTION_MS });
  });

  it('gives the postgres member the pool settings at their defaults', () => {
    expect(storage({ url: URL })).toEqual({
      engine: 'postgres', path: 'seamless.duckdb', url: URL, pool: { max: 10 }, connectTimeoutMs: 5000, versionRetentionMs: DEFAULT_STORAGE_VERSION_RETENTION_MS,
      maxReplicaLagMs: 5000, replicaRetryMs: 5000,
    });
  });

  it('still accepts the PostgreSQL-only keys beside the embedded engine, as before the union, and drops them', () => {
    expect(storage({ engine: 'duckdb', pool: { max: 3 }, connectTimeoutMs: 1500 })).toEqual({ engine: 'duckdb', path: 'seamless.duckdb', versionRetentionMs: DEFAULT_STORAGE_VERSION_RETENTION_MS });
  });

  it('selects postgres from a url given without an engine', () => {
    expect(storage({ url: URL })).toMatchObject({ engine: 'postgres', url: URL });
  });

  it('takes engine, url, pool size and connect timeout together', () => {
    expect(storage({ engine: 'postgres', url: 'postgresql://u@h/db', pool: { max: 3 }, connectTimeoutMs: 1500 }))
      .toMatchObject({ engine: 'postgres', url: 'postgresql://u@h/db', pool: { max: 3 }, connectTimeoutMs: 1500 });
  });

  it('names storage.url when engine is postgres and no url is given', () => {
    expect(() => storage({ engine: 'postgres' })).toThrow(expect.objectContaining({
      code: 'invalid_request', field: 'storage.url', message: expect.stringContaining('required when storage.engine is postgres'),
    }));
  });

  it('refuses a url next to engine duckdb, naming both keys', () => {
    expect(() => storage({ engine: 'duckdb', url: URL })).toThrow(expect.objectContaining({
      field: 'storage.url', message: expect.stringContaining('storage.engine is duckdb'),
    }));
  });

  it('refuses a url that is not postgres://', () => {
    expect(() => storage({ url: 'mysql://u@h/db' })).toThrow(expect.objectContaining({ field: 'storage.url' }));
  });

  it('refuses a non-positive pool size and an unknown storage key', () => {
    expect(() => storage({ url: URL, pool: { max: 0 } })).toThrow(expect.objectContaining({ field: 'storage.pool.max' }));
    expect(() => storage({ url: URL, poolMax: 3 } as SeamlessConfigInput['storage'])).toThrow(expect.objectContaining({ message: expect.stringContaining('poolMax') }));
  });

  it('reads SEAMLESS_STORAGE_URL, which selects postgres on its own', () => {
    expect(storage(undefined, { SEAMLESS_STORAGE_URL: URL })).toMatchObject({ engine: 'postgres', url: URL });
  });
});

describe('storage.versionRetentionMs', () => {
  it('keeps superseded versions 30 days unless told, and refuses less than a minute naming the key', () => {
    expect(storage({ versionRetentionMs: 3_600_000 })).toMatchObject({ versionRetentionMs: 3_600_000 });
    expect(() => storage({ versionRetentionMs: 5 })).toThrow(/storage\.versionRetentionMs/);
  });
});

describe('storage.readUrl (read replicas)', () => {
  const STANDBY = 'postgres://seamless:secret@standby.internal:5432/seamless';

  it('takes a standby URL beside storage.url, with its lag bound and retry, or SEAMLESS_STORAGE_READ_URL', () => {
    expect(storage({ url: URL, readUrl: STANDBY, maxReplicaLagMs: 2_000, replicaRetryMs: 1_000 }))
      .toMatchObject({ engine: 'postgres', url: URL, readUrl: STANDBY, maxReplicaLagMs: 2_000, replicaRetryMs: 1_000 });
    expect(storage({ url: URL }, { SEAMLESS_STORAGE_READ_URL: STANDBY })).toMatchObject({ readUrl: STANDBY });
  });

  it('refuses a standby without a primary, naming storage.readUrl', () => {
    expect(() => storage({ readUrl: STANDBY })).toThrow(expect.objectContaining({
      field: 'storage.readUrl', message: expect.stringContaining('storage.url, which is not set'),
    }));
  });

  it('refuses a standby URL that is not postgres://, and a lag bound that is not a positive integer', () => {
    expect(() => storage({ url: URL, readUrl: 'standby.internal:5432' })).toThrow(expect.objectContaining({ field: 'storage.readUrl' }));
    expect(() => storage({ url: URL, readUrl: STANDBY, maxReplicaLagMs: 0 })).toThrow(expect.objectContaining({ field: 'storage.maxReplicaLagMs' }));
  });
});
