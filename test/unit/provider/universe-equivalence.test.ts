// A universe read against the single reads it replaces, on varied stored data (a property test):
// for every dataset the universe answer's span holds the very rows and values its single read
// returns, and its metadata (partial, missing and failed ranges, coverage, conformance findings,
// fingerprint) or its error is the single read's. One instance (default composition: conformance,
// response cache, SLA) over one DuckDB file, with a manual clock; the universe and the singles
// read in different worlds, so neither answers from the other's cache entries.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createSeamless } from '../../../src/app/index.js';
import { OHLCV_SCHEMA, SeamlessError, allocateFrame } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createEmbeddedDatabase } from '../../../src/engines/duckdb/internal.js';
import { silentLogger } from '../../../src/observability/index.js';
import type { FetchResult, UniverseResult } from '../../../src/provider/index.js';
import type { CoverageClaim } from '../../../src/storage/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

const MIN = 60_000;
const BLOCK = 20;
const BLOCKS = 6;
const START = Date.UTC(2024, 0, 1);
const END = START + BLOCKS * BLOCK * MIN;
const NOW = END + 86_400_000;

type BlockState = 'stored' | 'holes' | 'known_empty' | 'failed' | 'absent';
type Defect = 'none' | 'nan' | 'ohlc' | 'negative_volume' | 'jump';

interface DatasetSpec {
  readonly blocks: readonly BlockState[];
  readonly defect: Defect;
  readonly seed: number;
}

const blocksOf = (...states: BlockState[]) => fc.array(fc.constantFrom(...states), { minLength: BLOCKS, maxLength: BLOCKS });

const datasetSpec: fc.Arbitrary<DatasetSpec> = fc.record({
  // Half covered end to end (complete answers, gaps inside stored ranges, conformance verdicts), half with missing or failed ranges.
  blocks: fc.oneof(blocksOf('stored', 'stored', 'stored', 'holes'), blocksOf('stored', 'holes', 'known_empty', 'failed', 'absent')),
  defect: fc.constantFrom<Defect>('none', 'none', 'nan', 'ohlc', 'negative_volume', 'jump'),
  seed: fc.integer({ min: 1, max: 1_000 }),
});

/** The stored bars of one dataset: a random walk over its `stored`/`holes` blocks, with its defect on one bar. */
function barsOf(spec: DatasetSpec): { ts: number[]; claims: CoverageClaim[]; failed: { start: number; end: number }[] } {
  const ts: number[] = [];
  const claims: CoverageClaim[] = [];
  const failed: { start: number; end: number }[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    const range = { start: START + b * BLOCK * MIN, end: START + (b + 1) * BLOCK * MIN };
    const state = spec.blocks[b];
    if (state === 'stored' || state === 'holes') {
      // `holes`: coverage says stored, but some bars are not there (a quiet market): conformance gaps.
      for (let i = 0; i < BLOCK; i++) if (state === 'stored' || (i + spec.seed) % 7 !== 0) ts.push(range.start + i * MIN);
      claims.push({ ...range, state: 'stored' });
    } else if (state === 'known_empty') {
      claims.push({ ...range, state: 'known_empty' });
    } else if (state === 'failed') {
      failed.push(range);
    }
  }
  return { ts, claims, failed };
}

function frameOf(spec: DatasetSpec, ts: readonly number[]) {
  const frame = allocateFrame(OHLCV_SCHEMA, ts.length);
  const [open, high, low, close, volume] = frame.values as Float64Array[];
  let price = 100 + spec.seed;
  for (let i = 0; i < ts.length; i++) {
    frame.ts[i] = ts[i];
    const next = price * (1 + (((spec.seed * 31 + i * 17) % 11) - 5) / 1_000);
    open[i] = price;
    close[i] = next;
    high[i] = Math.max(price, next) + 0.5;
    low[i] = Math.min(price, next) - 0.5;
    volume[i] = 10 + ((spec.seed + i) % 13);
    price = next;
  }
  const at = Math.floor(ts.length / 2);
  if (ts.length > 2) {
    if (spec.defect === 'nan') close[at] = Number.NaN;
    if (spec.defect === 'ohlc') low[at] = high[at] + 1;
    if (spec.defect === 'negative_volume') volume[at] = -1;
    if (spec.defect === 'jump') for (let i = at; i < ts.length; i++) { open[i] *= 3; high[i] *= 3; low[i] *= 3; close[i] *= 3; }
  }
  return frame;
}

