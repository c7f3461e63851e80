/**
 * Bar intervals: the named forms of ARCHITECTURE.md §1 and their value in epoch milliseconds.
 *
 * Every interval's grid is aligned to the Unix epoch: a bar of interval `I` opens at `ts` with
 * `ts % I === 0`. For `1d` that is 00:00 UTC; for `1w` it is Thursday 00:00 UTC, because
 * 1970-01-01 was a Thursday. Nothing here shifts a grid to a calendar week or month.
 */

import { InvalidRequestError } from './errors.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** The accepted interval names and their length in ms. */
export const INTERVAL_NAMES: Readonly<Record<string, number>> = Object.freeze({
  '1s': SECOND,
  '5s': 5 * SECOND,
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '2h': 2 * HOUR,
  '4h': 4 * HOUR,
  '6h': 6 * HOUR,
  '12h': 12 * HOUR,
  '1d': DAY,
  '1w': WEEK,
});

/** The longest interval accepted: 365 days (31 536 000 000 ms). Longer bars are almost surely a unit mistake. */
export const MAX_INTERVAL_MS = 365 * DAY;

// Reverse lookup built once at load (a pure computation, no side effects) so formatInterval is one map read.
const NAME_BY_MS: ReadonlyMap<number, string> = new Map(Object.entries(INTERVAL_NAMES).map(([name, ms]) => [ms, name]));

const ACCEPTED = `one of ${Object.keys(INTERVAL_NAMES).join(', ')} or a positive integer number of ms up to ${MAX_INTERVAL_MS}`;
const DIGITS = /^\d+$/;

/**
 * Parses an interval given by name (`"1m"`) or as a positive integer number of ms (`60000` or
 * `"60000"`) and returns it in ms. Throws `InvalidRequestError(field, …)` for anything else,
 * including 0, negatives, fractions, NaN, Infinity and values above `MAX_INTERVAL_MS`.
 *
 * @example
 * parseInterval('5m');            // 300000
 * parseInterval('60000');         // 60000
 * parseInterval(3_600_000, 'tf'); // 3600000
 */
export function parseInterval(input: string | number, field = 'interval'): number {
  if (typeof input === 'number') return checkMs(input, input, field);
  if (typeof input !== 'string') throw invalid(field, String(input));
  if (Object.hasOwn(INTERVAL_NAMES, input)) return INTERVAL_NAMES[input];
  if (DIGITS.test(input)) return checkMs(Number(input), input, field);
  throw invalid(field, input);
}

/**
 * The canonical name of an interval in ms (`60000` → `"1m"`), or `"<ms>ms"` when it has none.
 *
 * @example
 * formatInterval(86_400_000); // "1d"
 * formatInterval(90_000);     // "90000ms"
 */
export function formatInterval(ms: number): string {
  return NAME_BY_MS.get(ms) ?? `${ms}ms`;
}

function checkMs(ms: number, given: string | number, field: string): number {
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_INTERVAL_MS) throw invalid(field, given);
  return ms;
}

/** `given` is the caller's input as it came: quoted in the message, kept as is in details.value. */
function invalid(field: string, given: string | number): InvalidRequestError {
  const shown = typeof given === 'string' ? JSON.stringify(given) : String(given);
  return new InvalidRequestError(field, `invalid interval ${shown}: expected ${ACCEPTED}`, { value: given });
}
