/**
 * XNYS, the New York Stock Exchange: a regular session 09:30–16:00 America/New_York on weekdays,
 * closing at 13:00 on its usual early-close days, closed on its holidays and on special closures.
 *
 * Where the data comes from (docs/calendars.md):
 * - Holidays: NYSE Rule 7.2 lists them; they are written here as rules of date-holidays' rule
 *   grammar (a maintained holiday engine: Easter, nth weekday, weekend substitution), evaluated
 *   by it per year, so no date list has to be kept by hand. NYSE observes a holiday on Saturday
 *   on the Friday before and one on Sunday on the Monday after, except New Year's Day on a
 *   Saturday, which is not observed (the last trading day of the year stays open).
 * - Early closes (13:00): the day before Independence Day, the day after Thanksgiving and
 *   Christmas Eve, when they are trading days (a Friday July 3 or December 24 is the observed
 *   holiday instead).
 * - Special closures: unscheduled days the exchange announced (national days of mourning,
 *   Hurricane Sandy, September 11), an explicit list below; a new one is added here.
 * - Local times to epoch ms through @date-fns/tz (TZDate), so daylight saving changes move the
 *   session in UTC (13:30–20:00 UTC in summer, 14:30–21:00 UTC in winter).
 * Rules are those in force since 2000 (Juneteenth since 2022); earlier years are approximate.
 */
import { createRequire } from 'node:module';
import type Holidays from 'date-holidays';
import { TZDate } from '@date-fns/tz';
import type { TimeRange } from '../range.js';
import { calendarFromSessions } from './trading-calendar.js';
import type { Sessions, TradingCalendar } from './trading-calendar.js';

export const XNYS_TIME_ZONE = 'America/New_York';

/** NYSE Rule 7.2 holidays in date-holidays' rule grammar (type `public`: the exchange is closed). */
const HOLIDAY_RULES: readonly { readonly rule: string; readonly name: string; readonly from?: string }[] = [
  { rule: '01-01 and if sunday then next monday', name: "New Year's Day" },
  { rule: '3rd monday in January', name: 'Martin Luther King Jr. Day', from: '1998-01-01' },
  { rule: '3rd monday in February', name: "Washington's Birthday" },
  { rule: 'easter -2', name: 'Good Friday' },
  { rule: 'monday before 06-01', name: 'Memorial Day' },
  { rule: '06-19 if saturday then previous friday if sunday then next monday', name: 'Juneteenth', from: '2022-01-01' },
  { rule: '07-04 if saturday then previous friday if sunday then next monday', name: 'Independence Day' },
  { rule: '1st monday in September', name: 'Labor Day' },
  { rule: '4th thursday in November', name: 'Thanksgiving Day' },
  { rule: '12-25 if saturday then previous friday if sunday then next monday', name: 'Christmas Day' },
];

/** Early closes (type `optional`), applied only on trading days. */
const EARLY_CLOSE_RULES: readonly { readonly rule: string; readonly name: string }[] = [
  { rule: '07-03', name: 'Day before Independence Day' },
  { rule: 'friday after 4th thursday in November', name: 'Day after Thanksgiving' },
  { rule: '12-24', name: 'Christmas Eve' },
];

/** Unscheduled full-day closures announced by the exchange (local dates). */
export const XNYS_SPECIAL_CLOSURES: readonly { readonly date: string; readonly reason: string }[] = [
  { date: '2001-09-11', reason: 'September 11 attacks' },
  { date: '2001-09-12', reason: 'September 11 attacks' },
  { date: '2001-09-13', reason: 'September 11 attacks' },
  { date: '2001-09-14', reason: 'September 11 attacks' },
  { date: '2004-06-11', reason: 'National day of mourning for President Reagan' },
  { date: '2007-01-02', reason: 'National day of mourning for President Ford' },
  { date: '2012-10-29', reason: 'Hurricane Sandy' },
  { date: '2012-10-30', reason: 'Hurricane Sandy' },
  { date: '2018-12-05', reason: 'National day of mourning for President George H. W. Bush' },
  { date: '2025-01-09', reason: 'National day of mourning for President Carter' },
];

const DAY_MS = 86_400_000;
const OPEN_MINUTES = 9 * 60 + 30;
const CLOSE_MINUTES = 16 * 60;
const EARLY_CLOSE_MINUTES = 13 * 60;

/** One year's closed and early-close local days, as `YYYY-MM-DD`. */
interface YearTable {
  readonly closed: ReadonlySet<string>;
  readonly early: ReadonlySet<string>;
}