/** The metadata fields that name the read itself (its world, its duration, its archived report's id) left out. */
function comparable(metadata: FetchResult['metadata']): Record<string, unknown> {
  const { elapsedMs: _elapsed, worldId: _world, conformance, ...rest } = metadata;
  void _elapsed;
  void _world;
  return { ...rest, conformance: conformance === null ? null : { ...conformance, reportUri: conformance.reportUri === null ? null : conformance.reportUri.replace(/[^/]+$/, '<report id>') } };
}

function span(u: UniverseResult, i: number): number[][] {
  const { frame, offsets } = u.universe;
  return [frame.ts, ...frame.values].map((column) => Array.from(column.subarray(offsets[i], offsets[i + 1])));
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('universe read against single reads', () => {
  it('answers each dataset with the rows, values, metadata or error of its single read, on varied stored data', async () => {
    const dir = await tempDir('seamless-universe-equivalence-');
    cleanups.push(dir.remove);
    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(datasetSpec, { minLength: 2, maxLength: 5 }), fc.nat(5), fc.boolean(),
      async (specs, unknownAt, partialOk) => {
        const dataDir = join(dir.path, `run-${run++}`);
        const nodes = specs.map((_, i) => `ohlcv:eq:D${i}`);
        await mkdir(dataDir);
        const db = await createEmbeddedDatabase({ path: join(dataDir, 'seamless.duckdb') });
        try {
          for (let d = 0; d < specs.length; d++) {
            const dataset = { nodeId: nodes[d], intervalMs: MIN };
            const { ts, claims, failed } = barsOf(specs[d]);
            if (claims.length > 0) await db.bars.write({ dataset, frame: frameOf(specs[d], ts), coverage: claims }, OHLCV_SCHEMA);
            for (const range of failed) await db.bars.markFailed(dataset, range, 'upstream said no');
          }
        } finally {
          await db.close();
        }
        const seamless = await createSeamless({
          overrides: { dataDir, datasets: nodes.map((nodeId) => ({ nodeId, intervals: ['1m'] })) },
          env: {}, logger: silentLogger(), clock: createManualClock(NOW),
        });
        try {
          // An unknown dataset among them fails alone, as its single read does.
          const asked = [...nodes];
          asked.splice(Math.min(unknownAt, asked.length), 0, 'ohlcv:eq:UNKNOWN');
          const request = { interval: '1m', start: START, end: END, strategy: 'fail_fast' as const, partialOk };
          const u = await seamless.fetchUniverse({ ...request, nodes: asked, context: { worldId: 'universe' } });
          expect(u.universe.nodes).toEqual(asked);
          const failed: string[] = [];
          for (let i = 0; i < asked.length; i++) {
            const outcome = u.metadata.datasets[asked[i]];
            let single: FetchResult;
            try {
              single = await seamless.fetch({ ...request, nodeId: asked[i], context: { worldId: 'singles' } });
            } catch (error) {
              if (!(error instanceof SeamlessError)) throw error;
              failed.push(asked[i]);
              expect(outcome).toEqual(error.toBody());
              expect(span(u, i)[0]).toEqual([]);
              continue;
            }
            expect(span(u, i)).toEqual([single.frame.ts, ...single.frame.values].map((column) => Array.from(column)));
            expect(comparable(outcome as FetchResult['metadata'])).toEqual(comparable(single.metadata));
          }
          expect(u.metadata.failed).toEqual(failed);
        } finally {
          await seamless.close();
        }
      },
    ), { numRuns: 6 });
    // Each run opens an instance over a file of its own (about 2 s each on the loaded 2-core machine): the bound only guards against a hang.
  }, 180_000);
});
