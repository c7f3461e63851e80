/**
 * The DuckDB as-of read through its in-process version index (duckdb-version-index.ts) against
 * the same read through SQL alone (`versionIndex: false`, the path it replaces): on random
 * write/restate/purge histories, with as-of reads between the writes (so the index is loaded in
 * the middle of a history and then kept in step by the writes), every answer is byte-identical:
 * the same rows, values, versions and newest version time. Then the index's own rules (the
 * in-flight mark, loads and unguarded reads refused when a write began) and the grid ordering of
 * the UNION ALL rows, and migration 15 (bar_versions.whole_span) on a file written before it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../../../src/core/index.js';
import type { Frame, TimeRange } from '../../../../src/core/index.js';
import { createManualClock } from '../../../../src/core/internal.js';
import { DUCKDB_MIGRATIONS, DuckDbVersionIndex, VersionColumns, createDuckDbBarStore, migrate, orderByTs } from '../../../../src/engines/duckdb/internal.js';
import type { AsOfFrame, BarStore, DatasetKey } from '../../../../src/storage/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

function bars(firstBar: number, rows: number, seed: number): Frame {
  const ts = new Float64Array(rows);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    ts[i] = (firstBar + i) * MIN;
    // A NaN now and then: the paths must agree on them too.
    for (let c = 0; c < values.length; c++) values[c][i] = (seed + i + c) % 7 === 0 ? Number.NaN : seed * 1000 + firstBar + i + c / 10;
  }
  return createFrame(OHLCV_SCHEMA, ts, values);
}

/** Every column's bytes, the versions and the newest version time: what byte-identical means here. */
function bytesOf(answer: AsOfFrame): unknown {
  const columns = [answer.frame.ts, ...answer.frame.values].map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('hex'));
  return { columns, versions: answer.versions, newestVersionAt: answer.newestVersionAt };
}

type Op =
  | { readonly type: 'write'; readonly from: number; readonly rows: number; readonly extra: number; readonly gap: number; readonly seed: number; readonly step: number }
  | { readonly type: 'purge'; readonly from: number; readonly to: number; readonly step: number };

/** Clock steps in ms before each op: mostly forward, sometimes none (several versions in one ms), now and then backwards. */
const stepArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -4, max: -1 }) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  // gap > 0: a second, empty claim that far after the first (the write does not replace its whole span).
  { weight: 4, arbitrary: fc.record({ type: fc.constant('write' as const), from: fc.integer({ min: 0, max: 20 }), rows: fc.integer({ min: 0, max: 8 }), extra: fc.integer({ min: 0, max: 3 }), gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 })), seed: fc.integer({ min: 1, max: 9 }), step: stepArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('purge' as const), from: fc.integer({ min: 0, max: 24 }), to: fc.integer({ min: 1, max: 28 }), step: stepArb }) },
);
/** A read: a range in minutes (possibly empty) and a time relative to the history (see `timeOf`). */
const probeArb = fc.record({ from: fc.integer({ min: 0, max: 26 }), length: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 30 })), when: fc.integer({ min: -2, max: 40 }) });

