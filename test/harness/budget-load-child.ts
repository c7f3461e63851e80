/**
 * A load process for the shared-budget measurement (started by test/harness/child-script.ts): `workers`
 * loops fetch an hour of BTC/USDT 1m bars over and over through the real ccxt source, against the
 * fake exchange, with the upstream budget in etcd (every process of the test shares it). Once
 * loaded (ccxt and tsx take seconds on a loaded machine) it prints `ready` and waits for a line
 * on stdin with the start time `startAt` (epoch ms, the same for every process), so all
 * processes start together however long each took to load; it stops at `startAt + durationMs`
 * (each worker finishes the fetch it is in) and prints one JSON line: fetches, errors, and the
 * time each permit was granted.
 */
import { createInterface } from 'node:readline';
import { createEtcdBudgetStore } from '../../src/engines/etcd/index.js';
import { createCcxtSource, createStorePermitAuthority, createUpstreamBudgets } from '../../src/sources/index.js';
import type { UpstreamBudgets } from '../../src/sources/index.js';

interface Args {
  readonly endpoints: string[];
  readonly prefix: string;
  readonly apiUrl: string;
  readonly requestsPerSecond: number;
  readonly burst: number;
  readonly workers: number;
  readonly pageLimit: number;
  readonly durationMs: number;
  /** Data time of the source (the recording's "now"). */
  readonly now: number;
  readonly range: { readonly start: number; readonly end: number };
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const grants: number[] = [];
const inner = createUpstreamBudgets(createStorePermitAuthority(createEtcdBudgetStore({ endpoints: args.endpoints, prefix: args.prefix })));
// Records when each permit was granted to this process (delegates everything to the real budget).
const budgets: UpstreamBudgets = {
  authority: inner.authority,
  list: () => inner.list(),
  state: (upstream) => inner.state(upstream),
  close: () => inner.close(),
  budget(upstream, rate) {
    const b = inner.budget(upstream, rate);
    return {
      upstream: b.upstream,
      rate: b.rate,
      acquire: async (signal) => {
        await b.acquire(signal);
        grants.push(performance.timeOrigin + performance.now());
      },
      pause: (ms) => b.pause(ms),
      state: () => b.state(),
      snapshot: () => b.snapshot(),
    };
  },
};
const source = await createCcxtSource({
  exchange: 'binance', urls: { public: args.apiUrl }, options: { fetchMarkets: { types: ['spot'] } },
  rateLimit: { requestsPerSecond: args.requestsPerSecond, burst: args.burst }, pageLimit: args.pageLimit, budgets,
  clock: { now: () => args.now },
});
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
const go = await new Promise<string | undefined>((resolve) => {
  lines.once('line', resolve);
  lines.once('close', () => resolve(undefined));
});
lines.close();
const startAt = Number(go);
if (!Number.isFinite(startAt)) {
  process.stderr.write(`expected the start time on stdin, got ${JSON.stringify(go)}\n`);
  process.exit(2);
}
if (Date.now() > startAt) process.stderr.write(`started ${Date.now() - startAt} ms after the start time\n`);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
const stopAt = startAt + args.durationMs;
let fetches = 0;
const errors: string[] = [];
await Promise.all(Array.from({ length: args.workers }, async () => {
  // The stop is checked between fetches, not passed as a signal: an abandoned fetch (ccxt cannot
  // cancel one) would go on asking for permits and sending requests after this report, or leave
  // a granted request unsent at exit. So every permit reported here has its request answered.
  while (Date.now() < stopAt) {
    try {
      await source.fetch({ nodeId: 'ohlcv:binance:BTC/USDT', intervalMs: 60_000, range: args.range });
      fetches++;
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
}));
process.stdout.write(`${JSON.stringify({ fetches, errors: errors.slice(0, 5), errorCount: errors.length, grants })}\n`);
await budgets.close();
