/**
 * Resampling inside the engine (src/provider/read/engine-resample.ts) answers exactly what the
 * JS path answers (storage rows → conformance → src/core/resample): byte-identical frames and
 * the same metadata (rows, partial buckets, missing ranges, conformance flags, fingerprints),
 * over random histories: shards written out of ts order (the engine meets the volumes in another
 * order than ts), restated versions, missing ranges, known-empty ranges, rows missing inside
 * stored coverage, defective bars, stale runs and price jumps, a DST day with
 * align=America/New_York. Two providers over ONE real DuckDB store: one sees the store as it is,
 * the other through a fake of our own BarStore interface that hides the engine capability.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createConformancePipeline } from '../../../src/conformance/index.js';
import { createEmbeddedDatabase } from '../../../src/engines/duckdb/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { createConformanceStage, createDataProvider, createDatasetCatalog, createFindingsIndex, createResponseCache, datasetKeyPrefix } from '../../../src/provider/index.js';
import type { FetchResult } from '../../../src/provider/index.js';
import { createDriftDetector, createSchemaRegistry, registerShippedSchemas } from '../../../src/schema/index.js';
import type { BarStore } from '../../../src/storage/index.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Friday 8 March 2024: New York moves to daylight time on Sunday 10 March (a 23-hour day). */
const T0 = Date.UTC(2024, 2, 8);
const DAYS = 4;
const T1 = T0 + DAYS * DAY;
const NOW = T1 + DAY;
const NODE = 'ohlcv:test:ENGINE';
const DATASET = { nodeId: NODE, intervalMs: MIN };

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