describe('DuckDB as-of reads through the version index', () => {
  const clock = createManualClock(T0);
  let indexed: BarStore;
  let bySql: BarStore;
  beforeAll(async () => {
    indexed = await createDuckDbBarStore({ path: ':memory:', clock });
    bySql = await createDuckDbBarStore({ path: ':memory:', clock, versionIndex: false });
  });
  afterAll(async () => {
    await indexed.close();
    await bySql.close();
  });

  async function both(dataset: DatasetKey, range: TimeRange, asOf: number): Promise<[unknown, unknown]> {
    const a = await indexed.readAsOf?.(dataset, OHLCV_SCHEMA, range, asOf);
    const b = await bySql.readAsOf?.(dataset, OHLCV_SCHEMA, range, asOf);
    if (a === undefined || b === undefined) throw new TypeError('the DuckDB bar store has no readAsOf');
    return [bytesOf(a), bytesOf(b)];
  }

  it('answers every as_of read byte for byte as the SQL path does (random histories, reads between the writes)', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 8 }), fc.array(probeArb, { minLength: 1, maxLength: 5 }), async (ops, probes) => {
      run += 1;
      const dataset: DatasetKey = { nodeId: `ohlcv:index:${run}`, intervalMs: MIN };
      const times: number[] = [clock.now()];
      // Negative: before the history; 2i: at op i's time, 2i + 1 just before it; past the ops: after the newest version.
      const timeOf = (when: number): number => {
        if (when < 0) return times[0] - 1;
        const i = when >> 1;
        return i >= times.length ? times[times.length - 1] + 1_000 : times[i] - (when & 1);
      };
      const check = async (): Promise<void> => {
        for (const p of probes) {
          const [a, b] = await both(dataset, { start: p.from * MIN, end: (p.from + p.length) * MIN }, timeOf(p.when));
          expect(a).toEqual(b);
        }
      };
      for (const op of ops) {
        clock.advance(op.step);
        for (const store of [indexed, bySql]) {
          if (op.type === 'write') {
            const end = op.from + op.rows + op.extra;
            const claims = [{ start: op.from * MIN, end: end * MIN, state: 'stored' as const }];
            if (op.gap > 0) claims.push({ start: (end + op.gap) * MIN, end: (end + op.gap + 2) * MIN, state: 'stored' as const });
            if (end > op.from) await store.write({ dataset, frame: bars(op.from, op.rows, op.seed), coverage: claims }, OHLCV_SCHEMA);
          } else if (op.to > op.from) {
            await store.purge({ dataset, range: { start: op.from * MIN, end: op.to * MIN }, fences: [], actor: 'prop', action: 'purge' });
          }
        }
        times.push(clock.now());
        await check();
      }
      await check();
    }), { numRuns: 30 });
  });

  it('reads the rows a later write with a gap between its claims left in place, as of before that write', async () => {
    const dataset: DatasetKey = { nodeId: 'ohlcv:index:gap', intervalMs: MIN };
    const stored = (from: number, to: number) => ({ start: from * MIN, end: to * MIN, state: 'stored' as const });
    for (const store of [indexed, bySql]) await store.write({ dataset, frame: bars(0, 10, 1), coverage: [stored(0, 10)] }, OHLCV_SCHEMA);
    const before = clock.now();
    clock.advance(5);
    // Claims [0, 2) and [8, 10): the bars of [2, 8) stay those of the first write.
    const second = createFrame(OHLCV_SCHEMA, Float64Array.of(0, MIN, 8 * MIN, 9 * MIN), bars(0, 10, 2).values.map((v) => Float64Array.of(v[0], v[1], v[8], v[9])));
    for (const store of [indexed, bySql]) await store.write({ dataset, frame: second, coverage: [stored(0, 2), stored(8, 10)] }, OHLCV_SCHEMA);
    for (const range of [{ start: 0, end: 10 * MIN }, { start: 2 * MIN, end: 8 * MIN }, { start: MIN, end: 9 * MIN }]) {
      const [a, b] = await both(dataset, range, before);
      expect(a).toEqual(b);
      expect((await indexed.readAsOf?.(dataset, OHLCV_SCHEMA, range, before))?.frame.length).toBe((range.end - range.start) / MIN);
    }
  });

  it('answers an as_of read racing a restatement with the state before it or after it, never a mix', async () => {
    const dataset: DatasetKey = { nodeId: 'ohlcv:index:race', intervalMs: MIN };
    const range = { start: 0, end: 120 * MIN };
    const claim = [{ ...range, state: 'stored' as const }];
    clock.set(T0 + 1e9);
    const first = await indexed.write({ dataset, frame: bars(0, 120, 1), coverage: claim }, OHLCV_SCHEMA);
    const firstAt = clock.now();
    const seedOf = new Map<number, number>([[first.versionId ?? -1, 1]]);
    for (let seed = 2; seed < 14; seed++) {
      clock.advance(10);
      const writing = indexed.write({ dataset, frame: bars(0, 120, seed), coverage: claim }, OHLCV_SCHEMA);
      // After the newest version (the unguarded current rows) and in the middle of the history.
      const reads = [clock.now() + 1_000, firstAt, clock.now()].map((t) => indexed.readAsOf?.(dataset, OHLCV_SCHEMA, range, t));
      const report = await writing;
      seedOf.set(report.versionId ?? -1, seed);
      for (const answer of await Promise.all(reads)) {
        if (answer === undefined) throw new TypeError('the DuckDB bar store has no readAsOf');
        expect(answer.frame.length).toBe(120);
        expect(answer.versions).toHaveLength(1);
        const seed = seedOf.get(answer.versions[0]) ?? -1;
        // Every row is the version the answer names.
        expect(bytesOf(answer)).toEqual(bytesOf({ frame: bars(0, 120, seed), versions: answer.versions, newestVersionAt: answer.newestVersionAt }));
      }
    }
  });
});

