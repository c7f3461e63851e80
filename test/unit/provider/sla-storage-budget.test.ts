import { afterEach, describe, expect, it } from 'vitest';
import { parseSlaPolicy } from '../../../src/sla/internal.js';
import type { SlaPolicy } from '../../../src/sla/index.js';
import { slowStorageProvider } from './slow-storage-provider.js';

const START = Date.UTC(2023, 0, 2);
const NODE = 'ohlcv:slow-storage:X';


function policy(onViolation: 'fail' | 'partial' | 'hold', mode: 'enforced' | 'dry-run' = 'enforced'): SlaPolicy {
  const parsed = parseSlaPolicy(`name: slow-${onViolation}-${mode}\nmatch:\n  node: "${NODE}"\nmode: ${mode}\nbudgets:\n  storage: 60\nonViolation: ${onViolation}\nowner: t\nrunbook: r.md\nescalation: e\n`, 'inline.yml');
  if (!parsed.policy) throw new Error(JSON.stringify(parsed.problems));
  return parsed.policy;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function provider(policy: SlaPolicy) {
  const built = await slowStorageProvider({ nodeId: NODE, start: START, policy, readDelayMs: 400 });
  closers.push(built.close);
  return built;
}

describe('SLA storage budget', () => {
  it('stops waiting for slow storage when the budget runs out and fails the read under onViolation fail', async () => {
    const { p, range } = await provider(policy('fail'));
    const t0 = performance.now();
    await expect(p.fetch({ nodeId: NODE, interval: '1m', start: range.start, end: range.end, strategy: 'fail_fast' }))
      .rejects.toMatchObject({ code: 'sla_exceeded', phase: 'storage', budgetMs: 60 });
    console.log(`sla: storage budget 60 ms against 400 ms reads: the read ended after ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('returns what it has, with the unread range missing, under onViolation partial', async () => {
    const { p, range } = await provider(policy('partial'));
    const { frame, metadata } = await p.fetch({ nodeId: NODE, interval: '1m', start: range.start, end: range.end, strategy: 'fail_fast', partialOk: true });
    expect(frame.length).toBe(0);
    expect(metadata).toMatchObject({ downgraded: true, downgradeMode: 'partial', downgradeReason: 'sla_storage', missingRanges: [range] });
  });

  it('waits the storage out under a dry-run policy and only reports it', async () => {
    const { p, range } = await provider(policy('fail', 'dry-run'));
    const { frame, metadata } = await p.fetch({ nodeId: NODE, interval: '1m', start: range.start, end: range.end, strategy: 'fail_fast' });
    expect(frame.length).toBe(120);
    expect(metadata.slaViolation).toMatchObject({ dryRun: true, decision: 'serve' });
    expect(metadata.downgraded).toBe(false);
  });
});