/** A store that delegates everything to `store` but does not offer the engine capability (the JS path). */
function withoutEngine(store: BarStore): BarStore {
  return new Proxy(store, {
    has: (target, key) => key !== 'readOhlcvBuckets' && Reflect.has(target, key),
    get: (target, key) => {
      if (key === 'readOhlcvBuckets') return undefined;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The same store, counting the engine reads. */
function counting(store: BarStore, calls: { n: number }): BarStore {
  return new Proxy(store, {
    get: (target, key) => {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      if (key === 'readOhlcvBuckets') return (...args: unknown[]) => { calls.n++; return Reflect.apply(value, target, args); };
      return value.bind(target);
    },
  });
}

async function harness(options: { cache?: boolean } = {}) {
  const clock = createManualClock(NOW);
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const db = await createEmbeddedDatabase({ path: ':memory:', clock });
  const registry = createSchemaRegistry({ store: db.registry, clock, defaults: { compatibility: 'BACKWARD', validationMode: 'canary', canaryWindowMs: 172_800_000 } });
  await registerShippedSchemas(registry);
  const findings = createFindingsIndex(db.findings);
  const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m'], baseInterval: '1m', schema: 'ohlcv' }], new Map(), db.bars);
  const coordinator = await startMemoryCoordinator({ store: db.bars, clock, logger, metrics, barsPerShard: 1_000, concurrency: 1 });
  const engineCalls = { n: 0 };
  const cache = options.cache === true ? createResponseCache({ maxBytes: 64 << 20, maxEntries: 1_000, ttlMs: 600_000 }, clock) : undefined;
  const make = (store: BarStore) => createDataProvider({
    store, catalog, coordinator, cache, clock, logger, metrics, maxBars: 100_000, syncBudgetMs: 10_000,
    conformance: createConformanceStage({
      pipeline: createConformancePipeline(), mode: 'shadow', registry, drift: createDriftDetector(), archive: db.reports, findings, clock, metrics, logger,
      quality: { priceJumpMaxAbsLogReturn: 0.25, stalePriceMinRun: 120 },
    }),
  });
  const engine = make(counting(db.bars, engineCalls));
  const rows = make(withoutEngine(db.bars));
  const h = {
    db, engine, rows, engineCalls, cache,
    close: async () => {
      await coordinator.close();
      await db.close();
    },
  };
  open.push(h);
  return h;
}

/** A small deterministic generator (mulberry32), so a history is one seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface History {
  readonly seed: number;
  /** Shards of the span written, in a shuffled order; a shard left out is missing (no coverage). */
  readonly shards: number;
  readonly missingShards: number;
  readonly knownEmptyShards: number;
  /** A restated version of a stretch (same ts, new values). */
  readonly restate: boolean;
  /** Defects the JS path reports (the engine path must hand these reads back). */
  readonly nanPrice: boolean;
  readonly highBelowBody: boolean;
  readonly staleRun: boolean;
  readonly jump: boolean;
  readonly holeInStored: boolean;
}

function bars(r: () => number, from: number, to: number, base: number): Frame {
  const n = (to - from) / MIN;
  const ts = new Float64Array(n);
  const o = new Float64Array(n), hi = new Float64Array(n), lo = new Float64Array(n), c = new Float64Array(n), v = new Float64Array(n);
  let p = base;
  for (let i = 0; i < n; i++) {
    ts[i] = from + i * MIN;
    o[i] = p;
    p = p * (1 + (r() - 0.5) * 0.002);
    c[i] = p;
    hi[i] = Math.max(o[i], c[i]) * (1 + r() * 0.001);
    lo[i] = Math.min(o[i], c[i]) * (1 - r() * 0.001);
    // Fractional volumes of mixed magnitudes: their float sum depends on the order of addition.
    v[i] = r() * 10 ** Math.floor(r() * 6) + r() / 3;
  }
  return createFrame(OHLCV_SCHEMA, ts, [o, hi, lo, c, v]);
}

async function write(h: Awaited<ReturnType<typeof harness>>, hist: History): Promise<void> {
  const r = rng(hist.seed);
  const width = (T1 - T0) / hist.shards;
  const order = Array.from({ length: hist.shards }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const [k, shard] of order.entries()) {
    const from = T0 + shard * width;
    const to = from + width;
    if (k < hist.missingShards) continue;
    if (k < hist.missingShards + hist.knownEmptyShards) {
      await h.db.bars.write({ dataset: DATASET, frame: createFrame(OHLCV_SCHEMA, new Float64Array(0), OHLCV_SCHEMA.columns.map(() => new Float64Array(0))), coverage: [{ start: from, end: to, state: 'known_empty' }] }, OHLCV_SCHEMA);
      continue;
    }
    let frame = bars(r, from, to, 100 + shard);
    const n = frame.length;
    const at = Math.floor(r() * (n - 130));
    if (hist.nanPrice && k === hist.shards - 1) (frame.values[1] as Float64Array)[at] = Number.NaN;
    if (hist.highBelowBody && k === hist.shards - 1) (frame.values[1] as Float64Array)[at] = Math.min(frame.values[0][at], frame.values[3][at]) * 0.9;
    if (hist.staleRun && k === hist.shards - 1) {
      for (let i = at; i < at + 125; i++) {
        const x = frame.values[3][at];
        (frame.values[0] as Float64Array)[i] = x; (frame.values[1] as Float64Array)[i] = x; (frame.values[2] as Float64Array)[i] = x; (frame.values[3] as Float64Array)[i] = x;
      }
    }
    if (hist.jump && k === hist.shards - 1) for (let c = 0; c < 4; c++) (frame.values[c] as Float64Array)[at] *= 1.5;
    if (hist.holeInStored && k === hist.shards - 1) frame = concat(frame.slice(0, at), frame.slice(at + 3, frame.length));
    await h.db.bars.write({ dataset: DATASET, frame, coverage: [{ start: from, end: to, state: 'stored' }] }, OHLCV_SCHEMA);
  }
  if (hist.restate) {
    const from = T0 + Math.floor(r() * (T1 - T0 - 3 * HOUR) / MIN) * MIN;
    const cover = { start: from, end: from + 2 * HOUR, state: 'stored' as const };
    await h.db.bars.write({ dataset: DATASET, frame: bars(r, cover.start, cover.end, 90), coverage: [cover] }, OHLCV_SCHEMA);
  }
}

function concat(a: Frame, b: Frame): Frame {
  const ts = new Float64Array(a.length + b.length);
  ts.set(a.ts);
  ts.set(b.ts, a.length);
  return createFrame(OHLCV_SCHEMA, ts, a.values.map((col, c) => {
    const out = new Float64Array(a.length + b.length);
    out.set(col);
    out.set(b.values[c], a.length);
    return out;
  }));
}

/** The frame's bytes and the metadata without the read's duration. */
function comparable(r: FetchResult) {
  const bytes = [r.frame.ts, ...r.frame.values].map((col) => Buffer.from(col.buffer, col.byteOffset, col.byteLength).toString('hex'));
  const { elapsedMs: _elapsed, ...metadata } = r.metadata;
  return { bytes, metadata: JSON.stringify(metadata) };
}

const READS = [
  { interval: '1h', start: T0, end: T1 },
  { interval: '15m', start: T0 + 7 * MIN, end: T1 - 3 * HOUR },
  // New York days around the DST change: 8, 9 and 10 March (23 hours).
  { interval: '1d', align: 'America/New_York', start: T0 + DAY, end: T1 - DAY },
] as const;

async function bothWays(h: Awaited<ReturnType<typeof harness>>, read: (typeof READS)[number]) {
  const request = { nodeId: NODE, strategy: 'fail_fast' as const, partialOk: true, ...read };
  const fast = await h.engine.fetch(request);
  const slow = await h.rows.fetch(request);
  return { fast, slow };
}

describe('resampling inside the engine', () => {
  it('answers a clean history from engine buckets with the frame and metadata of the JS path', async () => {
    const h = await harness();
    await write(h, { seed: 7, shards: 8, missingShards: 0, knownEmptyShards: 0, restate: true, nanPrice: false, highBelowBody: false, staleRun: false, jump: false, holeInStored: false });
    for (const read of READS) {
      const before = h.engineCalls.n;
      const { fast, slow } = await bothWays(h, read);
      expect(h.engineCalls.n).toBe(before + 1);
      expect(fast.frame.length).toBeGreaterThan(0);
      expect(fast.metadata.conformance).toEqual({ flags: {}, warnings: [], reportUri: null });
      expect(comparable(fast)).toEqual(comparable(slow));
    }
  });

  it('answers random histories (gaps, restated versions, known-empty, defects, a DST day) exactly as the JS path does', async () => {
    let served = 0;
    await fc.assert(fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        shards: fc.constantFrom(4, 6, 8, 12),
        missingShards: fc.integer({ min: 0, max: 2 }),
        knownEmptyShards: fc.integer({ min: 0, max: 1 }),
        restate: fc.boolean(),
        nanPrice: fc.boolean(),
        highBelowBody: fc.boolean(),
        staleRun: fc.boolean(),
        jump: fc.boolean(),
        holeInStored: fc.boolean(),
      }).map((x) => ({ ...x, nanPrice: x.nanPrice && x.seed % 3 === 0, highBelowBody: x.highBelowBody && x.seed % 3 === 1, staleRun: x.staleRun && x.seed % 4 === 0, jump: x.jump && x.seed % 4 === 1, holeInStored: x.holeInStored && x.seed % 5 === 0 })),
      async (hist) => {
        const h = await harness();
        await write(h, hist);
        for (const read of READS) {
          const before = h.engineCalls.n;
          const { fast, slow } = await bothWays(h, read);
          if (h.engineCalls.n > before && fast.metadata.conformance?.reportUri === null) served++;
          expect(comparable(fast)).toEqual(comparable(slow));
        }
        await h.close();
        open.splice(open.indexOf(h), 1);
      },
    ), { numRuns: 20, seed: 20261207 });
    // The property held with the engine path actually serving (not only handing back).
    expect(served).toBeGreaterThan(10);
  }, 120_000);

  it('leaves no base bars in the response cache from an engine read, and a later base read gets every stored bar', async () => {
    const h = await harness({ cache: true });
    await write(h, { seed: 11, shards: 4, missingShards: 0, knownEmptyShards: 0, restate: false, nanPrice: false, highBelowBody: false, staleRun: false, jump: false, holeInStored: false });
    const derived = await h.engine.fetch({ nodeId: NODE, interval: '1h', start: T0, end: T1, strategy: 'fail_fast' });
    expect(h.engineCalls.n).toBe(1);
    expect(derived.metadata.resample?.baseRows).toBe(DAYS * 1_440);
    const base = await h.engine.fetch({ nodeId: NODE, interval: '1m', start: T0, end: T1, strategy: 'fail_fast' });
    expect(base.metadata.cacheHit).toBe(false);
    expect(base.frame.length).toBe(DAYS * 1_440);
    // Now the base bars are cached: the derived read is a whole cache hit of them, resampled from the cache (no engine read).
    const again = await h.engine.fetch({ nodeId: NODE, interval: '1h', start: T0, end: T1, strategy: 'fail_fast' });
    expect(h.engineCalls.n).toBe(1);
    expect(again.metadata.cacheHit).toBe(true);
    expect(again.metadata.fingerprint).toBe(derived.metadata.fingerprint);
  });

  it('serves a repeated derived read from its cached engine answer until a write to the base bars invalidates it', async () => {
    const h = await harness({ cache: true });
    await write(h, { seed: 13, shards: 4, missingShards: 0, knownEmptyShards: 0, restate: false, nanPrice: false, highBelowBody: false, staleRun: false, jump: false, holeInStored: false });
    const request = { nodeId: NODE, interval: '1h', start: T0, end: T1, strategy: 'fail_fast' as const };
    const first = await h.engine.fetch(request);
    const again = await h.engine.fetch(request);
    expect(h.engineCalls.n).toBe(1);
    expect(again.metadata.resample).toMatchObject({ cached: true, baseRows: DAYS * 1_440 });
    expect(again.metadata.sources.cache).toBe(DAYS * 1_440);
    expect(again.metadata.stalenessMs).toBe(first.metadata.stalenessMs);
    expect(comparable(again).bytes).toEqual(comparable(first).bytes);
    expect(again.metadata.fingerprint).toBe(first.metadata.fingerprint);
    // A restated hour of base bars: the cached answer is dropped, the engine reads again, and the JS path agrees.
    const cover = { start: T0 + 5 * HOUR, end: T0 + 6 * HOUR, state: 'stored' as const };
    await h.db.bars.write({ dataset: DATASET, frame: bars(rng(99), cover.start, cover.end, 80), coverage: [cover] }, OHLCV_SCHEMA);
    // What the instance does on every storage change (open-instance.ts): invalidate the dataset's cached answers.
    h.cache?.invalidate(datasetKeyPrefix(NODE, MIN), cover);
    const after = await h.engine.fetch(request);
    expect(h.engineCalls.n).toBe(2);
    expect(after.metadata.resample?.cached).toBe(false);
    expect(after.metadata.fingerprint).not.toBe(first.metadata.fingerprint);
    expect(comparable(after).bytes).toEqual(comparable(await h.rows.fetch(request)).bytes);
  });
});
