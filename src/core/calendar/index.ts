// The calendar door inside core: trading calendars (24/7 and exchange sessions) by name.
export { ALWAYS_OPEN, barsOverlapping } from './trading-calendar.js';
export { createXnysCalendar, XNYS_SPECIAL_CLOSURES, XNYS_TIME_ZONE } from './xnys-calendar.js';
export { CALENDAR_NAMES, DEFAULT_CALENDAR, calendarByName, calendarSource, isCalendarName, isCalendarSource } from './calendars.js';
export type { Sessions, TradingCalendar } from './trading-calendar.js';
export type { CalendarName } from './calendars.js';
