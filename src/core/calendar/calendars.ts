/**
 * The calendars a dataset may name (`datasets[].calendar`), by name. `24/7` is the default.
 * Each exchange calendar is built once per process, on first use (its holiday rules compiled then).
 */
import { ALWAYS_OPEN } from './trading-calendar.js';
import type { TradingCalendar } from './trading-calendar.js';
import { createXnysCalendar } from './xnys-calendar.js';

export const CALENDAR_NAMES = ['24/7', 'XNYS'] as const;
export type CalendarName = (typeof CALENDAR_NAMES)[number];
export const DEFAULT_CALENDAR: CalendarName = '24/7';

const built = new Map<CalendarName, TradingCalendar>();

/** The calendar named `name`, or undefined when there is none of that name. */
export function calendarByName(name: string): TradingCalendar | undefined {
  if (!isCalendarName(name)) return undefined;
  let c = built.get(name);
  if (c === undefined) {
    c = name === '24/7' ? ALWAYS_OPEN : createXnysCalendar();
    built.set(name, c);
  }
  return c;
}

export function isCalendarName(name: string): name is CalendarName {
  return (CALENDAR_NAMES as readonly string[]).includes(name);
}

/** The provenance source of emptiness decided by a calendar (`calendar:XNYS`): never re-checked upstream. */
export function calendarSource(calendar: TradingCalendar): string {
  return `calendar:${calendar.name}`;
}

/** Whether a known-empty provenance `source` is a calendar's (closed time) rather than an upstream's. */
export function isCalendarSource(source: string): boolean {
  return source.startsWith('calendar:');
}
