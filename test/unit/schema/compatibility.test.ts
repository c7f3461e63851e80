import { describe, expect, it } from 'vitest';
import { COMPATIBILITY_MODES } from '../../../src/schema/index.js';
import { checkCompatibility } from '../../../src/schema/internal.js';
import type { CompatibilityMode, ParsedSchema, SchemaField } from '../../../src/schema/index.js';

function f(name: string, type: SchemaField['type'], over: Partial<SchemaField> = {}): SchemaField {
  return { name, type, nullable: false, required: true, ...over };
}

function s(...fields: SchemaField[]): ParsedSchema {
  return { title: 't', fields };
}

const TS = f('ts', 'timestamp');
const V1 = s(TS, f('close', 'float64'));

/** [case, old schema, new schema, compatible BACKWARD, compatible FORWARD]. */
const CASES: [string, ParsedSchema, ParsedSchema, boolean, boolean][] = [
  ['adding a required field', V1, s(TS, f('close', 'float64'), f('volume', 'float64')), false, true],
  ['adding an optional field', V1, s(TS, f('close', 'float64'), f('volume', 'float64', { required: false })), true, true],
  ['adding a nullable optional field', V1, s(TS, f('close', 'float64'), f('volume', 'float64', { required: false, nullable: true })), true, true],
  ['removing a required field', V1, s(TS), true, false],
  ['removing an optional field', s(TS, f('note', 'string', { required: false })), s(TS), true, true],
  ['changing a type', V1, s(TS, f('close', 'string')), false, false],
  ['widening int64 to float64', s(TS, f('n', 'int64')), s(TS, f('n', 'float64')), true, false],
  ['narrowing float64 to int64', s(TS, f('n', 'float64')), s(TS, f('n', 'int64')), false, true],
  ['making a nullable field non-nullable', s(TS, f('v', 'float64', { nullable: true })), s(TS, f('v', 'float64')), false, true],
  ['making a field nullable', s(TS, f('v', 'float64')), s(TS, f('v', 'float64', { nullable: true })), true, false],
  ['making an optional field required', s(TS, f('v', 'float64', { required: false })), s(TS, f('v', 'float64')), false, true],
  ['removing an enum symbol', s(TS, f('side', 'enum', { symbols: ['buy', 'sell'] })), s(TS, f('side', 'enum', { symbols: ['buy'] })), false, true],
  ['adding an enum symbol', s(TS, f('side', 'enum', { symbols: ['buy'] })), s(TS, f('side', 'enum', { symbols: ['buy', 'sell'] })), true, false],
];

describe('compatibility', () => {
  it.each(CASES)('judges %s under every mode', (_what, before, after, backward, forward) => {
    const expected: Record<CompatibilityMode, boolean> = {
      BACKWARD: backward, BACKWARD_TRANSITIVE: backward, FORWARD: forward, FORWARD_TRANSITIVE: forward,
      FULL: backward && forward, FULL_TRANSITIVE: backward && forward, NONE: true,
    };
    for (const mode of COMPATIBILITY_MODES) {
      const result = checkCompatibility(mode, after, [before]);
      expect(result.compatible, mode).toBe(expected[mode]);
      expect(result.messages.length === 0, mode).toBe(expected[mode]);
    }
  });

  it('names the field, the change, the direction and the version compared against', () => {
    const result = checkCompatibility('BACKWARD', s(TS, f('volume', 'string')), [s(TS, f('volume', 'float64'))]);
    expect(result.messages).toEqual([
      'field "volume" changed type from float64 to string (BACKWARD against version 1: readers of the new schema cannot read data written with version 1)',
    ]);
  });

  it('words each kind of incompatibility', () => {
    const before = s(TS, f('a', 'float64'), f('b', 'float64', { nullable: true }), f('c', 'enum', { symbols: ['x', 'y'] }), f('d', 'int64', { required: false }));
    const after = s(TS, f('b', 'float64'), f('c', 'enum', { symbols: ['x'] }), f('d', 'int64'), f('e', 'bool'));
    const back = checkCompatibility('BACKWARD', after, [before]).messages;
    expect(back.map((m) => m.replace(/ \(.*\)$/, ''))).toEqual([
      'field "b" became non-nullable',
      'field "c" removed enum symbols "y"',
      'field "d" became required',
      'field "e" was added as required',
    ]);
    const fwd = checkCompatibility('FORWARD', after, [before]).messages;
    expect(fwd).toContain('field "a" was removed but version 1 requires it (FORWARD against version 1: readers of version 1 cannot read data written with the new schema)');
  });

  it('lists one message per incompatibility in both directions under FULL', () => {
    const result = checkCompatibility('FULL', s(TS, f('close', 'string')), [V1]);
    expect(result.messages).toHaveLength(2);
    expect(result.messages[0]).toContain('BACKWARD against version 1');
    expect(result.messages[1]).toContain('FORWARD against version 1');
  });

  it('compares transitive modes with every earlier version and the others with the latest only', () => {
    // x3 only adds an optional column to x2, but x2 widened x1's int64: old x1 readers cannot read it.
    const x1 = s(TS, f('n', 'int64'));
    const x2 = s(TS, f('n', 'float64'));
    const x3 = s(TS, f('n', 'float64'), f('m', 'bool', { required: false }));
    expect(checkCompatibility('FORWARD', x3, [x1, x2]).compatible).toBe(true);
    const transitive = checkCompatibility('FORWARD_TRANSITIVE', x3, [x1, x2]);
    expect(transitive.compatible).toBe(false);
    expect(transitive.messages).toEqual([
      'field "n" changed type from int64 to float64 (FORWARD against version 1: readers of version 1 cannot read data written with the new schema)',
    ]);
    expect(checkCompatibility('FULL', x3, [x1, x2]).compatible).toBe(true);
    expect(checkCompatibility('FULL_TRANSITIVE', x3, [x1, x2]).compatible).toBe(false);
  });

  it('finds a backward chain broken only against the first version', () => {
    const v1 = s(TS, f('side', 'enum', { symbols: ['buy', 'sell', 'hold'] }));
    const v2 = s(TS, f('side', 'enum', { symbols: ['buy', 'sell'] }));
    const v3 = s(TS, f('side', 'enum', { symbols: ['buy', 'sell'] }), f('venue', 'string', { required: false }));
    expect(checkCompatibility('BACKWARD', v3, [v1, v2]).compatible).toBe(true);
    expect(checkCompatibility('BACKWARD_TRANSITIVE', v3, [v1, v2]).messages).toEqual([
      'field "side" removed enum symbols "hold" (BACKWARD against version 1: readers of the new schema cannot read data written with version 1)',
    ]);
  });

  it('accepts anything as the first version and anything under NONE', () => {
    for (const mode of COMPATIBILITY_MODES) expect(checkCompatibility(mode, V1, []).compatible).toBe(true);
    expect(checkCompatibility('NONE', s(f('x', 'bool')), [V1])).toEqual({ compatible: true, messages: [] });
  });
});
