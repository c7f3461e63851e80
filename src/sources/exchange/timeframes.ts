/**
 * Our intervals (ms on the UTC epoch grid) ↔ an exchange's ccxt timeframe names (`1m`, `4h` …).
 *
 * Only timeframes whose bars open on our grid are offered: seconds, minutes, hours and `1d`
 * (exchanges open daily bars at 00:00 UTC). Weekly bars open on Mondays while our `1w` grid is
 * epoch-aligned (Thursdays), multi-day bars have exchange-specific anchors, and months have no
 * fixed length, so those are refused with the reason rather than stored off the grid.
 */
import { InvalidRequestError, formatInterval } from '../../core/index.js';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TIMEFRAME = /^(\d+)([smhdwMy])$/;
const DAY_MS = 86_400_000;

/**
 * Maps each interval (ms) the exchange serves on our grid to its timeframe name, from the
 * exchange's `timeframes` keys.
 */
export function gridTimeframes(timeframes: Readonly<Record<string, unknown>> | undefined): ReadonlyMap<number, string> {
  const out = new Map<number, string>();
  for (const name of Object.keys(timeframes ?? {})) {
    const ms = timeframeMs(name);
    if (ms !== undefined && !out.has(ms)) out.set(ms, name);
  }
  return out;
}

/** The length of a ccxt timeframe in ms when its bars lie on our grid, else undefined. */
export function timeframeMs(name: string): number | undefined {
  const m = TIMEFRAME.exec(name);
  if (m === null) return undefined;
  const unit = UNIT_MS[m[2]];
  const count = Number(m[1]);
  if (unit === undefined || count <= 0) return undefined;
  const ms = count * unit;
  // A bar longer than a day is anchored by the exchange's calendar, not by our epoch grid.
  if (ms > DAY_MS || DAY_MS % ms !== 0) return undefined;
  return ms;
}

/** The timeframe for `intervalMs`, or InvalidRequestError naming what the exchange offers. */
export function timeframeFor(exchange: string, intervalMs: number, supported: ReadonlyMap<number, string>): string {
  const name = supported.get(intervalMs);
  if (name !== undefined) return name;
  const offered = [...supported.keys()].sort((a, b) => a - b).map((ms) => supported.get(ms)).join(', ');
  const why = intervalMs === 7 * DAY_MS
    ? ' (exchanges open weekly bars on Mondays; our 1w grid is aligned to the epoch, a Thursday)'
    : '';
  throw new InvalidRequestError('interval', `${exchange} has no ${formatInterval(intervalMs)} bars on the UTC grid${why}; it offers ${offered || 'none'}`, { exchange, intervalMs });
}
