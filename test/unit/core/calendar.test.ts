import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN, XNYS_SPECIAL_CLOSURES, calendarByName, calendarSource, isCalendarSource } from '../../../src/core/index.js';
import type { Sessions, TradingCalendar } from '../../../src/core/index.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const DAY = 86_400_000;
const t = (iso: string): number => Date.parse(iso);
const xnys = (): TradingCalendar => {
  const c = calendarByName('XNYS');
  if (c === undefined) throw new TypeError('XNYS is not a calendar');
  return c;
};
/** The sessions of one UTC day as ISO pairs. */
const sessionsOn = (day: string): [string, string][] => pairs(xnys().sessions({ start: t(`${day}T00:00:00Z`), end: t(`${day}T00:00:00Z`) + DAY }));
function pairs(s: Sessions): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < s.length; i++) out.push([new Date(s.open[i]).toISOString(), new Date(s.close[i]).toISOString()]);
  return out;
}

describe('XNYS calendar', () => {
  it('opens 09:30-16:00 New York time on an ordinary weekday (summer and winter in UTC)', () => {
    expect(sessionsOn('2024-07-10')).toEqual([['2024-07-10T13:30:00.000Z', '2024-07-10T20:00:00.000Z']]);
    expect(sessionsOn('2024-01-10')).toEqual([['2024-01-10T14:30:00.000Z', '2024-01-10T21:00:00.000Z']]);
  });

  it('is closed on weekends', () => {
    expect(sessionsOn('2024-07-13')).toEqual([]);
    expect(sessionsOn('2024-07-14')).toEqual([]);
  });

  it('is closed on Good Friday 2024-03-29, Juneteenth 2024-06-19 and the day of mourning 2025-01-09', () => {
    expect(sessionsOn('2024-03-29')).toEqual([]);
    expect(sessionsOn('2024-06-19')).toEqual([]);
    expect(sessionsOn('2025-01-09')).toEqual([]);
    expect(XNYS_SPECIAL_CLOSURES.map((c) => c.date)).toContain('2025-01-09');
    // The neighbours are ordinary days.
    expect(sessionsOn('2024-03-28')).toHaveLength(1);
    expect(sessionsOn('2025-01-08')).toHaveLength(1);
    expect(sessionsOn('2025-01-10')).toHaveLength(1);
  });

  it('closes at 13:00 on 2024-07-03, 2024-11-29 and 2024-12-24', () => {
    expect(sessionsOn('2024-07-03')).toEqual([['2024-07-03T13:30:00.000Z', '2024-07-03T17:00:00.000Z']]);
    expect(sessionsOn('2024-11-29')).toEqual([['2024-11-29T14:30:00.000Z', '2024-11-29T18:00:00.000Z']]);
    expect(sessionsOn('2024-12-24')).toEqual([['2024-12-24T14:30:00.000Z', '2024-12-24T18:00:00.000Z']]);
  });

  it('observes a Saturday holiday on the Friday before and a Sunday one on the Monday after, but not New Year on a Saturday', () => {
    expect(sessionsOn('2026-07-03')).toEqual([]); // July 4 2026 is a Saturday
    expect(sessionsOn('2026-07-02')).toEqual([['2026-07-02T13:30:00.000Z', '2026-07-02T20:00:00.000Z']]); // a full day then
    expect(sessionsOn('2022-12-26')).toEqual([]); // Christmas 2022 is a Sunday
    expect(sessionsOn('2022-06-20')).toEqual([]); // Juneteenth 2022 is a Sunday
    expect(sessionsOn('2021-12-31')).toHaveLength(1); // New Year 2022 is a Saturday: Friday stays open
  });

  it('moves the session by an hour in UTC across the March 2024 daylight saving change', () => {
    const week = xnys().sessions({ start: t('2024-03-04T00:00:00Z'), end: t('2024-03-16T00:00:00Z') });
    expect(pairs(week)).toEqual([
      ['2024-03-04T14:30:00.000Z', '2024-03-04T21:00:00.000Z'],
      ['2024-03-05T14:30:00.000Z', '2024-03-05T21:00:00.000Z'],
      ['2024-03-06T14:30:00.000Z', '2024-03-06T21:00:00.000Z'],
      ['2024-03-07T14:30:00.000Z', '2024-03-07T21:00:00.000Z'],
      ['2024-03-08T14:30:00.000Z', '2024-03-08T21:00:00.000Z'],
      ['2024-03-11T13:30:00.000Z', '2024-03-11T20:00:00.000Z'],
      ['2024-03-12T13:30:00.000Z', '2024-03-12T20:00:00.000Z'],
      ['2024-03-13T13:30:00.000Z', '2024-03-13T20:00:00.000Z'],
      ['2024-03-14T13:30:00.000Z', '2024-03-14T20:00:00.000Z'],
      ['2024-03-15T13:30:00.000Z', '2024-03-15T20:00:00.000Z'],
    ]);
  });

  it('calls a bar open when it overlaps a session, closed otherwise', () => {
    const c = xnys();
    expect(c.isBarOpen(t('2024-07-10T13:00:00Z'), HOUR)).toBe(true); // 13:00-14:00 holds the 13:30 open
    expect(c.isBarOpen(t('2024-07-10T20:00:00Z'), HOUR)).toBe(false); // the close is exclusive
    expect(c.isBarOpen(t('2024-07-10T13:29:00Z'), MIN)).toBe(false);
    expect(c.isBarOpen(t('2024-07-10T13:30:00Z'), MIN)).toBe(true);
    expect(c.isBarOpen(t('2024-07-03T17:00:00Z'), HOUR)).toBe(false); // after the early close
    expect(c.isBarOpen(t('2024-03-29T00:00:00Z'), DAY)).toBe(false);
    expect(c.isBarOpen(t('2024-03-28T00:00:00Z'), DAY)).toBe(true);
  });

  it('answers open and closed ranges of a week of 1h bars that together tile the week', () => {
    const c = xnys();
    // Monday 2024-07-01 .. Monday 2024-07-08: the 3rd closes early, the 4th is a holiday.
    const week = { start: t('2024-07-01T00:00:00Z'), end: t('2024-07-08T00:00:00Z') };
    const open = c.openRanges(week, HOUR);
    expect(open.map((r) => [new Date(r.start).toISOString(), new Date(r.end).toISOString()])).toEqual([
      ['2024-07-01T13:00:00.000Z', '2024-07-01T20:00:00.000Z'],
      ['2024-07-02T13:00:00.000Z', '2024-07-02T20:00:00.000Z'],
      ['2024-07-03T13:00:00.000Z', '2024-07-03T17:00:00.000Z'],
      ['2024-07-05T13:00:00.000Z', '2024-07-05T20:00:00.000Z'],
    ]);
    const closed = c.closedRanges(week, HOUR);
    expect(closed[0]).toEqual({ start: week.start, end: t('2024-07-01T13:00:00Z') });
    expect(closed[closed.length - 1]).toEqual({ start: t('2024-07-05T20:00:00Z'), end: week.end });
    let total = 0;
    for (const r of [...open, ...closed]) total += r.end - r.start;
    expect(total).toBe(week.end - week.start);
  });

  it('answers ten years of 1m closed ranges as one range per gap between sessions', () => {
    const c = xnys();
    const range = { start: t('2015-01-01T00:00:00Z'), end: t('2025-01-01T00:00:00Z') };
    const sessions = c.sessions(range);
    expect(sessions.length).toBeGreaterThan(2_500);
    expect(sessions.length).toBeLessThan(2_530);
    const closed = c.closedRanges(range, MIN);
    expect(closed).toHaveLength(sessions.length + 1);
  });
});

describe('24/7 calendar', () => {
  it('is the default kind of calendar: always open, nothing closed', () => {
    expect(calendarByName('24/7')).toBe(ALWAYS_OPEN);
    const range = { start: t('2024-03-29T00:00:00Z'), end: t('2024-03-31T00:00:00Z') };
    expect(ALWAYS_OPEN.closedRanges(range, HOUR)).toEqual([]);
    expect(ALWAYS_OPEN.openRanges(range, HOUR)).toEqual([range]);
    expect(ALWAYS_OPEN.isBarOpen(range.start, DAY)).toBe(true);
  });
});

describe('calendar names', () => {
  it('knows no calendar by an unknown name', () => {
    expect(calendarByName('XLON')).toBeUndefined();
    expect(calendarByName('xnys')).toBeUndefined();
  });

  it('marks calendar provenance apart from an upstream source', () => {
    expect(calendarSource(xnys())).toBe('calendar:XNYS');
    expect(isCalendarSource('calendar:XNYS')).toBe(true);
    expect(isCalendarSource('binance')).toBe(false);
  });
});
