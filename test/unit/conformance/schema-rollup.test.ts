import { describe, expect, it } from 'vitest';
import type { ParsedSchema, SchemaField } from '../../../src/schema/index.js';
import type { CheckArgs } from './fixtures.js';
import { MIN, T0, batchOf, big, bool, check, f64, i64, str } from './fixtures.js';

const N = 4;
const grid = Array.from({ length: N }, (_, i) => T0 + i * MIN);
const num = (name: string): SchemaField => ({ name, type: 'float64', nullable: false, required: true });
const REGISTRY: ParsedSchema = {
  title: 'ohlcv-with-side',
  fields: [
    { name: 'ts', type: 'timestamp', nullable: false, required: true },
    num('open'), num('high'), num('low'), num('close'), num('volume'),
    { name: 'side', type: 'enum', nullable: false, required: false, symbols: ['buy', 'sell'] },
    { name: 'note', type: 'string', nullable: true, required: false },
    { name: 'trades', type: 'int64', nullable: false, required: false },
    { name: 'final', type: 'bool', nullable: false, required: false },
  ],
};
const good = () => ({
  ts: f64(grid), open: f64([10, 11, 12, 13]), high: f64([12, 13, 14, 15]), low: f64([9, 10, 11, 12]), close: f64([11, 12, 13, 14]), volume: f64([1, 2, 3, 4]),
});

function withRegistry(columns: Record<string, ReturnType<typeof f64>>, mode: 'canary' | 'strict' = 'canary', extra: Partial<CheckArgs> = {}) {
  return check({ batch: batchOf(columns, N), registry: { subject: 'ohlcv', version: 3, schema: REGISTRY, mode }, ...extra });
}

describe('schema rollup', () => {
  it('passes a conforming batch and records the subject, version and mode', () => {
    const r = withRegistry({ ...good(), side: str(['buy', 'sell', 'buy', 'buy']), note: str([null, 'x', null, null]), trades: i64([1, 2, 3, 4]), final: bool([true, false, true, true]) }, 'strict');
    expect(r.report.flags).toEqual({});
    expect(r.report.schema).toEqual({ subject: 'ohlcv', version: 3, mode: 'strict' });
    expect(r.schemaViolations).toEqual([]);
    expect(r.frame.schema.columns.map((c) => c.name)).toEqual(['open', 'high', 'low', 'close', 'volume']);
  });

  it('flags a missing required column, fills it with NaN and does not also call it non-finite', () => {
    const { volume: _dropped, ...rest } = good();
    const r = withRegistry(rest);
    expect(r.report.flags).toEqual({ missing_column: N });
    expect(r.report.warnings[0]).toMatchObject({ flag: 'missing_column', column: 'volume', count: N });
    expect([...r.frame.column('volume')].every(Number.isNaN)).toBe(true);
    expect(r.schemaViolations).toHaveLength(1);
    expect(r.schemaViolations[0]).toContain('"volume"');
  });

  it('drops an unexpected column as info', () => {
    const r = withRegistry({ ...good(), extra: f64([1, 2, 3, 4]) });
    expect(r.report.flags).toEqual({ unexpected_column: N });
    expect(r.report.hasErrors).toBe(false);
    expect(r.report.warnings[0]).toMatchObject({ level: 'info', column: 'extra', firstTs: T0 });
    expect(r.schemaViolations).toEqual([]);
  });

  it('casts int64 to float64 safely, as doubles or BigInts within 2^53', () => {
    const r = withRegistry({ ...good(), volume: i64([1, 2, 3, 4]), open: big([10n, 11n, 12n, 13n]) });
    expect(r.report.flags).toEqual({ dtype_cast: 2 * N });
    expect(r.report.hasErrors).toBe(false);
    expect([...r.frame.column('open')]).toEqual([10, 11, 12, 13]);
  });

  it('calls BigInts beyond 2^53 a mismatch for a frame column', () => {
    const r = withRegistry({ ...good(), volume: big([1n, 2n ** 60n, 3n, 2n ** 54n + 1n]) });
    expect(r.report.flags).toEqual({ dtype_cast: 2, dtype_mismatch: 2 });
    expect(r.report.warnings.find((w) => w.flag === 'dtype_mismatch')).toMatchObject({ column: 'volume', count: 2, firstTs: T0 + MIN });
  });

  it('refuses numeric strings and bools for a float64 field as a mismatch, keeping a best-effort value', () => {
    const r = withRegistry({ ...good(), volume: str(['1.5', '2', 'n/a', '4e1']), open: bool([true, false, true, true]) });
    expect(r.report.flags).toMatchObject({ dtype_mismatch: 2 * N });
    expect([...r.frame.column('volume')].slice(0, 2)).toEqual([1.5, 2]);
    expect(r.frame.column('volume')[2]).toBeNaN();
    expect(r.frame.column('volume')[3]).toBe(40);
    expect(r.schemaViolations).toHaveLength(2);
  });

  it('checks int64 fields: integral doubles are a safe cast, fractional ones a mismatch', () => {
    const r = withRegistry({ ...good(), trades: f64([1, 2.5, 3, Number.NaN]) });
    expect(r.report.flags).toEqual({ dtype_cast: 2, dtype_mismatch: 1 });
    expect(r.report.warnings.find((w) => w.flag === 'dtype_mismatch')).toMatchObject({ column: 'trades', firstTs: T0 + MIN });
  });

  it('flags strings outside the enumeration and nulls where the field is not nullable', () => {
    const r = withRegistry({ ...good(), side: str(['buy', 'hold', null, 'SELL']), final: bool([true, null, null, false]), note: str([null, null, null, null]) });
    expect(r.report.flags).toEqual({ invalid_enum: 2, null_value: 3 });
    const byColumn = Object.fromEntries(r.report.warnings.map((w) => [`${w.flag}/${w.column}`, w.count]));
    expect(byColumn).toEqual({ 'invalid_enum/side': 2, 'null_value/side': 1, 'null_value/final': 2 });
  });

  it('calls numbers for an enum, string or bool field a mismatch', () => {
    const r = withRegistry({ ...good(), side: f64([1, 2, 3, 4]), final: i64([0, 1, 0, 1]) });
    expect(r.report.flags).toEqual({ dtype_mismatch: 2 * N });
  });

  it('never blocks on canary schema findings but reports them as violations', () => {
    const r = withRegistry({ ...good(), side: str(['x', 'buy', 'buy', 'buy']) }, 'canary');
    expect(r.report.hasErrors).toBe(true);
    expect(r.schemaViolations).toEqual([expect.stringContaining('invalid_enum')]);
  });

  it('checks a batch against the frame schema when there is no registry schema', () => {
    const { volume: _dropped, ...rest } = good();
    const r = check({ batch: batchOf({ ...rest, open: str(['10', '11', '12', '13']), extra: bool([true, true, true, true]) }, N) });
    expect(r.report.flags).toEqual({ missing_column: N, unexpected_column: N, dtype_mismatch: N });
    expect(r.report.schema).toBeNull();
  });

  it('carries float64 columns into the frame without copying them', () => {
    const cols = good();
    const r = withRegistry(cols);
    expect(r.frame.column('close')).toBe(cols.close.values);
  });
});
