import { describe, expect, it } from 'vitest';
import { failCoverage } from '../../../src/storage/index.js';
import { mergeCoverage, overlayCoverage } from '../../../src/storage/internal.js';
import type { CoverageRange } from '../../../src/storage/index.js';

const s = (start: number, end: number): CoverageRange => ({ start, end, state: 'stored' });
const e = (start: number, end: number): CoverageRange => ({ start, end, state: 'known_empty' });
const f = (start: number, end: number, attempts: number, reason = 'r'): CoverageRange => ({ start, end, state: 'failed', reason, attempts });

describe('coverage index', () => {
  it('merges touching entries of one state but keeps different states apart', () => {
    expect(mergeCoverage([s(10, 20), s(0, 10), e(20, 30), s(30, 40)])).toEqual([s(0, 20), e(20, 30), s(30, 40)]);
  });

  it('merges failed entries only when reason and attempts agree', () => {
    expect(mergeCoverage([f(0, 10, 1), f(10, 20, 1), f(20, 30, 2)])).toEqual([f(0, 20, 1), f(20, 30, 2)]);
  });

  it('lets a claim replace whatever state was under it, splitting the old entry', () => {
    expect(overlayCoverage([f(0, 100, 3)], [s(40, 60)])).toEqual([f(0, 40, 3), s(40, 60), f(60, 100, 3)]);
    expect(overlayCoverage([s(0, 100)], [e(0, 100)])).toEqual([e(0, 100)]);
  });

  it('fails only the open parts of a range and counts attempts per part', () => {
    const before = [s(0, 10), f(10, 20, 2, 'old'), e(30, 40)];
    expect(failCoverage(before, { start: 0, end: 50 }, 'new')).toEqual([
      s(0, 10), f(10, 20, 3, 'new'), f(20, 30, 1, 'new'), e(30, 40), f(40, 50, 1, 'new'),
    ]);
    expect(failCoverage([s(0, 10)], { start: 0, end: 10 }, 'x')).toEqual([s(0, 10)]);
  });
});