describe('DuckDbVersionIndex', () => {
  it('does not answer while a write of the dataset is in flight, and refuses a load or an unguarded read a write began during', () => {
    const index = new DuckDbVersionIndex();
    const stamp = index.stamp(7);
    expect(stamp).toBe(0);
    index.writing(7);
    expect(index.stamp(7)).toBeUndefined();
    expect(index.stamp(8)).toBe(0);
    // A load that started before the write must not be kept: it may not hold the version.
    expect(index.install(7, 0, new VersionColumns())).toBe(false);
    index.committed(7, { id: 1, at: 10, start: 0, end: 60, whole: true });
    expect(index.unchangedSince(7, 0)).toBe(false);
    expect(index.entry(7)).toBeUndefined();
    const now = index.stamp(7) ?? -1;
    expect(index.install(7, now, new VersionColumns())).toBe(true);
    index.writing(7);
    index.committed(7, { id: 2, at: 11, start: 0, end: 60, whole: false });
    expect(index.entry(7)?.inForce(11, { start: 0, end: 60 })).toEqual({ id: 2, at: 11, newest: { id: 2, at: 11 }, changedSince: false, replacedSince: false });
    // A failed write (COMMIT included) leaves an unknown outcome: the entry is dropped and reloaded.
    index.writing(7);
    index.abandoned(7);
    expect(index.entry(7)).toBeUndefined();
    expect(index.stamp(7)).toBe(now + 2);
  });

  it('finds the version in force, the newest, a later change and a later whole replacement as the SQL over bar_versions would (random, also with commit times going back)', () => {
    const versionArb = fc.record({ at: fc.integer({ min: 0, max: 30 }), start: fc.integer({ min: 0, max: 20 }), length: fc.integer({ min: 1, max: 10 }), whole: fc.boolean() });
    fc.assert(fc.property(fc.array(versionArb, { maxLength: 40 }), fc.integer({ min: -1, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 10 }), (versions, asOf, from, length) => {
      const columns = new VersionColumns(1);
      versions.forEach((v, i) => columns.push(i + 1, v.at, v.start, v.start + v.length, v.whole));
      const range = { start: from, end: from + length };
      // The SQL of versionInForce (duckdb-bar-versions.ts), replayed.
      const known = versions.map((v, i) => ({ ...v, id: i + 1 })).filter((v) => v.at <= asOf);
      const inForce = known.at(-1);
      const expected = inForce === undefined ? undefined : {
        id: inForce.id, at: inForce.at, newest: { id: versions.length, at: versions[versions.length - 1].at },
        changedSince: versions.some((v, i) => i + 1 > inForce.id && v.start < range.end && v.start + v.length > range.start),
        replacedSince: versions.some((v, i) => i + 1 > inForce.id && v.whole && v.start <= range.start && v.start + v.length >= range.end),
      };
      expect(columns.inForce(asOf, range)).toEqual(expected);
    }), { numRuns: 300 });
  });
});

describe('orderByTs', () => {
  function reference(ts: number[]): number[] {
    return [...ts].sort((a, b) => a - b);
  }

  it('puts rows in ts order with every column carried along: aligned, sharing a slot, or sparse', () => {
    // [ts, slots of the range's grid]: aligned, unaligned (rows may share a slot: the index sort), sparse (also the index sort).
    const caseArb = fc.oneof(
      fc.uniqueArray(fc.integer({ min: 0, max: 99 }), { maxLength: 100 }).map((k) => [k.map((x) => 5_000 + x * MIN), 100] as const),
      fc.uniqueArray(fc.integer({ min: 5_000, max: 5_000 + 100 * MIN - 1 }), { maxLength: 60 }).map((ts) => [ts, 100] as const),
      fc.uniqueArray(fc.integer({ min: 0, max: 99_999 }), { maxLength: 5 }).map((k) => [k.map((x) => 5_000 + x * MIN), 100_000] as const),
    );
    fc.assert(fc.property(caseArb, fc.integer({ min: 0, max: 40 }), ([ts, slots], spare) => {
      const range = { start: 5_000, end: 5_000 + slots * MIN };
      const capacity = ts.length + spare;
      const columns = [new Float64Array(capacity), new Float64Array(capacity)];
      ts.forEach((t, i) => {
        columns[0][i] = t;
        columns[1][i] = t * 2 + 1;
      });
      orderByTs(columns, ts.length, range, MIN);
      const sorted = reference(ts);
      expect(Array.from(columns[0].subarray(0, ts.length))).toEqual(sorted);
      expect(Array.from(columns[1].subarray(0, ts.length))).toEqual(sorted.map((t) => t * 2 + 1));
    }), { numRuns: 300 });
  });
});

