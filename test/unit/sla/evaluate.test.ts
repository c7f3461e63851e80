import { describe, expect, it } from 'vitest';
import { SeamlessSLAExceeded } from '../../../src/core/index.js';
import { budgetViolation, decide, evaluateRead, slaError } from '../../../src/sla/index.js';
import type { ReadObservation } from '../../../src/sla/index.js';
import { policy } from './fixtures.js';

const checks = { freshness: 180_000, coverage: 0.99, maxSyncGapBars: 1440 };
const strict = policy({ name: 'strict', node: '*', mode: 'enforced', budgets: { total: 2500 }, onViolation: 'fail', ...checks });
const dry = policy({ name: 'dry', node: '*', mode: 'dry-run', budgets: { total: 2500 }, onViolation: 'fail', ...checks });
const healthy: ReadObservation = { stalenessMs: 60_000, rangeReachesPresent: true, coverageRatio: 1, syncGapBars: 0 };

describe('evaluating a read against its policy', () => {
  it('finds nothing wrong with a healthy read', () => {
    expect(evaluateRead(strict, healthy)).toEqual([]);
  });

  it('flags staleness only when the range reaches the present', () => {
    const stale = { ...healthy, stalenessMs: 600_000 };
    expect(evaluateRead(strict, stale)).toEqual([{
      policy: 'strict', phase: 'freshness', elapsedMs: undefined, budgetMs: undefined, observed: 600_000, limit: 180_000, mode: 'enforced', dryRun: false,
    }]);
    expect(evaluateRead(strict, { ...stale, rangeReachesPresent: false })).toEqual([]);
  });

  it('flags coverage below the minimum and a synchronous gap above the bound', () => {
    const v = evaluateRead(strict, { ...healthy, coverageRatio: 0.5, syncGapBars: 2000 });
    expect(v.map((x) => [x.phase, x.observed, x.limit])).toEqual([['coverage', 0.5, 0.99], ['sync_gap', 2000, 1440]]);
  });

  it('treats exactly-at-the-limit as within the policy', () => {
    expect(evaluateRead(strict, { stalenessMs: 180_000, rangeReachesPresent: true, coverageRatio: 0.99, syncGapBars: 1440 })).toEqual([]);
  });

  it('checks nothing a policy does not declare', () => {
    const bare = policy({ name: 'bare', node: '*' });
    expect(evaluateRead(bare, { stalenessMs: Infinity, rangeReachesPresent: true, coverageRatio: 0, syncGapBars: 1e9 })).toEqual([]);
  });

  it('marks dry-run violations as such', () => {
    expect(evaluateRead(dry, { ...healthy, coverageRatio: 0 })[0]).toMatchObject({ mode: 'dry-run', dryRun: true });
  });
});

describe('deciding what a violation does to the response', () => {
  const over = budgetViolation(strict, 'total', 3000, 2500);

  it('serves when nothing is violated', () => {
    expect(decide(strict, [])).toBe('serve');
  });

  it.each(['fail', 'partial', 'hold'] as const)('applies onViolation=%s under an enforced policy', (onViolation) => {
    const p = policy({ name: 'p', node: '*', budgets: { total: 2500 }, onViolation });
    expect(decide(p, [budgetViolation(p, 'total', 3000, 2500)])).toBe(onViolation);
  });

  it('defaults onViolation to partial', () => {
    const p = policy({ name: 'p', node: '*', budgets: { total: 1 } });
    expect(decide(p, [budgetViolation(p, 'total', 2, 1)])).toBe('partial');
  });

  it('always serves under a dry-run policy', () => {
    expect(decide(dry, [budgetViolation(dry, 'total', 3000, 2500)])).toBe('serve');
  });

  it('turns a violation into the 504 with phase, elapsedMs and budgetMs', () => {
    const err = slaError(strict, over, 3000);
    expect(err).toBeInstanceOf(SeamlessSLAExceeded);
    expect(err.httpStatus).toBe(504);
    expect(err.toBody().error).toMatchObject({ code: 'sla_exceeded', details: { phase: 'total', elapsedMs: 3000, budgetMs: 2500, policy: 'strict' } });
    const stale = slaError(strict, evaluateRead(strict, { ...healthy, stalenessMs: 600_000 })[0], 120);
    expect(stale.details).toMatchObject({ phase: 'freshness', elapsedMs: 120, budgetMs: 2500, observed: 600_000, limit: 180_000 });
  });
});
