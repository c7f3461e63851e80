import { describe, expect, it } from 'vitest';
import { calendarByName } from '../../../src/core/index.js';
import type { TradingCalendar } from '../../../src/core/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';

const HOUR = 3_600_000;
const t = (iso: string): number => Date.parse(iso);
const XNYS = calendarByName('XNYS') as TradingCalendar;

describe('synthetic source on an exchange calendar', () => {
  // Monday 2024-07-01 .. Monday 2024-07-08: the 3rd closes at 13:00 New York, the 4th is a holiday.
  const week = { start: t('2024-07-01T00:00:00Z'), end: t('2024-07-08T00:00:00Z') };

  it('produces bars only in open sessions and answers the closed time known empty', async () => {
    const source = createSyntheticSource({ seed: 7, calendar: XNYS });
    const { frame, knownEmpty } = await source.fetch({ nodeId: 'ohlcv:demo:ACME', intervalMs: HOUR, range: week });
    expect(knownEmpty).toEqual(XNYS.closedRanges(week, HOUR));
    // 7 bars a day (13:00..19:00 UTC) on 1, 2 and 5 July, 4 on the early close of the 3rd.
    expect(frame.length).toBe(3 * 7 + 4);
    for (let i = 0; i < frame.length; i++) expect(XNYS.isBarOpen(frame.ts[i], HOUR)).toBe(true);
  });

  it('gives the same bar for the same ts whatever range is asked (deterministic)', async () => {
    const source = createSyntheticSource({ seed: 7, calendar: XNYS });
    const whole = await source.fetch({ nodeId: 'ohlcv:demo:ACME', intervalMs: HOUR, range: week });
    const day = { start: t('2024-07-05T00:00:00Z'), end: t('2024-07-06T00:00:00Z') };
    const part = await source.fetch({ nodeId: 'ohlcv:demo:ACME', intervalMs: HOUR, range: day });
    const at = whole.frame.ts.indexOf(part.frame.ts[0]);
    expect(at).toBeGreaterThan(0);
    for (let c = 0; c < part.frame.values.length; c++) {
      expect(Array.from(part.frame.values[c])).toEqual(Array.from(whole.frame.values[c].subarray(at, at + part.frame.length)));
    }
  });
});
