/**
 * Trading calendars: the closed 1m bars of ten years of XNYS, answered as ranges from the
 * sessions (what backfill and reads use) against a per-bar scan of the same sessions (one test per
 * minute, the shape calendars must not take), measured interleaved in one run; plus one read-path
 * call (a week of 1h bars) and the first call of a year (its sessions computed, then cached).
 * Run: `npx tsx bench/core/calendar.bench.ts`.
 */
import { alignRange, calendarByName } from '../../src/core/index.js';
import type { Sessions, TimeRange, TradingCalendar } from '../../src/core/index.js';
import { compare, heading, measure, report, show } from '../harness.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const XNYS = calendarByName('XNYS') as TradingCalendar;
const TEN_YEARS = { start: Date.UTC(2015, 0, 1), end: Date.UTC(2025, 0, 1) };

/** The baseline: every bar of the range tested against the sessions, closed runs collected. */
function perBarClosed(sessions: Sessions, range: TimeRange, intervalMs: number): TimeRange[] {
  const aligned = alignRange(range, intervalMs);
  const out: TimeRange[] = [];
  let s = 0;
  let runStart = -1;
  for (let t = aligned.start; t < aligned.end; t += intervalMs) {
    while (s < sessions.length && sessions.close[s] <= t) s++;
    const open = s < sessions.length && sessions.open[s] < t + intervalMs;
    if (!open && runStart < 0) runStart = t;
    if (open && runStart >= 0) {
      out.push({ start: runStart, end: t });
      runStart = -1;
    }
  }
  if (runStart >= 0) out.push({ start: runStart, end: aligned.end });
  return out;
}

{
  heading('closed 1m bars of ten years of XNYS (baseline: a per-bar scan of the same sessions; interleaved)');
  XNYS.closedRanges(TEN_YEARS, MIN); // the years' sessions computed once, as in a running process
  const sessions = XNYS.sessions(TEN_YEARS);
  const [ranges, perBar] = await compare([
    { name: 'closedRanges (range-based)', fn: () => XNYS.closedRanges(TEN_YEARS, MIN) },
    { name: 'per-bar scan (5.3 M bars)', fn: () => perBarClosed(sessions, TEN_YEARS, MIN) },
  ], { runs: 7 });
  report(ranges, perBar, { minSpeedup: 20 }, 'calendar: closed ranges of 10 y of 1m vs per-bar scan');
  console.log(`  ${XNYS.closedRanges(TEN_YEARS, MIN).length} closed ranges, ${sessions.length} sessions`);
}

{
  heading('one read-path call: closed and open 1h bars of a week (cached years)');
  const week = { start: Date.UTC(2024, 6, 1), end: Date.UTC(2024, 6, 8) };
  show(await measure('closedRanges + openRanges, 1 week of 1h', () => {
    for (let i = 0; i < 1000; i++) {
      XNYS.closedRanges(week, HOUR);
      XNYS.openRanges(week, HOUR);
    }
  }, { runs: 7 }));
  console.log('  (figure is for 1,000 calls)');
}
