/**
 * The read path as a pipeline (ARCHITECTURE.md §3): coverage is read once per read (plus once
 * after a backfill), the domain gate (step 2) refuses what a domain forbids naming the field, and
 * the response cache never serves an entry keyed under another conformance version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONFORMANCE_VERSION as CONFORMANCE_RULES_VERSION } from '../../../src/conformance/index.js';
import { CONFORMANCE_VERSION, cacheKey } from '../../../src/provider/internal.js';
import type { ConformanceStage } from '../../../src/provider/internal.js';
import type { BarStore } from '../../../src/storage/index.js';
import { A, END, MID, MIN, NOW, closeProviderHarnesses, providerHarness, rejection } from '../../helpers/provider-harness.js';

const NODE = 'ohlcv:demo:SOL/USDT';

afterEach(closeProviderHarnesses);

/**
 * A fake of our own ConformanceStage interface: passes the frame through with a clean report and
 * remembers the known-empty ranges it was given (what it needed coverage for).
 */
function passThroughConformance(seen: { knownEmpty: number }): ConformanceStage {
  return async (input) => {
    seen.knownEmpty += input.knownEmpty.length;
    return {
      frame: input.frame,
      report: {
        id: null, uri: null, nodeId: input.nodeId, intervalMs: input.intervalMs, origin: 'read', createdAt: NOW, mode: 'blocking',
        range: input.closed, rowsIn: input.frame.length, rowsOut: input.frame.length, flags: {}, warnings: [], gaps: [],
        completeness: { windowMs: 0, windows: [] }, hasErrors: false, regression: null, schema: null,
      },
    };
  };
}

/**
 * A fake of our own BarStore port: every call goes to the real store; coverage reads are counted.
 */
