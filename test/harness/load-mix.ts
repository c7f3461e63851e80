/**
 * The load mix of issue 12, run against a gateway already listening at `url` (the demo datasets,
 * the config of `loadMixConfig`): warm cache hits (one 1,440-bar day), storage hits (stored days
 * read under a fresh `world`, which keys the response cache), cold reads (days never stored), then
 * the mix of the three while bursts of multi-week backfills are submitted and one unrelated
 * 9-bar cold read is timed. A `/readyz` prober runs through every phase and the gateway's RSS is
 * sampled throughout. Shared by `test/scenarios/load-mix.test.ts` (which asserts the guards) and
 * `bench/load/gateway-mix.bench.ts` (which prints the figures for any `seamless` binary).
 */
import { createRecorder, runClients, startLoopDelay, startProber, startRssSampler, timedRequest } from './load-driver.js';
import type { KindFigures, Recorder, RequestSpec } from './load-driver.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const BTC = 'ohlcv:demo:BTC-USD';
const ETH = 'ohlcv:demo:ETH-USD';
/** The warm day of the cache-hit phase. */
const HOT_DAY = Date.UTC(2024, 0, 1);
/** Days stored before the phases (read in the storage-hit phase). */
const STORED_FROM = Date.UTC(2024, 0, 2);
const STORED_DAYS = 14;
/** Cold reads take day COLD_FROM + i for the i-th cold read of the run: never stored before. */
const COLD_FROM = Date.UTC(2023, 0, 1);
/** Backfill bursts: multi-week ETH-USD 1m ranges from here on, each range its own weeks. */
const BURST_FROM = Date.UTC(2021, 0, 1);
const BURST_WEEKS = 3;
/** The unrelated cold read timed during the bursts: 9 hourly bars of a day nobody read. */
const NINE_BAR_START = Date.UTC(2022, 5, 1);
/** `seamless.backfill.syncBudgetMs` in `loadMixConfig`: the budget of a cold read. */
export const COLD_READ_BUDGET_MS = 10_000;

export interface LoadMixOptions {
  readonly clients?: number;
  readonly phaseMs?: number;
  readonly mixMs?: number;
  readonly burstEveryMs?: number;
  readonly backfillsPerBurst?: number;
  /** The gateway's pid, for the RSS sampler. */
  readonly pid: number;
  readonly log?: (line: string) => void;
}

export interface NineBarRead {
  readonly status: number;
  readonly ms: number;
  readonly rows: number;
  readonly downgraded: boolean | undefined;
  readonly partial: boolean | undefined;
}

export interface LoadMixResult {
  /** cache, storage, cold, then the mix (all kinds) and its kinds (mix:cache, …), backfill POSTs. */
  readonly figures: readonly KindFigures[];
  /** The `/readyz` prober, one row per phase. */
  readonly readyz: readonly KindFigures[];
  readonly nineBar: NineBarRead;
  readonly rss: { readonly idleBytes: number; readonly maxBytes: number };
  /** The load process's own event-loop delay: a slow probe with a busy client is partly the client. */
  readonly clientLoop: { readonly p99Ms: number; readonly maxMs: number };
}

/** The YAML of the gateway under this load (a small response cache, so its bound shows in RSS). */
export function loadMixConfig(dataDir: string, extraLines: readonly string[] = []): string {
  return [
    `dataDir: ${JSON.stringify(dataDir)}`,
    'logging: { level: warn }',
    'cache: { maxBytes: 33554432 }',
    `seamless: { backfill: { syncBudgetMs: ${COLD_READ_BUDGET_MS} } }`,
    ...extraLines,
    '',
  ].join('\n');
}

interface ReadMetadata { rows: number; cacheHit: boolean; partial: boolean; downgraded: boolean; sources: { cache: number; storage: number; backfill: number } }

const METADATA_KEY = Buffer.from('"metadata":');

/** The read's metadata: the last member of the JSON body, parsed alone (the columns before it are not, to keep the client cheap). */
function metadataOf(body: Buffer): ReadMetadata {
  const at = body.lastIndexOf(METADATA_KEY);
  if (at < 0) return (JSON.parse(body.toString('utf8')) as { metadata: ReadMetadata }).metadata;
  const tail = body.subarray(at + METADATA_KEY.length).toString('utf8').trimEnd();
  return JSON.parse(tail.slice(0, -1)) as ReadMetadata;
}

function barsUrl(url: string, node: string, interval: string, start: number, end: number, extra = ''): string {
  return `${url}/v1/bars?node=${encodeURIComponent(node)}&interval=${interval}&start=${start}&end=${end}${extra}`;
}

function tee(a: Recorder, b: Recorder): Recorder {
  return { kind: a.kind, record: (ms, e) => { a.record(ms, e); b.record(ms, e); }, begin: () => undefined, end: () => undefined, figures: () => a.figures() };
}

async function backfill(url: string, node: string, start: number, end: number, headers: Record<string, string>, recorder?: Recorder): Promise<string> {
  const out = await timedRequest({
    url: `${url}/v1/backfills`,
    init: { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ node, interval: '1m', start, end }) },
    expect: [202],
  }, recorder);
  if (out.status !== 202) throw new Error(`POST /v1/backfills answered ${out.status}: ${out.body.toString('utf8').slice(0, 300)}`);
  return (JSON.parse(out.body.toString('utf8')) as { job: { id: string } }).job.id;
}

