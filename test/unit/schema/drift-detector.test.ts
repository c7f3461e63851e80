import { describe, expect, it } from 'vitest';
import { createDriftDetector } from '../../../src/schema/index.js';
import { parseSchema } from '../../../src/schema/internal.js';
import type { ObservedColumn } from '../../../src/schema/internal.js';
import { schemaText } from './harness.js';

const APPROVED = parseSchema(schemaText({
  close: { type: 'number' }, trades: { type: 'integer' }, venue: { type: 'string' }, side: { enum: ['buy', 'sell'] },
  final: { type: 'boolean' }, note: { type: ['string', 'null'] },
}, ['ts', 'close', 'trades']));

const CLEAN: ObservedColumn[] = [
  { name: 'ts', kind: 'int64' }, { name: 'close', kind: 'float64' }, { name: 'trades', kind: 'int64' },
];

describe('drift detector', () => {
  it('reports no drift for a payload matching the approved schema', () => {
    const detector = createDriftDetector();
    expect(detector.observe('s', CLEAN, APPROVED)).toEqual({ drifted: false, messages: [] });
    expect(detector.counts()).toEqual({});
  });

  it('accepts numbers that cast safely between float64, int64 and timestamp', () => {
    const observed: ObservedColumn[] = [
      { name: 'ts', kind: 'float64' }, { name: 'close', kind: 'int64' }, { name: 'trades', kind: 'float64' },
      { name: 'side', kind: 'string' }, { name: 'final', kind: 'bool' },
    ];
    expect(createDriftDetector().observe('s', observed, APPROVED).drifted).toBe(false);
  });

  it('reports a missing required column but not a missing optional one', () => {
    const report = createDriftDetector().observe('s', CLEAN.filter((c) => c.name !== 'close'), APPROVED);
    expect(report).toEqual({ drifted: true, messages: ['required column "close" is missing'] });
  });

  it('reports a column the approved schema does not have', () => {
    const report = createDriftDetector().observe('s', [...CLEAN, { name: 'vwap', kind: 'float64' }], APPROVED);
    expect(report.messages).toEqual(['unexpected column "vwap" (not in the approved schema "bars")']);
  });

  it.each([
    ['close', 'string', 'float64'],
    ['ts', 'string', 'timestamp'],
    ['venue', 'float64', 'string'],
    ['side', 'int64', 'enum'],
    ['final', 'int64', 'bool'],
  ] as const)('reports %s observed as %s against %s', (name, kind, type) => {
    const observed = [...CLEAN.filter((c) => c.name !== name), { name, kind }];
    expect(createDriftDetector().observe('s', observed, APPROVED).messages).toEqual([`column "${name}" is observed as ${kind} but the approved type is ${type}`]);
  });

  it('counts drifted observations per subject', () => {
    const detector = createDriftDetector();
    const drifted: ObservedColumn[] = [{ name: 'ts', kind: 'string' }];
    detector.observe('a', drifted, APPROVED);
    detector.observe('a', drifted, APPROVED);
    detector.observe('b', drifted, APPROVED);
    detector.observe('b', CLEAN, APPROVED);
    expect(detector.counts()).toEqual({ a: 2, b: 1 });
  });
});