describe('migration 15 (versions that replaced their whole span)', () => {
  it('upgrades a file with versions written before it: purges whole, writes unknown, and as_of reads unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seamless-as-of-migration-'));
    const path = join(dir, 'v14.duckdb');
    try {
      const instance = await DuckDBInstance.create(path);
      const conn = await instance.connect();
      try {
        expect(await migrate(conn, DUCKDB_MIGRATIONS.filter((m) => m.version <= 14))).toContain(14);
        // Version 1 wrote bars 0..4 (value 1), version 2 restated bars 0..1 (value 2), version 3 purged bar 4.
        const cov = (end: number) => JSON.stringify([[0, end * MIN, 'stored']]);
        for (const sql of [
          "INSERT INTO datasets (id, node_id, interval_ms, schema) VALUES (1, 'ohlcv:old:BTC', 60000, 'ohlcv')",
          `INSERT INTO bars_ohlcv VALUES (1, 0, 2, 2, 2, 2, 2, 2), (1, ${MIN}, 2, 2, 2, 2, 2, 2), (1, ${2 * MIN}, 1, 1, 1, 1, 1, 1), (1, ${3 * MIN}, 1, 1, 1, 1, 1, 1)`,
          `INSERT INTO bars_ohlcv_history VALUES (1, 0, 1, 1, 1, 1, 1, 1, 2, 2000), (1, ${MIN}, 1, 1, 1, 1, 1, 1, 2, 2000), (1, ${4 * MIN}, 1, 1, 1, 1, 1, 1, 3, 3000)`,
          `INSERT INTO bar_versions VALUES (1, 1, 1000, 'write', 'test', NULL, NULL, 'sha256:a', 0, ${5 * MIN}, 5, '${cov(5)}'),
             (2, 1, 2000, 'write', 'test', NULL, NULL, 'sha256:b', 0, ${2 * MIN}, 2, '${cov(5)}'),
             (3, 1, 3000, 'purge', 'test', NULL, NULL, 'sha256:', ${4 * MIN}, ${5 * MIN}, 1, '${cov(4)}')`,
        ]) await conn.run(sql);
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
      const dataset: DatasetKey = { nodeId: 'ohlcv:old:BTC', intervalMs: MIN };
      const range = { start: 0, end: 5 * MIN };
      const answers = async (versionIndex: boolean): Promise<unknown[]> => {
        const store = await createDuckDbBarStore({ path, versionIndex });
        try {
          const out: unknown[] = [];
          for (const at of [1500, 2500, 3500]) {
            const answer = await store.readAsOf?.(dataset, OHLCV_SCHEMA, range, at);
            if (answer === undefined) throw new TypeError('the DuckDB bar store has no readAsOf');
            out.push({ ts: Array.from(answer.frame.ts), open: Array.from(answer.frame.values[0]), versions: answer.versions, newestVersionAt: answer.newestVersionAt });
          }
          return out;
        } finally {
          await store.close();
        }
      };
      const expected = [
        { ts: [0, 1, 2, 3, 4].map((k) => k * MIN), open: [1, 1, 1, 1, 1], versions: [1], newestVersionAt: 1000 },
        { ts: [0, 1, 2, 3, 4].map((k) => k * MIN), open: [2, 2, 1, 1, 1], versions: [1, 2], newestVersionAt: 2000 },
        { ts: [0, 1, 2, 3].map((k) => k * MIN), open: [2, 2, 1, 1], versions: [1, 2, 3], newestVersionAt: 3000 },
      ];
      expect(await answers(true)).toEqual(expected);
      expect(await answers(false)).toEqual(expected);
      const check = await DuckDBInstance.create(path);
      const c = await check.connect();
      try {
        expect((await c.runAndReadAll('SELECT id::DOUBLE, whole_span FROM bar_versions ORDER BY id')).getRowsJS()).toEqual([[1, false], [2, false], [3, true]]);
        expect((await c.runAndReadAll('SELECT max(version)::DOUBLE FROM schema_migrations')).getRowsJS()).toEqual([[15]]);
      } finally {
        c.closeSync();
        check.closeSync();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
