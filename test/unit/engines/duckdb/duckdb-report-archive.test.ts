import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidRequestError, InvertedRangeError, OHLCV_SCHEMA, createFrame } from '../../../../src/core/index.js';
import type { ConformanceReport, IngestFinding } from '../../../../src/conformance/index.js';
import { DEFAULT_REPORT_LIST_LIMIT, MAX_REPORT_LIST_LIMIT, createEmbeddedDatabase } from '../../../../src/engines/duckdb/internal.js';
import type { EmbeddedDatabase } from '../../../../src/engines/duckdb/index.js';
import { reportListLimit } from '../../../../src/engines/duckdb/internal.js';
import { embeddedDatabases } from '../../../helpers/embedded-databases.js';

const MIN = 60_000;
const BTC = 'ohlcv:binance:BTC/USDT';
const ETH = 'ohlcv:binance:ETH/USDT';

const { freshPath, open } = embeddedDatabases('seamless-reports-');

function report(id: string, nodeId: string, intervalMs: number, createdAt: number): ConformanceReport {
  return {
    id,
    uri: `qmtl://observability/seamless/${nodeId}/${id}`,
    nodeId,
    intervalMs,
    origin: 'read',
    createdAt,
    mode: 'blocking',
    range: { start: 0, end: 10 * intervalMs },
    rowsIn: 10,
    rowsOut: 9,
    flags: { duplicate_ts: 1, gap: 1 },
    warnings: [
      { flag: 'duplicate_ts', level: 'error', column: 'ts', count: 1, firstTs: 3 * intervalMs, message: 'one duplicate' },
      { flag: 'gap', level: 'error', column: '*', count: 1, firstTs: null, message: 'a gap' },
    ],
    gaps: [{ start: 5 * intervalMs, end: 6 * intervalMs }],
    completeness: {
      windowMs: 5 * intervalMs,
      windows: [
        { start: 0, end: 5 * intervalMs, expected: 5, present: 5, ratio: 1 },
        // No expected bars: the ratio is not a number, and must read back as one.
        { start: 5 * intervalMs, end: 10 * intervalMs, expected: 0, present: 0, ratio: Number.NaN },
      ],
    },
    hasErrors: true,
    regression: { previousReportId: null, newFlags: ['gap'], increased: [{ flag: 'duplicate_ts', previousRate: 0, rate: 0.1 }], resolved: [], regressed: true },
    schema: { subject: 'ohlcv-value', version: 2, mode: 'canary' },
  };
}

function finding(nodeId: string, ts: number, over: Partial<IngestFinding> = {}): IngestFinding {
  return { nodeId, intervalMs: MIN, flag: 'duplicate_ts', ts, count: 1, at: 1_000, detail: `dup at ${ts}`, ...over };
}