/**
 * date-holidays, loaded with the first XNYS calendar rather than with core: about 0.3 s of CPU that
 * a process whose datasets name no calendar (and every CLI command that opens no data) never
 * pays. Its CommonJS build, through require, so that building a calendar stays synchronous.
 */
function loadHolidays(): typeof Holidays {
  return createRequire(import.meta.url)('date-holidays') as typeof Holidays;
}

/** Creates the XNYS calendar; the holiday rules are compiled once here, each year's table on first use. */
export function createXnysCalendar(): TradingCalendar {
  const HolidayRules = loadHolidays();
  const holidays = new HolidayRules({ timezone: XNYS_TIME_ZONE, types: ['public', 'optional'] });
  for (const h of HOLIDAY_RULES) holidays.setHoliday(h.rule, { name: h.name, type: 'public', ...(h.from ? { active: [{ from: h.from }] } : {}) });
  for (const h of EARLY_CLOSE_RULES) holidays.setHoliday(h.rule, { name: h.name, type: 'optional' });
  const special = new Set(XNYS_SPECIAL_CLOSURES.map((c) => c.date));
  const years = new Map<number, YearTable>();

  const tableOf = (year: number): YearTable => {
    let t = years.get(year);
    if (t === undefined) {
      const closed = new Set<string>();
      const early = new Set<string>();
      for (const h of holidays.getHolidays(year)) (h.type === 'public' ? closed : early).add(h.date.slice(0, 10));
      for (const d of special) if (d.startsWith(`${year}-`)) closed.add(d);
      t = { closed, early };
      years.set(year, t);
    }
    return t;
  };

  // One year's sessions, computed once (a TZDate per trading day is the cost avoided on later calls).
  const sessionsOfYear = new Map<number, Sessions>();
  const yearSessions = (year: number): Sessions => {
    let s = sessionsOfYear.get(year);
    if (s === undefined) {
      const open: number[] = [];
      const close: number[] = [];
      const table = tableOf(year);
      for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += DAY_MS) {
        const d = new Date(day);
        const weekday = d.getUTCDay();
        if (weekday === 0 || weekday === 6) continue;
        const m = d.getUTCMonth();
        const date = d.getUTCDate();
        const key = isoDate(year, m, date);
        if (table.closed.has(key)) continue;
        open.push(localTime(year, m, date, OPEN_MINUTES));
        close.push(localTime(year, m, date, table.early.has(key) ? EARLY_CLOSE_MINUTES : CLOSE_MINUTES));
      }
      s = { open: Float64Array.from(open), close: Float64Array.from(close), length: open.length };
      sessionsOfYear.set(year, s);
    }
    return s;
  };

  const sessions = (range: TimeRange): Sessions => {
    if (range.end <= range.start) return { open: new Float64Array(0), close: new Float64Array(0), length: 0 };
    // A session lies inside one local day, so the New York years of the range's ends bound it.
    const first = new TZDate(range.start, XNYS_TIME_ZONE).getFullYear();
    const last = new TZDate(range.end - 1, XNYS_TIME_ZONE).getFullYear();
    const parts: Sessions[] = [];
    let total = 0;
    for (let year = first; year <= last; year++) {
      const y = yearSessions(year);
      const from = firstEndingAfter(y.close, range.start);
      const to = firstOpeningAtOrAfter(y.open, range.end);
      if (to <= from) continue;
      parts.push({ open: y.open.subarray(from, to), close: y.close.subarray(from, to), length: to - from });
      total += to - from;
    }
    if (parts.length === 1) return parts[0];
    const open = new Float64Array(total);
    const close = new Float64Array(total);
    let at = 0;
    for (const p of parts) {
      open.set(p.open, at);
      close.set(p.close, at);
      at += p.length;
    }
    return { open, close, length: total };
  };

  return calendarFromSessions('XNYS', sessions);
}

/** Epoch ms of a local wall-clock time in New York (DST-correct through TZDate). */
function localTime(year: number, month: number, date: number, minutes: number): number {
  return new TZDate(year, month, date, Math.floor(minutes / 60), minutes % 60, XNYS_TIME_ZONE).getTime();
}

/** The first index whose session closes after `t` (ascending closes). */
function firstEndingAfter(close: Float64Array, t: number): number {
  let lo = 0;
  let hi = close.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (close[mid] > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The first index whose session opens at or after `t` (ascending opens). */
function firstOpeningAtOrAfter(open: Float64Array, t: number): number {
  let lo = 0;
  let hi = open.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (open[mid] >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function isoDate(year: number, month: number, date: number): string {
  return `${year}-${String(month + 1).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
}
