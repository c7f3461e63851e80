/**
 * Points in time: epoch milliseconds UTC (ARCHITECTURE.md §1), parsed from the forms clients send
 * and formatted as ISO-8601.
 *
 * Accepted by `parseTime`:
 * - a non-negative integer number of ms, as a number or a string of digits (`1704067200000`).
 *   A string of digits is always epoch ms, never a compact date: `"20240101"` is 20 240 101 ms.
 * - an ISO-8601 date `YYYY-MM-DD` (midnight UTC);
 * - an ISO-8601 date-time `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z`, `±HH:MM` or `±HHMM`.
 *   A date-time WITHOUT a zone designator is read as UTC, not as the server's local time.
 *   Fractions of a second may have 1–9 digits, but digits below the millisecond must be zero:
 *   sub-millisecond precision is refused rather than silently rounded.
 *
 * Times before 1970-01-01T00:00:00Z and after the ECMAScript limit (8.64e15 ms) are refused, as
 * are impossible calendar dates (`2024-02-30`), `24:00` and leap seconds (`:60`).
 */

import { InternalError, InvalidRequestError } from './errors.js';

/** The largest time ECMAScript `Date` can represent: 8.64e15 ms (+275760-09-13). */
export const MAX_TIME_MS = 8.64e15;

const MS_PER_DAY = 86_400_000;
const DIGITS = /^\d+$/;
// Groups: year, month, day, hour, minute, second, fraction, zone ('Z' | sign), offset hours, offset minutes.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?)?$/i;

/**
 * Parses a point in time into epoch ms. Throws `InvalidRequestError(field, …)` quoting the input
 * when it is not one of the forms above.
 *
 * @example
 * parseTime('2024-01-01', 'start');                // 1704067200000
 * parseTime('2024-01-01T02:00:00+02:00', 'start'); // 1704067200000
 * parseTime(1704067200000, 'end');                 // 1704067200000
 */
export function parseTime(input: string | number, field: string): number {
  if (typeof input === 'number') {
    if (!Number.isInteger(input)) throw invalid(field, input, 'epoch ms must be an integer');
    return checkBounds(input, input, field);
  }
  if (typeof input !== 'string') throw invalid(field, String(input), 'expected epoch ms or an ISO-8601 date-time');
  if (input.length === 0) throw invalid(field, input, 'empty; expected epoch ms or an ISO-8601 date-time');
  if (DIGITS.test(input)) return checkBounds(Number(input), input, field);
  const m = ISO.exec(input);
  if (m === null) {
    throw invalid(field, input, 'expected epoch ms or ISO-8601 such as 2024-01-01 or 2024-01-01T00:00:00Z');
  }
  return checkBounds(isoToMs(m, input, field), input, field);
}

/**
 * Formats epoch ms as ISO-8601 UTC with milliseconds and `Z`.
 *
 * @example
 * formatTime(0); // "1970-01-01T00:00:00.000Z"
 */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIME_MS) {
    throw new InternalError(`cannot format ${ms} as a time: outside ±${MAX_TIME_MS} ms`);
  }
  return new Date(ms).toISOString();
}

function isoToMs(m: RegExpExecArray, input: string, field: string): number {
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw invalid(field, input, `${m[1]}-${m[2]}-${m[3]} is not a calendar date`);
  }
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  if (m[4] === undefined) return ms;

  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) throw invalid(field, input, 'time of day out of range');
  ms += ((hour * 60 + minute) * 60 + second) * 1_000;

  const fraction = m[7];
  if (fraction !== undefined) {
    const padded = fraction.padEnd(9, '0');
    if (!/^0*$/.test(padded.slice(3))) throw invalid(field, input, 'sub-millisecond precision is not supported');
    ms += Number(padded.slice(0, 3));
  }

  if (m[9] !== undefined) {
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11]);
    if (offHours > 23 || offMinutes > 59) throw invalid(field, input, 'zone offset out of range');
    const offset = (offHours * 60 + offMinutes) * 60_000;
    ms += m[9] === '+' ? -offset : offset;
  }
  return ms;
}

function checkBounds(ms: number, input: string | number, field: string): number {
  if (ms < 0) throw invalid(field, input, 'times before 1970-01-01T00:00:00Z are not supported');
  if (ms > MAX_TIME_MS) throw invalid(field, input, `beyond the largest supported time (${MAX_TIME_MS} ms)`);
  return ms;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** `given` is the caller's input as it came: quoted in the message, kept as is in details.value. */
function invalid(field: string, given: string | number, reason: string): InvalidRequestError {
  const shown = typeof given === 'string' ? JSON.stringify(given) : String(given);
  return new InvalidRequestError(field, `invalid time ${shown}: ${reason}`, { value: given });
}