describe('duckdb report archive', () => {
  it('reads a report back equal to what was appended, non-finite numbers and nulls included', async () => {
    const db = await open();
    const r = report('r1', BTC, MIN, 1_000);
    const odd: ConformanceReport = { ...r, id: 'r2', rowsIn: Number.POSITIVE_INFINITY, rowsOut: -0, regression: null, schema: null };
    expect(await db.reports.append(r)).toBe(r);
    await db.reports.append(odd);
    expect(await db.reports.get('r1')).toEqual(r);
    const back = await db.reports.get('r2');
    expect(back).toEqual(odd);
    expect(Object.is(back?.rowsOut, -0)).toBe(true);
    expect(await db.reports.get('missing')).toBeUndefined();
  });

  it('never overwrites: a second report with a stored id is a conflict and the first stays', async () => {
    const db = await open();
    const r = report('r1', BTC, MIN, 1_000);
    await db.reports.append(r);
    const err = await db.reports.append({ ...r, createdAt: 2_000, hasErrors: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'conflict', details: { reason: 'duplicate_report_id', id: 'r1' } });
    expect(await db.reports.get('r1')).toEqual(r);
    expect(await db.reports.list({})).toHaveLength(1);
  });

  it('refuses a report without an id or with an unusable dataset, before any SQL', async () => {
    const db = await open();
    await expect(db.reports.append({ ...report('x', BTC, MIN, 1), id: null })).rejects.toMatchObject({ code: 'invalid_request', field: 'report.id' });
    await expect(db.reports.append(report('x', '', MIN, 1))).rejects.toMatchObject({ field: 'report.nodeId' });
    await expect(db.reports.append(report('x', BTC, MIN, 1.5))).rejects.toMatchObject({ field: 'report.createdAt' });
    expect(await db.reports.list({})).toEqual([]);
  });

  it('lists newest first, filtered by node and interval, ties broken by arrival', async () => {
    const db = await open();
    await db.reports.append(report('a', BTC, MIN, 100));
    await db.reports.append(report('b', ETH, MIN, 300));
    await db.reports.append(report('c', BTC, 5 * MIN, 200));
    await db.reports.append(report('d', BTC, MIN, 400));
    await db.reports.append(report('e', BTC, MIN, 400));
    const ids = async (filter: Parameters<EmbeddedDatabase['reports']['list']>[0]): Promise<(string | null)[]> =>
      (await db.reports.list(filter)).map((r) => r.id);
    expect(await ids({})).toEqual(['e', 'd', 'b', 'c', 'a']);
    expect(await ids({ nodeId: BTC })).toEqual(['e', 'd', 'c', 'a']);
    expect(await ids({ nodeId: BTC, intervalMs: MIN })).toEqual(['e', 'd', 'a']);
    expect(await ids({ intervalMs: 5 * MIN })).toEqual(['c']);
    expect(await ids({ nodeId: BTC, limit: 2 })).toEqual(['e', 'd']);
    expect(await ids({ nodeId: 'unknown' })).toEqual([]);
    expect((await db.reports.latest(BTC, MIN))?.id).toBe('e');
    expect((await db.reports.latest(BTC, 5 * MIN))?.id).toBe('c');
    expect(await db.reports.latest(ETH, 5 * MIN)).toBeUndefined();
  });

  it('finds the newest report of a dataset over a range overlapping the one given', async () => {
    const db = await open();
    const over = (id: string, createdAt: number, start: number, end: number): ConformanceReport => ({ ...report(id, BTC, MIN, createdAt), range: { start, end } });
    await db.reports.append(over('early', 100, 0, 240 * MIN));
    await db.reports.append(over('later', 200, 240 * MIN, 480 * MIN));
    expect((await db.reports.latest(BTC, MIN))?.id).toBe('later');
    expect((await db.reports.latest(BTC, MIN, { start: 120 * MIN, end: 240 * MIN }))?.id).toBe('early');
    expect((await db.reports.latest(BTC, MIN, { start: 200 * MIN, end: 300 * MIN }))?.id).toBe('later');
    expect(await db.reports.latest(BTC, MIN, { start: 480 * MIN, end: 500 * MIN })).toBeUndefined();
  });

  it('lists 50 reports by default and at most 1000', async () => {
    const db = await open();
    for (let i = 0; i < 55; i++) await db.reports.append(report(`r${i}`, BTC, MIN, i));
    const page = await db.reports.list({ nodeId: BTC });
    expect(page).toHaveLength(DEFAULT_REPORT_LIST_LIMIT);
    expect(page[0].id).toBe('r54');
    expect(await db.reports.list({ limit: 5_000 })).toHaveLength(55);
    expect(reportListLimit(undefined)).toBe(50);
    expect(reportListLimit(5_000)).toBe(MAX_REPORT_LIST_LIMIT);
    expect(MAX_REPORT_LIST_LIMIT).toBe(1000);
    await expect(db.reports.list({ limit: 0 })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(db.reports.list({ limit: 2.5 })).rejects.toMatchObject({ field: 'limit' });
  });

  it('keeps reports across close and reopen', async () => {
    const path = freshPath();
    const first = await createEmbeddedDatabase({ path });
    const r = report('r1', BTC, MIN, 1_000);
    await first.reports.append(r);
    await first.close();
    const again = await open(path);
    expect(await again.reports.get('r1')).toEqual(r);
    expect(await again.reports.latest(BTC, MIN)).toEqual(r);
    await expect(again.reports.append(r)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('duckdb ingest finding store', () => {
  it('returns the findings of one dataset with start <= ts < end, ascending', async () => {
    const db = await open();
    await db.findings.appendFindings([
      finding(BTC, 5 * MIN), finding(BTC, 0), finding(BTC, 10 * MIN, { flag: 'misaligned_ts', count: 3 }),
      finding(ETH, 5 * MIN), finding(BTC, 5 * MIN, { flag: 'future_ts', detail: 'later' }), finding(BTC, 5 * MIN, { intervalMs: 5 * MIN }),
    ]);
    const got = await db.findings.findings(BTC, MIN, 0, 10 * MIN);
    expect(got).toEqual([finding(BTC, 0), finding(BTC, 5 * MIN), finding(BTC, 5 * MIN, { flag: 'future_ts', detail: 'later' })]);
    expect(await db.findings.findings(BTC, MIN, 10 * MIN, 11 * MIN)).toEqual([finding(BTC, 10 * MIN, { flag: 'misaligned_ts', count: 3 })]);
    expect(await db.findings.findings(BTC, MIN, MIN, 5 * MIN)).toEqual([]);
    expect(await db.findings.findings(BTC, MIN, 5 * MIN, 5 * MIN)).toEqual([]);
    await expect(db.findings.findings(BTC, MIN, 5, 4)).rejects.toBeInstanceOf(InvertedRangeError);
  });

  it('inserts a large batch in one go and refuses a batch with one bad finding whole', async () => {
    const db = await open();
    const batch: IngestFinding[] = [];
    for (let i = 0; i < 600; i++) batch.push(finding(BTC, i * MIN, { at: i }));
    await db.findings.appendFindings(batch);
    expect(await db.findings.findings(BTC, MIN, 0, 600 * MIN)).toEqual(batch);
    const bad = [finding(ETH, 0), finding(ETH, MIN, { ts: 1.5 })];
    await expect(db.findings.appendFindings(bad)).rejects.toMatchObject({ code: 'invalid_request', field: 'findings[1].ts' });
    // A flag outside the union, as an untyped caller could send it.
    const unknownFlag = { ...finding(ETH, 0) };
    Reflect.set(unknownFlag, 'flag', 'gap');
    await expect(db.findings.appendFindings([unknownFlag])).rejects.toMatchObject({ field: 'findings[0].flag' });
    await expect(db.findings.appendFindings([finding('', 0)])).rejects.toMatchObject({ field: 'findings[0].nodeId' });
    expect(await db.findings.findings(ETH, MIN, 0, 600 * MIN)).toEqual([]);
    await db.findings.appendFindings([]);
  });

  it('keeps findings across close and reopen', async () => {
    const path = freshPath();
    const first = await createEmbeddedDatabase({ path });
    await first.findings.appendFindings([finding(BTC, 0), finding(BTC, MIN, { flag: 'unsorted_ts' })]);
    await first.close();
    const again = await open(path);
    expect(await again.findings.findings(BTC, MIN, 0, 2 * MIN)).toEqual([finding(BTC, 0), finding(BTC, MIN, { flag: 'unsorted_ts' })]);
  });
});

describe('ingest findings written with bars', () => {
  it('commits the findings of a bar write in its transaction, and none when the write is refused', async () => {
    const db = await createEmbeddedDatabase({ path: ':memory:' });
    try {
      const ds = { nodeId: 'ohlcv:x:Y', intervalMs: 60_000 };
      const finding = { nodeId: ds.nodeId, intervalMs: ds.intervalMs, flag: 'duplicate_ts' as const, ts: 120_000, count: 1, at: 5, detail: 'upstream sent the bar twice' };
      const frame = createFrame(OHLCV_SCHEMA, Float64Array.of(60_000, 120_000), OHLCV_SCHEMA.columns.map(() => Float64Array.of(1, 1)));
      await db.bars.write({ dataset: ds, frame, coverage: [{ start: 60_000, end: 180_000, state: 'stored' }], fence: { key: 'k', token: 5 }, findings: [finding] }, OHLCV_SCHEMA);
      expect(await db.findings.findings(ds.nodeId, ds.intervalMs, 0, 1e9)).toEqual([finding]);
      await expect(db.bars.write({ dataset: ds, frame, coverage: [{ start: 60_000, end: 180_000, state: 'stored' }], fence: { key: 'k', token: 4 }, findings: [{ ...finding, at: 6 }] }, OHLCV_SCHEMA))
        .rejects.toMatchObject({ code: 'conflict' });
      expect(await db.findings.findings(ds.nodeId, ds.intervalMs, 0, 1e9)).toEqual([finding]);
    } finally {
      await db.close();
    }
  });
  it('supersedes the findings of rows a later write replaces: kept as history, no longer in force', async () => {
    const db = await createEmbeddedDatabase({ path: ':memory:', clock: { now: () => 9_000 } });
    try {
      const ds = { nodeId: 'ohlcv:x:Y', intervalMs: 60_000 };
      const dup = { nodeId: ds.nodeId, intervalMs: ds.intervalMs, flag: 'duplicate_ts' as const, ts: 120_000, count: 1, at: 5, detail: 'upstream sent the bar twice' };
      const outside = { ...dup, ts: 600_000 };
      const bars = (...ts: number[]) => createFrame(OHLCV_SCHEMA, Float64Array.from(ts), OHLCV_SCHEMA.columns.map(() => Float64Array.from(ts, () => 1)));
      await db.bars.write({ dataset: ds, frame: bars(60_000, 120_000), coverage: [{ start: 60_000, end: 180_000, state: 'stored' }], findings: [dup] }, OHLCV_SCHEMA);
      await db.findings.appendFindings([outside]);
      // The range is rewritten clean (a repair, a re-import): its finding no longer applies.
      await db.bars.write({ dataset: ds, frame: bars(60_000, 120_000), coverage: [{ start: 60_000, end: 180_000, state: 'stored' }] }, OHLCV_SCHEMA);
      expect(await db.findings.findings(ds.nodeId, ds.intervalMs, 0, 1e9)).toEqual([outside]);
      expect(await db.findings.history(ds.nodeId, ds.intervalMs, 0, 1e9)).toEqual([{ ...dup, supersededAt: 9_000 }, { ...outside, supersededAt: null }]);
      // A write carrying its own findings keeps them in force (superseding happens before they are inserted).
      const again = { ...dup, at: 7 };
      await db.bars.write({ dataset: ds, frame: bars(120_000), coverage: [{ start: 120_000, end: 180_000, state: 'stored' }], findings: [again] }, OHLCV_SCHEMA);
      expect(await db.findings.findings(ds.nodeId, ds.intervalMs, 0, 300_000)).toEqual([again]);
      expect((await db.findings.history(ds.nodeId, ds.intervalMs, 0, 300_000)).length).toBe(2);
    } finally {
      await db.close();
    }
  });
});
