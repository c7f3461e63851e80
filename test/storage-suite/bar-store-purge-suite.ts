/**
 * The purge part of the BarStore conformance suite (BarStore.purge, BarStore.repairAudit): every
 * engine removes rows, coverage and findings of a range together in one fenced transaction and
 * records it in the repair audit. Called from describeBarStore, so each engine runs it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA, StaleFencingTokenError, createFrame } from '../../src/core/index.js';
import type { Frame, IngestFinding } from '../../src/core/index.js';
import type { BarStore, DatasetKey, Fence, PurgeRequest } from '../../src/storage/index.js';
import { rejection } from './suite-frames.js';

const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:binance:ETH/USDT', intervalMs: MIN };

function bars(startTs: number, rows: number, seed = 1): Frame {
  const ts = new Float64Array(rows);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    ts[i] = startTs + i * MIN;
    for (let c = 0; c < values.length; c++) values[c][i] = seed * 1000 + i + c / 10;
  }
  return createFrame(OHLCV_SCHEMA, ts, values);
}

function finding(ts: number): IngestFinding {
  return { nodeId: DS.nodeId, intervalMs: MIN, flag: 'duplicate_ts', ts, count: 1, at: 1, detail: 'two rows at one ts' };
}

function purgeOf(start: number, end: number, fences: Fence[] = [], actor = 'ops-admin'): PurgeRequest {
  return { dataset: DS, range: { start, end }, fences, actor, action: 'purge' };
}


export function describeBarStorePurge(name: string, open: () => Promise<BarStore>): void {
  describe(`bar store purge: ${name}`, () => {
    let store: BarStore;
    beforeEach(async () => {
      store = await open();
      // [0, 100) stored with findings at 10 and 60; [100, 120) known empty.
      await store.write({
        dataset: DS, frame: bars(0, 100),
        coverage: [{ start: 0, end: 100 * MIN, state: 'stored' }, { start: 100 * MIN, end: 120 * MIN, state: 'known_empty' }],
        findings: [finding(10 * MIN), finding(60 * MIN)],
      }, OHLCV_SCHEMA);
    });
    afterEach(async () => {
      await store.close();
    });

    it('removes the rows, coverage and findings of the range together and reports what went', async () => {
      const report = await store.purge(purgeOf(50 * MIN, 110 * MIN));
      expect(report.rowsRemoved).toBe(50);
      expect(report.findingsRetired).toBe(1);
      expect(report.coverageRemoved).toEqual([
        { start: 50 * MIN, end: 100 * MIN, state: 'stored' }, { start: 100 * MIN, end: 110 * MIN, state: 'known_empty' },
      ]);
      expect(Array.from((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 120 * MIN })).ts)).toEqual(Array.from(bars(0, 50).ts));
      expect(await store.coverage(DS)).toEqual([
        { start: 0, end: 50 * MIN, state: 'stored' }, { start: 110 * MIN, end: 120 * MIN, state: 'known_empty' },
      ]);
      // The finding at 10 is still in force: a write over [0, 20) supersedes exactly one more.
      const again = await store.purge(purgeOf(0, 20 * MIN));
      expect(again.findingsRetired).toBe(1);
    });

    it('records every purge in the repair audit, newest first, with who, when, what and how much', async () => {
      await store.purge(purgeOf(0, 10 * MIN, [], 'alice'));
      const second = await store.purge({ ...purgeOf(90 * MIN, 120 * MIN, [], 'bob'), action: 'force_backfill' });
      const audit = await store.repairAudit({ limit: 10 });
      expect(audit).toHaveLength(2);
      expect(audit[0]).toEqual(second.audit);
      expect(audit[0]).toMatchObject({
        actor: 'bob', action: 'force_backfill', nodeId: DS.nodeId, intervalMs: MIN, start: 90 * MIN, end: 120 * MIN,
        rowsRemoved: 10, coverageRemoved: { stored: 10, known_empty: 20, failed: 0 },
      });
      expect(audit[1]).toMatchObject({ actor: 'alice', action: 'purge', rowsRemoved: 10, start: 0, end: 10 * MIN });
      expect(audit[0].id).toBeGreaterThan(audit[1].id);
      expect(await store.repairAudit({ limit: 1 })).toEqual([second.audit]);
      expect(await store.repairAudit({ limit: 10, nodeId: 'ohlcv:other' })).toEqual([]);
    });

    it('leaves everything as before when a fence fails mid-purge, after earlier fences were advanced in it', async () => {
      const key = (n: number) => JSON.stringify(['shard', DS.nodeId, MIN, n]);
      await store.advanceFence({ key: key(2), token: 9 });
      const before = { coverage: await store.coverage(DS), rows: (await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 120 * MIN })).length };
      // key(1) is advanced to 5 inside the purge's transaction before key(2)'s stale token stops it.
      const err = await rejection(store.purge(purgeOf(0, 120 * MIN, [{ key: key(1), token: 5 }, { key: key(2), token: 3 }])));
      expect(err).toBeInstanceOf(StaleFencingTokenError);
      expect(err).toMatchObject({ code: 'conflict', token: 3, newest: 9 });
      expect(await store.coverage(DS)).toEqual(before.coverage);
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 120 * MIN })).length).toBe(before.rows);
      expect(await store.repairAudit({ limit: 10 })).toEqual([]);
      // key(1)'s advance rolled back too: a holder of token 4 still writes.
      await store.write({ dataset: DS, frame: bars(0, 1, 7), coverage: [{ start: 0, end: MIN, state: 'stored' }], fence: { key: key(1), token: 4 } }, OHLCV_SCHEMA);
      // Both findings are still in force: a purge of the whole range retires two.
      expect((await store.purge(purgeOf(0, 120 * MIN))).findingsRetired).toBe(2);
    });

    it('refuses the write of a backfill worker whose lease the purge fenced off', async () => {
      const key = JSON.stringify(['shard', DS.nodeId, MIN, 0, 120 * MIN]);
      await store.purge(purgeOf(0, 120 * MIN, [{ key, token: 4 }]));
      const late = await rejection(store.write({ dataset: DS, frame: bars(0, 5, 2), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }], fence: { key, token: 3 } }, OHLCV_SCHEMA));
      expect(late).toBeInstanceOf(StaleFencingTokenError);
      expect(await store.coverage(DS)).toEqual([]);
      await store.write({ dataset: DS, frame: bars(0, 5, 2), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }], fence: { key, token: 5 } }, OHLCV_SCHEMA);
      expect(await store.coverage(DS)).toEqual([{ start: 0, end: 5 * MIN, state: 'stored' }]);
    });

    it('refuses a purge off the grid or inverted, naming the field, and changes nothing', async () => {
      const off = await rejection(store.purge(purgeOf(30_000, 10 * MIN)));
      expect(off).toBeInstanceOf(InvalidRequestError);
      expect((off as InvalidRequestError).field).toBe('start');
      expect(((await rejection(store.purge(purgeOf(0, 10 * MIN + 1)))) as InvalidRequestError).field).toBe('end');
      expect(((await rejection(store.purge(purgeOf(0, 10 * MIN, [], '')))) as InvalidRequestError).field).toBe('actor');
      expect(await rejection(store.purge(purgeOf(10 * MIN, 10 * MIN)))).toMatchObject({ code: 'invalid_request' });
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 120 * MIN })).length).toBe(100);
      expect(await store.repairAudit({ limit: 10 })).toEqual([]);
    });

    it('purges an unknown dataset as a no-op that is still audited', async () => {
      const report = await store.purge({ ...purgeOf(0, 10 * MIN), dataset: { nodeId: 'ohlcv:nowhere', intervalMs: MIN } });
      expect(report).toMatchObject({ rowsRemoved: 0, findingsRetired: 0, coverageRemoved: [] });
      expect(await store.datasets()).toHaveLength(1);
      expect((await store.repairAudit({ limit: 10 }))[0]).toMatchObject({ nodeId: 'ohlcv:nowhere', rowsRemoved: 0 });
    });
  });
}
