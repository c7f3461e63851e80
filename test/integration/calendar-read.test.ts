/**
 * The equity demo on a real exchange calendar (issue 15 item 6): `ohlcv:demo:ACME` is on XNYS,
 * read through the gateway of an in-process instance with its embedded defaults (the demo
 * datasets). A week of 1h bars holds bars only in NYSE sessions; nights, the weekend, the
 * Independence Day holiday and the afternoon after the July 3 early close are known empty by
 * the calendar (provenance `calendar:XNYS`, never re-checked, the upstream never asked for a
 * wholly closed shard), and the coverage ratio is 1 with no gap.
 */
import { describe, expect, it } from 'vitest';
import { calendarByName } from '../../src/core/index.js';
import type { TradingCalendar } from '../../src/core/index.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const ACME = 'ohlcv:demo:ACME';
const HOUR = 3_600_000;
const t = (iso: string): number => Date.parse(iso);
const XNYS = calendarByName('XNYS') as TradingCalendar;
// Monday 2024-07-01 .. Monday 2024-07-08: July 3 closes at 13:00 New York, July 4 is a holiday.
const WEEK = { start: t('2024-07-01T00:00:00Z'), end: t('2024-07-08T00:00:00Z') };
const JULY_4 = { start: t('2024-07-04T00:00:00Z'), end: t('2024-07-05T00:00:00Z') };

interface BarsAnswer {
  readonly data: { readonly ts: readonly number[] };
  readonly metadata: {
    readonly rows: number; readonly coverageRatio: number; readonly partial: boolean; readonly missingRanges: readonly unknown[];
    readonly conformance: { readonly flags: Record<string, number> };
    readonly backfill: { readonly jobId: string } | null;
  };
}

describe('equity demo on the XNYS calendar', () => {
  // One shard per UTC day of 1h bars, so a closed day is a shard of its own; every upstream word
  // re-checkable at once; no response cache, so every read reaches coverage.
  const s = gatewayForSuite((dir) => ({
    overrides: { dataDir: dir, cache: { enabled: false }, seamless: { backfill: { barsPerShardByInterval: { '1h': 24 }, knownEmptyRecheckMs: 0 } } },
  }));
  const bars = async (range: { start: number; end: number }, strategy = 'seamless'): Promise<BarsAnswer> => {
    const res = await fetch(`${s.url}/v1/bars?node=${encodeURIComponent(ACME)}&interval=1h&start=${new Date(range.start).toISOString()}&end=${new Date(range.end).toISOString()}&format=json&strategy=${strategy}`);
    const body = await res.json() as BarsAnswer;
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  };

  it('answers a week of 1h bars only in sessions, with closed time known empty and coverage ratio 1', async () => {
    const week = await bars(WEEK);
    // 7 bars (13:00-19:00 UTC) on July 1, 2 and 5; 4 on July 3 (closes 17:00 UTC); none on July 4.
    expect(week.metadata.rows).toBe(3 * 7 + 4);
    for (const ts of week.data.ts) expect(XNYS.isBarOpen(ts, HOUR)).toBe(true);
    expect(week.metadata).toMatchObject({ coverageRatio: 1, partial: false, missingRanges: [] });
    expect(week.metadata.conformance.flags).toEqual({});

    const coverage = await s.seamless.coverage(ACME, '1h', WEEK);
    const empty = coverage.filter((c) => c.state === 'known_empty').map((c) => ({ start: c.start, end: c.end }));
    const stored = coverage.filter((c) => c.state === 'stored').map((c) => ({ start: c.start, end: c.end }));
    expect(empty).toEqual(XNYS.closedRanges(WEEK, HOUR));
    expect(stored).toEqual(XNYS.openRanges(WEEK, HOUR));

    // The holiday and the weekend days are shards of their own, known empty on the calendar's word.
    const jobId = week.metadata.backfill?.jobId ?? '';
    const shards = s.seamless.coordinator.shards(jobId) ?? [];
    const holiday = shards.find((x) => x.start === JULY_4.start);
    expect(holiday).toMatchObject({ state: 'known_empty', knownEmpty: { source: 'calendar:XNYS', start: JULY_4.start, end: JULY_4.end } });
    const saturday = shards.find((x) => x.start === t('2024-07-06T00:00:00Z'));
    expect(saturday).toMatchObject({ state: 'known_empty', knownEmpty: { source: 'calendar:XNYS' } });
    const monday = shards.find((x) => x.start === WEEK.start);
    expect(monday?.state).toBe('completed');
    expect(monday?.knownEmpty).toBeUndefined();
  });

  it('never re-checks calendar-closed time, even with a re-check age of zero', async () => {
    const again = await bars(WEEK);
    expect(again.metadata.rows).toBe(3 * 7 + 4);
    expect(again.metadata.backfill).toBeNull();
  });

  it('counts closed calendar time as covered before any backfill recorded it', async () => {
    // A holiday a year later, never read before: fail_fast does not backfill, yet nothing is missing.
    const holiday = { start: t('2025-07-04T00:00:00Z'), end: t('2025-07-05T00:00:00Z') };
    const answer = await bars(holiday, 'fail_fast');
    expect(answer.metadata).toMatchObject({ rows: 0, coverageRatio: 1, partial: false, missingRanges: [], backfill: null });
    expect(await s.seamless.coverage(ACME, '1h', holiday)).toEqual([]);
  });
});
