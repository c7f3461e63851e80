/**
 * Composition of sources and upstream budgets from the configuration: the `ccxt` source kind
 * (validated at start, nothing sent), and where the budgets live for each backfill topology.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/core/index.js';
import { loadConfig } from '../../../src/config/index.js';
import type { SeamlessConfigInput } from '../../../src/config/index.js';
import { composeSources, composeUpstreamBudgets } from '../../../src/app/index.js';
import { createEtcdBudgetStore } from '../../../src/engines/etcd/index.js';
import { createMemoryBudgetStore, createStorePermitAuthority, createUpstreamBudgets } from '../../../src/sources/index.js';

function configOf(input: SeamlessConfigInput) {
  return loadConfig({ input, env: {} }).config;
}

describe('ccxt source configuration', () => {
  it('fills the defaults and refuses unknown keys, bad ids and bad URLs with the key named', () => {
    const config = configOf({ sources: { binance: { kind: 'ccxt', exchange: 'binance' } } });
    expect(config.sources.binance).toEqual({ kind: 'ccxt', exchange: 'binance', timeoutMs: 10_000 });
    expect(() => configOf({ sources: { b: { kind: 'ccxt', exchange: 'binance', rateLimt: {} } as never } })).toThrow(/rateLimt/);
    expect(() => configOf({ sources: { b: { kind: 'ccxt', exchange: 'Binance!' } } })).toThrow(/sources\.b\.exchange/);
    expect(() => configOf({ sources: { b: { kind: 'ccxt', exchange: 'binance', urls: { public: 'not a url' } } } })).toThrow(/sources\.b\.urls\.public/);
    expect(() => configOf({ sources: { b: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 0 } } } })).toThrow(/requestsPerSecond/);
    const withRate = configOf({ sources: { b: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 8 } } } });
    expect(withRate.sources.b).toMatchObject({ rateLimit: { requestsPerSecond: 8, burst: 1 } });
  });
});

describe('composeSources', () => {
  it('builds a ccxt source named after its exchange, with the exchange\'s rate as the default budget', async () => {
    const upstreams = createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore()));
    const config = configOf({
      sources: {
        spot: { kind: 'ccxt', exchange: 'binance', urls: { public: 'http://127.0.0.1:9/api/v3' } },
        other: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 4, burst: 2 } },
        demo: { kind: 'synthetic' },
      },
    });
    const sources = await composeSources(config.sources, { upstreams });
    expect(sources.get('spot')?.name).toBe('binance');
    expect(sources.get('demo')?.name).toBe('synthetic');
    expect(typeof sources.get('spot')?.health).toBe('function');
    // Both sources of one exchange share one budget, at the rate one of them configured.
    expect(upstreams.list().map((b) => [b.upstream, b.rate])).toEqual([['binance', { requestsPerSecond: 4, burst: 2 }]]);
    // Alone, binance's own figure (ccxt rateLimit 50 ms) applies.
    const alone = createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore()));
    await composeSources(configOf({ sources: { spot: { kind: 'ccxt', exchange: 'binance' } } }).sources, { upstreams: alone });
    expect(alone.list()[0].rate).toEqual({ requestsPerSecond: 20, burst: 1 });
  });

  it('refuses two sources of one exchange with different budgets, naming both', async () => {
    const config = configOf({
      sources: {
        a: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 4 } },
        b: { kind: 'ccxt', exchange: 'binance', rateLimit: { requestsPerSecond: 5 } },
      },
    });
    await expect(composeSources(config.sources)).rejects.toThrow(/sources\.b\.rateLimit: differs from sources\.a\.rateLimit/);
  });

  it('refuses an exchange ccxt does not know, and URL keys the exchange does not have, naming the key', async () => {
    await expect(composeSources(configOf({ sources: { x: { kind: 'ccxt', exchange: 'nosuchexchange' } } }).sources))
      .rejects.toMatchObject({ field: 'sources.x.exchange' });
    const typo = composeSources(configOf({ sources: { x: { kind: 'ccxt', exchange: 'binance', urls: { publc: 'http://127.0.0.1:9' } } } }).sources);
    await expect(typo).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(typo).rejects.toThrow(/sources\.x\.urls\.publc: binance has no API URL "publc"; it has .*public/);
  });
});

describe('composeUpstreamBudgets', () => {
  const backfill = configOf({}).seamless.backfill;

  it('keeps the budgets in memory for one process, at the coordinator for an endpoint URL, in etcd for an etcd store', async () => {
    const memory = composeUpstreamBudgets(backfill);
    expect(memory.authority).toBe('memory');
    const remote = composeUpstreamBudgets({ ...backfill, endpoint: 'http://coordinator:8080' }, { apiKey: 'sk_x' });
    expect(remote.authority).toBe('coordinator');
    const etcdBudgets = createEtcdBudgetStore({ ...backfill.etcd, endpoints: ['http://127.0.0.1:9'] });
    const etcd = composeUpstreamBudgets({ ...backfill, store: 'etcd' }, { etcdBudgets });
    expect(etcd.authority).toBe('etcd');
    // The etcd engine's budget store is opened by the engine's descriptor; without it there is nothing to share.
    expect(() => composeUpstreamBudgets({ ...backfill, store: 'etcd' })).toThrow(/etcd engine was not opened/);
    await Promise.all([memory.close(), remote.close(), etcd.close()]);
  });
});