function countingCoverage(inner: BarStore, counter: { reads: number }): BarStore {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'coverage') {
        return (...args: Parameters<BarStore['coverage']>) => {
          counter.reads++;
          return target.coverage(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The real read path over DuckDB in memory, whose read path counts its coverage reads (the
 * catalog and the coordinator's workers use the uncounted store: only the read path's reads count).
 */
async function harness(options: { conformance?: boolean } = {}) {
  const counter = { reads: 0 };
  const h = await providerHarness({
    nodeId: NODE, seed: 5, wrapReadStore: (store) => countingCoverage(store, counter),
    ...(options.conformance === true ? { conformance: passThroughConformance({ knownEmpty: 0 }) } : {}),
  });
  return { ...h, coverageReads: () => counter.reads, resetCount: () => { counter.reads = 0; } };
}

describe('read pipeline: coverage reads', () => {
  it.each(['seamless', 'auto_backfill'] as const)('a %s read that backfills reads coverage once, and once more after the backfill', async (strategy) => {
    const h = await harness();
    await h.storeFirstHalf();
    const { metadata } = await h.read({ strategy });
    expect(metadata).toMatchObject({ partial: false, sources: { storage: 50, backfill: 50 } });
    expect(h.coverageReads()).toBe(2);
  });

  it('a read that storage answers whole reads coverage once', async () => {
    const h = await harness();
    await h.storeFirstHalf();
    const { metadata } = await h.read({ end: MID });
    expect(metadata).toMatchObject({ partial: false, sources: { storage: 50, backfill: 0 } });
    expect(h.coverageReads()).toBe(1);
  });

  it.each(['seamless', 'auto_backfill'] as const)('with conformance on, a %s read that backfills still reads coverage twice', async (strategy) => {
    const h = await harness({ conformance: true });
    await h.storeFirstHalf();
    const { metadata } = await h.read({ strategy });
    expect(metadata).toMatchObject({ partial: false, conformance: { flags: {} }, sources: { storage: 50, backfill: 50 } });
    expect(h.coverageReads()).toBe(2);
  });

  it('with conformance on, a read partly answered by the cache reads coverage once', async () => {
    const h = await harness({ conformance: true });
    await h.storeFirstHalf();
    await h.read({ end: A + 20 * MIN, strategy: 'fail_fast' });
    h.resetCount();
    const { metadata } = await h.read({ end: MID, strategy: 'fail_fast' });
    expect(metadata).toMatchObject({ partial: false, cacheHit: false, sources: { cache: 20, storage: 30 } });
    expect(h.coverageReads()).toBe(1);
  });

  it('with conformance on, a read the cache answers whole reads coverage once (for known-empty ranges)', async () => {
    const h = await harness({ conformance: true });
    await h.storeFirstHalf();
    await h.read({ end: MID, strategy: 'fail_fast' });
    h.resetCount();
    expect((await h.read({ end: MID, strategy: 'fail_fast' })).metadata.cacheHit).toBe(true);
    expect(h.coverageReads()).toBe(1);
  });

  it('a read the cache answers whole reads no coverage', async () => {
    const h = await harness();
    await h.storeFirstHalf();
    await h.read({ end: MID });
    h.resetCount();
    const { metadata } = await h.read({ end: MID });
    expect(metadata.cacheHit).toBe(true);
    expect(h.coverageReads()).toBe(0);
  });
});

describe('read pipeline: conformance version in the cache key', () => {
  it('is the version beside the conformance rules, not a placeholder', () => {
    expect(CONFORMANCE_VERSION).toBe(CONFORMANCE_RULES_VERSION);
    expect(CONFORMANCE_VERSION).not.toBe('none');
    expect(CONFORMANCE_VERSION).toMatch(/^c\d+$/);
  });

  it('does not serve an entry cached under an older conformance version', async () => {
    const h = await harness();
    await h.storeFirstHalf();
    // What an instance before the conformance version was set cached for this range: a doctored frame.
    const { frame: real } = await h.read({ end: MID, strategy: 'fail_fast', context: { worldId: 'probe' } });
    const doctored = real.slice(0, real.length);
    h.cache.insert(cacheKey(NODE, MIN, undefined, undefined, 'none'), { start: A, end: MID }, doctored);
    const { metadata } = await h.read({ end: MID, strategy: 'fail_fast' });
    expect(metadata.cacheHit).toBe(false);
    expect(metadata.sources).toMatchObject({ cache: 0, storage: 50 });
    // The same entry under the current version is served (the control).
    h.cache.insert(cacheKey(NODE, MIN, 'w-now', undefined, CONFORMANCE_VERSION), { start: A, end: MID }, doctored);
    expect((await h.read({ end: MID, strategy: 'fail_fast', context: { worldId: 'w-now' } })).metadata.cacheHit).toBe(true);
  });
});

describe('read pipeline: domain gate', () => {
  it.each(['backtest', 'dryrun'] as const)('refuses a %s read without asOf with domain_policy naming asOf', async (domain) => {
    const h = await harness();
    const error = await rejection(h.read({ context: { domain } }));
    expect(error.code).toBe('domain_policy');
    expect(error.httpStatus).toBe(422);
    expect(error.details.field).toBe('asOf');
    expect(error.message).toContain('asOf');
  });

  it('refuses a backtest read of bars that closed after its asOf, naming end', async () => {
    const h = await harness();
    const error = await rejection(h.read({ context: { domain: 'backtest', asOf: MID } }));
    expect(error.code).toBe('domain_policy');
    expect(error.details.field).toBe('end');
  });

  it('refuses a backtest read that asks for the still-building bar, naming includeBuilding', async () => {
    const h = await harness();
    const error = await rejection(h.read({ includeBuilding: true, context: { domain: 'backtest', asOf: END } }));
    expect(error.code).toBe('domain_policy');
    expect(error.details.field).toBe('includeBuilding');
  });

  it('serves a backtest read whose bars all closed by its asOf and were stored by then', async () => {
    const h = await harness();
    // Stored at MID (the store stamps its versions with the read path's clock), read later as of MID.
    h.clock.set(MID);
    await h.storeFirstHalf();
    h.clock.set(NOW);
    const { frame, metadata } = await h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'backtest', asOf: MID } });
    expect(frame.length).toBe(50);
    expect(metadata.asOf).toBe(MID);
    expect(metadata.versions?.ids).toHaveLength(1);
    // As of a minute before they were stored, nothing of them was known: missing, never backfilled.
    const before = await h.read({ end: MID - MIN, strategy: 'fail_fast', partialOk: true, context: { domain: 'backtest', asOf: MID - MIN } });
    expect(before.frame.length).toBe(0);
    expect(before.metadata).toMatchObject({ partial: true, backfill: null, versions: { ids: [], newestAt: null } });
  });

  it('refuses an asOf in the future with invalid_request naming asOf', async () => {
    const h = await harness();
    const error = await rejection(h.read({ context: { asOf: NOW + 60_000 } }));
    expect(error.code).toBe('invalid_request');
    expect(error.details.field).toBe('asOf');
  });

  it('refuses a range that starts after the newest bar that exists, naming start', async () => {
    const h = await harness();
    const error = await rejection(h.read({ start: NOW + 5 * MIN, end: NOW + 10 * MIN }));
    expect(error.code).toBe('invalid_request');
    expect(error.details.field).toBe('start');
  });

  it('holds a live read whose asOf goes back in time for its world and node', async () => {
    const h = await harness();
    h.clock.set(MID);
    await h.storeFirstHalf();
    h.clock.set(NOW);
    const first = await h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'live', worldId: 'w1', asOf: NOW } });
    expect(first.metadata.downgraded).toBe(false);
    const back = await h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'live', worldId: 'w1', asOf: NOW - MIN } });
    expect(back.metadata).toMatchObject({ downgraded: true, downgradeMode: 'hold', downgradeReason: 'domain_as_of_regression' });
    // Another world keeps its own asOf.
    const other = await h.read({ end: MID, strategy: 'fail_fast', context: { domain: 'shadow', worldId: 'w2', asOf: NOW - MIN } });
    expect(other.metadata.downgraded).toBe(false);
  });
});
