import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, InvalidRequestError, OHLCV_SCHEMA, TICK_SCHEMA, createFrame } from '../../../src/core/index.js';
import type { Frame, FrameSchema } from '../../../src/core/index.js';
import { ImportError, importFile } from '../../../src/sources/index.js';
import { MAX_IMPORT_ISSUES } from '../../../src/sources/internal.js';
import type { CsvImportIssue, ImportOptions } from '../../../src/sources/internal.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { createFakeBarStore } from './fake-bar-store.js';

const MINUTE = 60_000;
const T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
const dataset = { nodeId: 'ohlcv:file:TEST', intervalMs: MINUTE };

function fixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/import/${name}`, import.meta.url));
}

async function importFails(name: string, overrides: Partial<ImportOptions> = {}): Promise<ImportError> {
  const store = createFakeBarStore();
  const err = await importFile({ path: fixture(name), dataset, schema: OHLCV_SCHEMA, store, ...overrides }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(store.writes).toHaveLength(0);
  expect(err).toBeInstanceOf(ImportError);
  const importError = err as ImportError;
  expect(importError.code).toBe('invalid_request');
  expect(importError.field).toBe('file');
  expect(importError.httpStatus).toBe(400);
  return importError;
}

function firstIssue(err: ImportError): CsvImportIssue {
  return err.issues[0] as CsvImportIssue;
}

describe('CSV import', () => {
  it('records a file with gaps as the runs of bars it holds: a bar absent from the file is missing, not stored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seamless-csv-gaps-'));
    const store = await createDuckDbBarStore({ path: ':memory:' });
    try {
      const path = join(dir, 'gaps.csv');
      const present = [0, 1, 2, 5, 6, 9];
      await writeFile(path, `ts,open,high,low,close,volume\n${present.map((i) => `${T0 + i * MINUTE},10,11,9,10.5,1`).join('\n')}\n`);
      const report = await importFile({ path, dataset, schema: OHLCV_SCHEMA, store });
      const expected = [
        { start: T0, end: T0 + 3 * MINUTE, state: 'stored' },
        { start: T0 + 5 * MINUTE, end: T0 + 7 * MINUTE, state: 'stored' },
        { start: T0 + 9 * MINUTE, end: T0 + 10 * MINUTE, state: 'stored' },
      ];
      expect(report.coverage).toEqual(expected);
      expect(await store.coverage(dataset)).toEqual(expected);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('imports ISO timestamps and writes one batch with one stored claim', async () => {
    const store = createFakeBarStore();
    const report = await importFile({ path: fixture('ohlcv-1m-iso.csv'), dataset, schema: OHLCV_SCHEMA, store });
    expect(report).toMatchObject({ rows: 4, firstTs: T0, lastTs: T0 + 3 * MINUTE, format: 'csv', file: fixture('ohlcv-1m-iso.csv') });
    expect(report.coverage).toEqual([{ start: T0, end: T0 + 4 * MINUTE, state: 'stored' }]);
    expect(store.writes).toHaveLength(1);
    const frame = store.writes[0].frame;
    expect(Array.from(frame.ts)).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
    expect(Array.from(frame.column('close'))).toEqual([100.5, 101.5, 100.75, 100.5]);
    // A negative volume is not an import error: conformance flags it later.
    expect(frame.column('volume')[3]).toBe(-3);
  });

  it('imports unsorted epoch-ms rows under a `timestamp` header, sorted by ts', async () => {
    const store = createFakeBarStore();
    const report = await importFile({ path: fixture('ohlcv-1m-epoch-unsorted.csv'), dataset, schema: OHLCV_SCHEMA, store });
    expect(report.rows).toBe(4);
    const frame = store.writes[0].frame;
    expect(Array.from(frame.ts)).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
    expect(Array.from(frame.column('open'))).toEqual([100, 100.5, 101.5, 100.75]);
    expect(Array.from(frame.column('volume'))).toEqual([10, 12.5, 8, 3]);
  });

  it('passes the fence to the store', async () => {
    const store = createFakeBarStore();
    const fence = { key: 'import:TEST', token: 3 };
    await importFile({ path: fixture('ohlcv-1m-iso.csv'), dataset, schema: OHLCV_SCHEMA, store, fence });
    expect(store.writes[0].fence).toEqual(fence);
  });

  it('rejects a bad number naming its line and field, and lists every problem', async () => {
    const err = await importFails('bad-number.csv');
    expect(err.message).toContain('line 7, field "close": "abc" is not a number');
    expect(err.issues).toHaveLength(2);
    expect(err.issues[1]).toMatchObject({ line: 8, field: 'close' });
    expect(err.details.issues).toEqual(err.issues);
  });

  it('rejects a missing column naming it', async () => {
    const err = await importFails('missing-column.csv');
    expect(firstIssue(err)).toMatchObject({ line: 1, field: 'close' });
    expect(err.message).toContain('line 1, field "close": missing column "close"');
  });

  it('rejects an unexpected column naming it', async () => {
    const err = await importFails('extra-column.csv');
    expect(firstIssue(err)).toMatchObject({ line: 1, field: 'vwap' });
    expect(err.message).toContain('unexpected column "vwap"');
  });

  it('rejects a timestamp off the interval grid', async () => {
    const err = await importFails('off-grid.csv');
    expect(firstIssue(err)).toMatchObject({ line: 3, field: 'ts', value: '2024-01-01T00:01:30Z' });
    expect(err.message).toContain('line 3, field "ts": "2024-01-01T00:01:30Z" is not on the 1m grid');
  });

  it('rejects duplicate timestamps naming both lines', async () => {
    const err = await importFails('duplicate-ts.csv');
    expect(firstIssue(err)).toMatchObject({ line: 5, field: 'ts' });
    expect(err.message).toContain('line 5, field "ts": duplicate timestamp 2024-01-01T00:01:00.000Z');
    expect(err.message).toContain('also on line 3');
  });

  it('rejects an impossible timestamp', async () => {
    const err = await importFails('bad-timestamp.csv');
    expect(firstIssue(err)).toMatchObject({ line: 3, field: 'ts' });
    expect(err.message).toContain('line 3, field "ts": invalid time "2024-02-30T00:01:00Z"');
  });

  it('rejects an empty file and a file with only a header', async () => {
    expect((await importFails('empty.csv')).message).toContain('the file is empty');
    expect((await importFails('header-only.csv')).message).toContain('no rows');
  });

  it('stops after MAX_IMPORT_ISSUES problems and says there are more', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seamless-csv-'));
    try {
      const path = join(dir, 'many.csv');
      const lines = ['ts,open,high,low,close,volume'];
      for (let i = 0; i < 500; i++) lines.push(`${T0 + i * MINUTE},x,1,1,1,1`);
      await writeFile(path, lines.join('\n'));
      const store = createFakeBarStore();
      const err = (await importFile({ path, dataset, schema: OHLCV_SCHEMA, store }).catch((e: unknown) => e)) as ImportError;
      expect(err).toBeInstanceOf(ImportError);
      expect(err.issues).toHaveLength(MAX_IMPORT_ISSUES);
      expect(err.details.truncated).toBe(true);
      expect(store.writes).toHaveLength(0);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('reports a missing file as invalid_request on field file', async () => {
    const store = createFakeBarStore();
    const err = await importFile({ path: fixture('nope.csv'), dataset, schema: OHLCV_SCHEMA, store }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as InvalidRequestError).field).toBe('file');
    expect((err as Error).message).toContain('not found');
  });

  it('asks for a format when the extension does not tell', async () => {
    const store = createFakeBarStore();
    const err = await importFile({ path: '/tmp/bars.txt', dataset, schema: OHLCV_SCHEMA, store }).catch((e: unknown) => e);
    expect((err as InvalidRequestError).field).toBe('format');
  });

  it('rejects with AbortedError and writes nothing when aborted', async () => {
    const store = createFakeBarStore();
    const controller = new AbortController();
    controller.abort();
    await expect(importFile({ path: fixture('ohlcv-1m-iso.csv'), dataset, schema: OHLCV_SCHEMA, store, signal: controller.signal }))
      .rejects.toBeInstanceOf(AbortedError);
    expect(store.writes).toHaveLength(0);
  });
});

describe('CSV import round trip', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seamless-csv-rt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true });
  });

  /** A tiny CSV writer for the test: shortest round-trip number text, epoch ms or ISO timestamps. */
  function toCsv(frame: Frame, iso: boolean): string {
    const names = ['ts', ...frame.schema.columns.map((c) => c.name)];
    const lines = [names.join(',')];
    for (let i = 0; i < frame.length; i++) {
      const cells = [iso ? new Date(frame.ts[i]).toISOString() : String(frame.ts[i])];
      for (const v of frame.values) cells.push(Object.is(v[i], -0) ? '-0' : String(v[i]));
      lines.push(cells.join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  function frameArb(schema: FrameSchema, intervalMs: number): fc.Arbitrary<Frame> {
    const value = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 });
    const width = schema.columns.length;
    return fc
      // Up to year ~9900: ISO-8601 years have four digits.
      .uniqueArray(fc.integer({ min: 0, max: Math.min(5_000_000, Math.floor(2.5e14 / intervalMs)) }), { minLength: 1, maxLength: 60 })
      .chain((bars) => fc.tuple(
        fc.constant(bars),
        fc.array(fc.array(value, { minLength: bars.length, maxLength: bars.length }), { minLength: width, maxLength: width }),
      ))
      .map(([bars, cols]) => {
        const order = bars.map((_, i) => i).sort((a, b) => bars[a] - bars[b]);
        const ts = Float64Array.from(order, (i) => bars[i] * intervalMs);
        return createFrame(schema, ts, cols.map((col) => Float64Array.from(order, (i) => col[i])));
      });
  }

  it('imports any valid frame written as CSV back identically', async () => {
    const cases = fc
      .tuple(fc.constantFrom(OHLCV_SCHEMA, TICK_SCHEMA), fc.constantFrom(1_000, MINUTE, 86_400_000), fc.boolean())
      .chain(([schema, intervalMs, iso]) => frameArb(schema, intervalMs).map((frame) => ({ frame, intervalMs, iso })));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ frame, intervalMs, iso }) => {
        const path = join(dir, `rt-${n++}.csv`);
        await writeFile(path, toCsv(frame, iso));
        const store = createFakeBarStore();
        const report = await importFile({ path, dataset: { nodeId: 'rt', intervalMs }, schema: frame.schema, store });
        expect(report.rows).toBe(frame.length);
        const written = store.writes[0].frame;
        expect(Array.from(written.ts)).toEqual(Array.from(frame.ts));
        for (let c = 0; c < frame.values.length; c++) expect(Array.from(written.values[c])).toEqual(Array.from(frame.values[c]));
        // Stored coverage is the runs of consecutive bars of the file; a bar it lacks is missing.
        const runs: { start: number; end: number; state: 'stored' }[] = [];
        for (const t of frame.ts) {
          const last = runs.at(-1);
          if (last && last.end === t) last.end = t + intervalMs;
          else runs.push({ start: t, end: t + intervalMs, state: 'stored' });
        }
        expect(report.coverage).toEqual(runs);
      }),
      { numRuns: 60 },
    );
  });
});
