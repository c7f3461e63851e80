import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InternalError, InvalidRequestError } from '../../../src/core/index.js';
import { MAX_TIME_MS, formatTime, parseTime } from '../../../src/core/index.js';

const JAN_1_2024 = 1_704_067_200_000;

function refusal(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new InternalError('expected an InvalidRequestError');
}

describe('parseTime', () => {
  it('accepts epoch ms as a number or a string of digits', () => {
    expect(parseTime(JAN_1_2024, 'start')).toBe(JAN_1_2024);
    expect(parseTime(String(JAN_1_2024), 'start')).toBe(JAN_1_2024);
    expect(parseTime(0, 'start')).toBe(0);
    expect(parseTime('0', 'start')).toBe(0);
    expect(parseTime(MAX_TIME_MS, 'end')).toBe(MAX_TIME_MS);
  });

  it('keeps the rejected text as given in details.value, quoted only in the message', () => {
    let caught: unknown;
    try { parseTime('yesterday', 'end'); } catch (err) { caught = err; }
    expect(caught).toMatchObject({ details: { field: 'end', value: 'yesterday' }, message: expect.stringContaining('"yesterday"') });
  });

  it('reads a string of digits as epoch ms, never as a compact date', () => {
    expect(parseTime('20240101', 'start')).toBe(20_240_101);
  });

  it.each([
    ['2024-01-01', JAN_1_2024],
    ['2024-01-01T00:00:00Z', JAN_1_2024],
    ['2024-01-01T00:00Z', JAN_1_2024],
    ['2024-01-01t00:00:00z', JAN_1_2024],
    ['2024-01-01T00:00:00.5Z', JAN_1_2024 + 500],
    ['2024-01-01T00:00:00.123Z', JAN_1_2024 + 123],
    ['2024-01-01T00:00:00.123000Z', JAN_1_2024 + 123],
    ['2024-01-01T00:00:00.123000000Z', JAN_1_2024 + 123],
    ['2024-01-01T02:00:00+02:00', JAN_1_2024],
    ['2024-01-01T02:00:00+0200', JAN_1_2024],
    ['2023-12-31T19:00:00-05:00', JAN_1_2024],
    ['2024-01-01T05:30:00+05:30', JAN_1_2024],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['1970-01-01T00:00:00Z', 0],
    ['9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
  ])('parses ISO-8601 %s', (input, expected) => {
    expect(parseTime(input, 'start')).toBe(expected);
  });

  it('treats a date-time without a zone designator as UTC', () => {
    expect(parseTime('2024-01-01T00:00:00', 'start')).toBe(JAN_1_2024);
    expect(parseTime('2024-01-01T12:34:56.789', 'start')).toBe(Date.UTC(2024, 0, 1, 12, 34, 56, 789));
  });

  it.each([
    '', ' ', 'now', 'garbage', '2024-1-1', '2024/01/01', '2024-01-01 00:00:00Z', '2024-01-01T00Z',
    '2024-02-30', '2023-02-29', '1900-02-29', '2024-13-01', '2024-00-10', '2024-01-00', '2024-04-31',
    '2024-01-01T24:00:00Z', '2024-01-01T23:60:00Z', '2024-01-01T23:59:60Z', '2024-01-01T00:00:00+24:00',
    '2024-01-01T00:00:00+02:60', '2024-01-01T00:00:00.1234Z', '2024-01-01T00:00:00.Z', '2024-01-01Z',
    '+002024-01-01', '-1', '1.5', '1e12', ' 1704067200000', '0x10', '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:30:00+01:00', '0070-01-01', '9000000000000000',
  ])('refuses %j and names the field', (input) => {
    const err = refusal(() => parseTime(input, 'start'));
    expect(err.field).toBe('start');
    expect(err.message).toContain(JSON.stringify(input));
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, MAX_TIME_MS + 1])(
    'refuses the number %s and names the field',
    (input) => {
      expect(refusal(() => parseTime(input, 'end')).field).toBe('end');
    },
  );

  it('refuses sub-millisecond precision with a reason', () => {
    expect(() => parseTime('2024-01-01T00:00:00.0001Z', 'start')).toThrow(/sub-millisecond/);
  });

  it('refuses impossible dates with a reason', () => {
    expect(() => parseTime('2024-02-30', 'start')).toThrow(/start: invalid time "2024-02-30": 2024-02-30 is not a calendar date/);
  });

  it('agrees with Date for every UTC instant it formats (round trip)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), (ms) => {
        expect(parseTime(formatTime(ms), 'start')).toBe(ms);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with Date.parse on zoned date-times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 86_400_000, max: Date.UTC(9998, 0, 1) }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (ms, offsetMin) => {
          const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
          const sign = offsetMin < 0 ? '-' : '+';
          const abs = Math.abs(offsetMin);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const text = local + zone;
          expect(parseTime(text, 'start')).toBe(Date.parse(text));
          expect(parseTime(text, 'start')).toBe(ms);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('formatTime', () => {
  it('formats ISO-8601 UTC with milliseconds and Z', () => {
    expect(formatTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatTime(JAN_1_2024 + 1)).toBe('2024-01-01T00:00:00.001Z');
  });

  it('refuses values Date cannot represent', () => {
    expect(() => formatTime(Number.NaN)).toThrow(InternalError);
    expect(() => formatTime(MAX_TIME_MS + 1)).toThrow(InternalError);
  });
});