async function waitForJob(url: string, id: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/v1/backfills/${id}`, { headers });
    const job = ((await res.json()) as { job: { state: string } }).job;
    if (job.state === 'completed') return;
    if (job.state !== 'running' && job.state !== 'pending') throw new Error(`backfill ${id} ended ${job.state}`);
    if (Date.now() > deadline) throw new Error(`backfill ${id} not completed within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the phases against `url`; `headers` (an API key) go on every request. */
export async function runLoadMix(url: string, options: LoadMixOptions, headers: Record<string, string> = {}): Promise<LoadMixResult> {
  const clients = options.clients ?? 8;
  const phaseMs = options.phaseMs ?? 5_000;
  const mixMs = options.mixMs ?? 12_000;
  const log = options.log ?? ((): void => undefined);
  const init: RequestInit = { headers };
  const rss = startRssSampler(options.pid);
  const idleBytes = rss.max();
  const loop = startLoopDelay();
  const readyz: KindFigures[] = [];
  let coldIndex = 0;
  let worldIndex = 0;

  const cacheSpec: RequestSpec = {
    url: barsUrl(url, BTC, '1m', HOT_DAY, HOT_DAY + DAY), init,
    check: (b) => (metadataOf(b).cacheHit ? undefined : 'not-cached'),
  };
  const storageSpec = (): RequestSpec => {
    const day = STORED_FROM + (worldIndex % STORED_DAYS) * DAY;
    return {
      url: barsUrl(url, BTC, '1m', day, day + DAY, `&world=load-${worldIndex++}`), init,
      check: (b) => { const m = metadataOf(b); return m.sources.storage === 1440 ? undefined : 'not-storage'; },
    };
  };
  const coldSpec = (): RequestSpec => {
    const day = COLD_FROM + coldIndex++ * DAY;
    return {
      url: barsUrl(url, BTC, '1m', day, day + DAY), init,
      check: (b) => { const m = metadataOf(b); return m.rows === 1440 && !m.partial ? undefined : 'partial'; },
    };
  };

  async function phase(name: string, body: () => Promise<void>): Promise<void> {
    log(`phase ${name}…`);
    const prober = startProber(url, '/readyz', 75, `readyz (${name})`);
    try {
      await body();
    } finally {
      readyz.push(await prober.stop());
    }
  }

  // Setup: the hot day read once (a cold read that fills the cache), the stored days backfilled.
  const figures: KindFigures[] = [];
  await phase('setup', async () => {
    await timedRequest(cacheSpec);
    await waitForJob(url, await backfill(url, BTC, STORED_FROM, STORED_FROM + STORED_DAYS * DAY, headers), headers, 60_000);
  });

  for (const [name, spec] of [['cache', () => cacheSpec], ['storage', storageSpec], ['cold', coldSpec]] as const) {
    await phase(name, async () => {
      const recorder = createRecorder(name);
      recorder.begin();
      await runClients({ clients, durationMs: phaseMs, next: () => ({ spec: spec(), recorder }) });
      recorder.end();
      figures.push(recorder.figures());
    });
  }

  let nineBar: NineBarRead = { status: 0, ms: Number.NaN, rows: 0, downgraded: undefined, partial: undefined };
  await phase('mix', async () => {
    const mix = createRecorder('mix');
    const kinds = { cache: createRecorder('mix:cache'), storage: createRecorder('mix:storage'), cold: createRecorder('mix:cold') };
    const posts = createRecorder('mix:backfill POST');
    for (const r of [mix, kinds.cache, kinds.storage, kinds.cold, posts]) r.begin();
    let burst = 0;
    const bursts: Promise<unknown>[] = [];
    const fire = (): void => {
      for (let j = 0; j < (options.backfillsPerBurst ?? 3); j++) {
        const start = BURST_FROM + (burst * 10 + j) * BURST_WEEKS * 7 * DAY;
        bursts.push(backfill(url, ETH, start, start + BURST_WEEKS * 7 * DAY, headers, posts).catch((e: unknown) => log(`burst backfill refused: ${String(e)}`)));
      }
      burst++;
    };
    fire();
    const timer = setInterval(fire, options.burstEveryMs ?? 3_000);
    const nine = (async () => {
      await new Promise((r) => setTimeout(r, 500)); // the first burst's shards are queued by now
      const out = await timedRequest({ url: barsUrl(url, BTC, '1h', NINE_BAR_START, NINE_BAR_START + 9 * HOUR), init }, undefined, COLD_READ_BUDGET_MS * 3);
      const m = out.status === 200 ? metadataOf(out.body) : undefined;
      nineBar = { status: out.status, ms: out.ms, rows: m?.rows ?? 0, downgraded: m?.downgraded, partial: m?.partial };
    })();
    try {
      await runClients({
        clients, durationMs: mixMs,
        next: (i) => {
          const slot = i % 20;
          if (slot < 12) return { spec: cacheSpec, recorder: tee(kinds.cache, mix) };
          if (slot < 17) return { spec: storageSpec(), recorder: tee(kinds.storage, mix) };
          return { spec: coldSpec(), recorder: tee(kinds.cold, mix) };
        },
      });
    } finally {
      clearInterval(timer);
    }
    for (const r of [mix, kinds.cache, kinds.storage, kinds.cold]) r.end();
    await nine;
    await Promise.all(bursts);
    posts.end();
    figures.push(mix.figures(), kinds.cache.figures(), kinds.storage.figures(), kinds.cold.figures(), posts.figures());
  });

  const sampled = rss.stop();
  return { figures, readyz, nineBar, rss: { idleBytes, maxBytes: sampled.maxBytes }, clientLoop: loop.stop() };
}
