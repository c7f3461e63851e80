/**
 * The embedded DuckDB snapshot store (migration 14) through the shared snapshot store suite, on a
 * file and in memory, and a snapshot surviving a reopen of its file.
 */
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, fingerprintFrame } from '../../../../src/core/index.js';
import { ohlcvBars } from '../../../storage-suite/bar-store-suite.js';
import { describeSnapshotStore } from '../../../storage-suite/snapshot-store-suite.js';
import { embeddedDatabases } from '../../../helpers/embedded-databases.js';

const { freshPath, open } = embeddedDatabases('seamless-snapshots-');

describeSnapshotStore('duckdb (file)', async () => (await open(freshPath())).snapshots);
describeSnapshotStore('duckdb (:memory:)', async () => (await open(':memory:')).snapshots);

describe('duckdb snapshot store on a file', () => {
  it('reads a snapshot back identically after the database is closed and reopened', async () => {
    const path = freshPath();
    const first = await open(path);
    const frame = ohlcvBars(Date.parse('2024-01-01T00:00:00Z'), 500, 3);
    const manifest = {
      format: 'seamless-snapshot/1' as const, name: 'kept', createdAt: 1, createdBy: 't', interval: '1m', intervalMs: 60_000, start: 0, end: 1,
      strategy: 'fail_fast', fingerprint: fingerprintFrame(frame), datasets: [],
    };
    await first.snapshots.create(manifest, [{ nodeId: 'n', intervalMs: 60_000, frame }]);
    await first.close();
    const again = await open(path);
    const back = await again.snapshots.readDataset('kept', 'n', 60_000, OHLCV_SCHEMA);
    expect(back && fingerprintFrame(back)).toBe(fingerprintFrame(frame));
    expect(await again.snapshots.get('kept')).toEqual(manifest);
  });
});
