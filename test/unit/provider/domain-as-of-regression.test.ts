/**
 * The domain gate's live/shadow policy (seamless.domain.asOfRegression): a read whose asOf is
 * older than one already served for its (world, node) is held (default) or refused with
 * domain_policy naming asOf; both are counted in seamless_domain_as_of_regressions_total.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MID, MIN, NOW, closeProviderHarnesses, providerHarness, rejection } from '../../helpers/provider-harness.js';

const NODE = 'ohlcv:demo:ETH/USDT';

afterEach(closeProviderHarnesses);

async function regressions(h: Awaited<ReturnType<typeof providerHarness>>, action: string): Promise<number> {
  const metric = await h.metrics.domainAsOfRegressions.get();
  return metric.values.filter((v) => v.labels.action === action && v.labels.world === 'w1').reduce((n, v) => n + v.value, 0);
}

describe('domain gate: live/shadow asOf regression policy', () => {
  it('refuses a live read whose asOf goes back with domain_policy naming asOf when the policy is refuse', async () => {
    const h = await providerHarness({ nodeId: NODE, seed: 3, asOfRegression: 'refuse' });
    await h.storeFirstHalf();
    await h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'live', worldId: 'w1', asOf: NOW } });
    const error = await rejection(h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'live', worldId: 'w1', asOf: NOW - MIN } }));
    expect(error.code).toBe('domain_policy');
    expect(error.httpStatus).toBe(422);
    expect(error.details).toMatchObject({ field: 'asOf', reason: 'as_of_regression', asOf: NOW - MIN, newestAsOf: NOW });
    expect(error.message).toMatch(/^asOf: /);
    expect(await regressions(h, 'refuse')).toBe(1);
    // The newest asOf served is unchanged: a read at it is still answered.
    const again = await h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'live', worldId: 'w1', asOf: NOW } });
    expect(again.metadata.downgraded).toBe(false);
  });

  it('holds a shadow read whose asOf goes back by default and counts it as hold', async () => {
    const h = await providerHarness({ nodeId: NODE, seed: 3 });
    // Stored (a version) before both asOfs, so each read has the bars as known then.
    h.clock.set(NOW - 5 * MIN);
    await h.storeFirstHalf();
    h.clock.set(NOW);
    await h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'shadow', worldId: 'w1', asOf: NOW } });
    const back = await h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'shadow', worldId: 'w1', asOf: NOW - 2 * MIN } });
    expect(back.metadata).toMatchObject({ downgraded: true, downgradeMode: 'hold', downgradeReason: 'domain_as_of_regression' });
    expect(await regressions(h, 'hold')).toBe(1);
    expect(await regressions(h, 'refuse')).toBe(0);
  });
});
