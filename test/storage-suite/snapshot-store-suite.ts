/**
 * The SnapshotStore conformance suite: every engine keeps a snapshot's manifest and rows whole,
 * returns the rows bit for bit (NaN and -0 included), refuses a second snapshot of a name with
 * nothing written, and deletes a snapshot whole. Each engine's test file calls
 * describeSnapshotStore with a fresh store per test.
 */
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, QUOTE_SCHEMA, createFrame, fingerprintFrame } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import { DuplicateSnapshotError, SNAPSHOT_PART_ROWS } from '../../src/storage/index.js';
import type { SnapshotManifest, SnapshotStore } from '../../src/storage/index.js';
import { ohlcvBars } from './bar-store-suite.js';

const MIN = 60_000;
const T0 = Date.parse('2024-03-01T00:00:00Z');
const BTC = 'ohlcv:binance:BTC/USDT';
const ETH = 'ohlcv:binance:ETH/USDT';

function manifest(name: string, createdAt: number, frames: readonly { nodeId: string; frame: Frame }[]): SnapshotManifest {
  return {
    format: 'seamless-snapshot/1', name, createdAt, createdBy: 'suite', interval: '1m', intervalMs: MIN, start: T0, end: T0 + 100 * MIN,
    strategy: 'fail_fast', fingerprint: 'sha256:' + '0'.repeat(64),
    datasets: frames.map(({ nodeId, frame }) => ({
      nodeId, interval: '1m', intervalMs: MIN, schema: frame.schema.name, rows: frame.length, fingerprint: fingerprintFrame(frame),
      columnHashes: {}, coverage: { ratio: 1, bounds: null, missingRanges: [] }, conformanceReportUri: null,
      versions: { source: 'coverage_write_times', entries: [{ start: T0, end: T0 + 100 * MIN, updatedAt: 5 }] },
    })),
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return expect.unreachable('expected the promise to reject');
}

export function describeSnapshotStore(engine: string, open: () => Promise<SnapshotStore>): void {
  describe(`snapshot store (${engine})`, () => {
    it('returns every dataset of a snapshot with the fingerprint it was written with', async () => {
      const store = await open();
      const btc = ohlcvBars(T0, 100, 1);
      const eth = ohlcvBars(T0, 60, 2);
      const m = manifest('q1', 10, [{ nodeId: BTC, frame: btc }, { nodeId: ETH, frame: eth }]);
      await store.create(m, [{ nodeId: BTC, intervalMs: MIN, frame: btc }, { nodeId: ETH, intervalMs: MIN, frame: eth }]);
      expect(await store.get('q1')).toEqual(m);
      const readBtc = await store.readDataset('q1', BTC, MIN, OHLCV_SCHEMA);
      const readEth = await store.readDataset('q1', ETH, MIN, OHLCV_SCHEMA);
      expect(readBtc && fingerprintFrame(readBtc)).toBe(fingerprintFrame(btc));
      expect(readEth?.length).toBe(60);
      expect(readEth && fingerprintFrame(readEth)).toBe(fingerprintFrame(eth));
    });

    it('returns a dataset stored in many parts whole and in order', async () => {
      const store = await open();
      const big = ohlcvBars(T0, 2 * SNAPSHOT_PART_ROWS + 123, 4);
      await store.create(manifest('big', 1, [{ nodeId: BTC, frame: big }]), [{ nodeId: BTC, intervalMs: MIN, frame: big }]);
      const back = await store.readDataset('big', BTC, MIN, OHLCV_SCHEMA);
      expect(back?.length).toBe(big.length);
      expect(back && fingerprintFrame(back)).toBe(fingerprintFrame(big));
    });

    it('keeps NaN, -0 and an empty dataset bit for bit', async () => {
      const store = await open();
      const ts = new Float64Array([T0, T0 + MIN]);
      const quote = createFrame(QUOTE_SCHEMA, ts, [new Float64Array([Number.NaN, -0]), new Float64Array([1.5, 2]), new Float64Array([0, 1e-300]), new Float64Array([7, 8])]);
      const empty = createFrame(QUOTE_SCHEMA, new Float64Array(0), QUOTE_SCHEMA.columns.map(() => new Float64Array(0)));
      await store.create(manifest('odd', 1, [{ nodeId: 'quote:x', frame: quote }, { nodeId: 'quote:y', frame: empty }]),
        [{ nodeId: 'quote:x', intervalMs: MIN, frame: quote }, { nodeId: 'quote:y', intervalMs: MIN, frame: empty }]);
      const back = await store.readDataset('odd', 'quote:x', MIN, QUOTE_SCHEMA);
      expect(back && fingerprintFrame(back)).toBe(fingerprintFrame(quote));
      expect(Object.is(back?.values[0][1], -0)).toBe(true);
      expect((await store.readDataset('odd', 'quote:y', MIN, QUOTE_SCHEMA))?.length).toBe(0);
    });

    it('refuses a second snapshot of a name and writes nothing of it', async () => {
      const store = await open();
      const first = ohlcvBars(T0, 10, 1);
      await store.create(manifest('dup', 1, [{ nodeId: BTC, frame: first }]), [{ nodeId: BTC, intervalMs: MIN, frame: first }]);
      const other = ohlcvBars(T0, 20, 9);
      const error = await rejection(store.create(manifest('dup', 2, [{ nodeId: ETH, frame: other }]), [{ nodeId: ETH, intervalMs: MIN, frame: other }]));
      expect(error).toBeInstanceOf(DuplicateSnapshotError);
      expect((error as DuplicateSnapshotError).details).toMatchObject({ reason: 'duplicate_snapshot', field: 'name' });
      expect((await store.get('dup'))?.createdAt).toBe(1);
      expect(await store.readDataset('dup', ETH, MIN, OHLCV_SCHEMA)).toBeUndefined();
      expect((await store.readDataset('dup', BTC, MIN, OHLCV_SCHEMA))?.length).toBe(10);
    });

    it('lists newest first, says undefined for what it does not hold, and deletes a snapshot whole', async () => {
      const store = await open();
      const f = ohlcvBars(T0, 5);
      await store.create(manifest('old', 1, [{ nodeId: BTC, frame: f }]), [{ nodeId: BTC, intervalMs: MIN, frame: f }]);
      await store.create(manifest('new', 2, [{ nodeId: BTC, frame: f }]), [{ nodeId: BTC, intervalMs: MIN, frame: f }]);
      expect((await store.list()).map((m) => m.name)).toEqual(['new', 'old']);
      expect(await store.get('none')).toBeUndefined();
      expect(await store.readDataset('old', ETH, MIN, OHLCV_SCHEMA)).toBeUndefined();
      expect(await store.delete('old')).toBe(true);
      expect(await store.delete('old')).toBe(false);
      expect(await store.get('old')).toBeUndefined();
      expect(await store.readDataset('old', BTC, MIN, OHLCV_SCHEMA)).toBeUndefined();
      // The name is free again, and the other snapshot is untouched.
      await store.create(manifest('old', 3, [{ nodeId: ETH, frame: f }]), [{ nodeId: ETH, intervalMs: MIN, frame: f }]);
      expect((await store.readDataset('new', BTC, MIN, OHLCV_SCHEMA))?.length).toBe(5);
    });
  });
}
