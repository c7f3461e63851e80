import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/core/index.js';
import { INTERVAL_NAMES, formatInterval, parseInterval } from '../../../src/core/index.js';
import { MAX_INTERVAL_MS } from '../../../src/core/internal.js';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    return (err as InvalidRequestError).field;
  }
  return undefined;
}

describe('interval names', () => {
  it('lists exactly the names of ARCHITECTURE.md §1 with their length in ms', () => {
    expect(INTERVAL_NAMES).toEqual({
      '1s': 1_000, '5s': 5_000, '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000,
      '1h': 3_600_000, '2h': 7_200_000, '4h': 14_400_000, '6h': 21_600_000, '12h': 43_200_000,
      '1d': 86_400_000, '1w': 604_800_000,
    });
    expect(Object.isFrozen(INTERVAL_NAMES)).toBe(true);
  });
});

describe('parseInterval', () => {
  it('accepts every named interval', () => {
    for (const [name, ms] of Object.entries(INTERVAL_NAMES)) expect(parseInterval(name)).toBe(ms);
  });

  it('accepts a positive integer number of ms as a number or a string of digits', () => {
    expect(parseInterval(60_000)).toBe(60_000);
    expect(parseInterval('90000')).toBe(90_000);
    expect(parseInterval(1)).toBe(1);
    expect(parseInterval(MAX_INTERVAL_MS)).toBe(MAX_INTERVAL_MS);
  });

  it.each([
    0, -1, -60_000, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_INTERVAL_MS + 1,
    '', '0', '-1', '1.5', '1M', '1 m', ' 1m', '1min', 'constructor', 'toString', '1e3', '0x10', 'abc',
    String(MAX_INTERVAL_MS + 1), '99999999999999999999',
  ])('refuses %j and names the field', (input) => {
    expect(fieldOf(() => parseInterval(input))).toBe('interval');
    expect(fieldOf(() => parseInterval(input, 'timeframe'))).toBe('timeframe');
  });

  it('lists the accepted forms and quotes the input in its message', () => {
    expect(() => parseInterval('7m')).toThrow(/interval: invalid interval "7m": expected one of 1s, 5s, 1m.*1w or a positive integer/);
  });
});

describe('parseInterval errors', () => {
  it('keeps the rejected text as given in details.value, quoted only in the message', () => {
    let caught: unknown;
    try { parseInterval('7x', 'interval'); } catch (err) { caught = err; }
    expect(caught).toMatchObject({ details: { field: 'interval', value: '7x' }, message: expect.stringContaining('"7x"') });
  });
});

describe('formatInterval', () => {
  it('gives the canonical name when there is one', () => {
    for (const [name, ms] of Object.entries(INTERVAL_NAMES)) expect(formatInterval(ms)).toBe(name);
  });

  it('falls back to <ms>ms otherwise', () => {
    expect(formatInterval(90_000)).toBe('90000ms');
    expect(formatInterval(1)).toBe('1ms');
  });

  it('round-trips through parseInterval for named intervals', () => {
    for (const ms of Object.values(INTERVAL_NAMES)) expect(parseInterval(formatInterval(ms))).toBe(ms);
  });
});
