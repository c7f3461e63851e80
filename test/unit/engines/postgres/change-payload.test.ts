/**
 * The change notification payload (src/engines/postgres/postgres-change-notify.ts): what a write
 * announces round-trips; a payload too long for NOTIFY announces the whole dataset instead; what
 * this version cannot read decodes to undefined (the listener then resyncs).
 */
import { describe, expect, it } from 'vitest';
import { PAYLOAD_LIMIT_BYTES, decodeChange, encodeChange } from '../../../../src/engines/postgres/internal.js';
import type { StorageChange } from '../../../../src/storage/index.js';

const CHANGE: StorageChange = {
  kind: 'write', dataset: { nodeId: 'ohlcv:binance:BTC/USDT', intervalMs: 60_000 }, range: { start: 0, end: 300_000 },
  origin: 'gw-a:123:abcd', seq: 7, committedAt: 1_765_000_000_000,
};

describe('change notification payload', () => {
  it('round-trips a write and a purge, with or without a range', () => {
    expect(decodeChange(encodeChange(CHANGE))).toEqual(CHANGE);
    const purge: StorageChange = { ...CHANGE, kind: 'purge', range: undefined };
    expect(decodeChange(encodeChange(purge))).toEqual(purge);
  });

  it('keeps node ids with colons, slashes and non-ASCII characters whole', () => {
    const change = { ...CHANGE, dataset: { nodeId: 'ohlcv:kraken:ÉTH/€UR "x"', intervalMs: 60_000 } };
    expect(decodeChange(encodeChange(change))).toEqual(change);
  });

  it('announces the whole dataset, from an unknown origin, when the payload would pass the NOTIFY limit', () => {
    const long = { ...CHANGE, origin: 'o'.repeat(PAYLOAD_LIMIT_BYTES - 40) };
    const payload = encodeChange(long);
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(PAYLOAD_LIMIT_BYTES);
    expect(decodeChange(payload)).toEqual({ ...long, range: undefined, origin: '' });
  });

  it('reads nothing it does not understand', () => {
    for (const payload of ['', 'not json', '{}', '[2,"w","n",60000,0,1,"o",1,1]', '[1,"x","n",60000,0,1,"o",1,1]', '[1,"w","n",60000,0,null,"o",1,1]', '[1,"w",5,60000,0,1,"o",1,1]']) {
      expect(decodeChange(payload), payload).toBeUndefined();
    }
  });
});
