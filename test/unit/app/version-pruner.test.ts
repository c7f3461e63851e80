import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { silentLogger } from '../../../src/observability/index.js';
import { AsOfBeyondRetentionError } from '../../../src/storage/index.js';
import type { BarStore, DatasetKey } from '../../../src/storage/index.js';
import { startVersionPruner } from '../../../src/app/index.js';
import { ohlcvBars } from '../../storage-suite/bar-store-suite.js';
import { until } from '../../helpers/until.js';

const MIN = 60_000;
const DAY = 86_400_000;
const DS: DatasetKey = { nodeId: 'ohlcv:test:PRUNE', intervalMs: MIN };

describe('version pruner', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function storeAt(clock: ReturnType<typeof createManualClock>): Promise<BarStore> {
    const store = await createDuckDbBarStore({ path: ':memory:', clock });
    cleanup.push(() => store.close());
    return store;
  }

  it('drops versions superseded before now minus the retention at start, after which as_of before them is refused naming asOf', async () => {
    const clock = createManualClock(Date.UTC(2025, 0, 1));
    const store = await storeAt(clock);
    const coverage = [{ start: 0, end: 3 * MIN, state: 'stored' as const }];
    await store.write({ dataset: DS, frame: ohlcvBars(0, 3, 1), coverage }, OHLCV_SCHEMA);
    const first = clock.now();
    clock.advance(DAY);
    await store.write({ dataset: DS, frame: ohlcvBars(0, 3, 2), coverage }, OHLCV_SCHEMA);
    clock.advance(10 * DAY);
    // Within the retention: the first version still reads.
    cleanup.push(startVersionPruner({ store, clock, retentionMs: 30 * DAY, logger: silentLogger() }));
    expect((await store.readAsOf?.(DS, OHLCV_SCHEMA, { start: 0, end: 3 * MIN }, first))?.frame.length).toBe(3);

    clock.advance(30 * DAY);
    cleanup.push(startVersionPruner({ store, clock, retentionMs: 30 * DAY, logger: silentLogger() }));
    let refused: unknown;
    await until(async () => {
      refused = await store.readAsOf?.(DS, OHLCV_SCHEMA, { start: 0, end: 3 * MIN }, first).then(() => undefined, (e: unknown) => e);
      return refused !== undefined;
    }, 'the prune to refuse as_of before the horizon');
    expect(refused).toBeInstanceOf(AsOfBeyondRetentionError);
    expect(refused).toMatchObject({ field: 'asOf', details: { reason: 'as_of_beyond_retention' } });
    // The newest rows and reads after the horizon are untouched.
    const now = await store.readAsOf?.(DS, OHLCV_SCHEMA, { start: 0, end: 3 * MIN }, clock.now());
    expect(Array.from(now?.frame.values[3] ?? [])).toEqual(Array.from(ohlcvBars(0, 3, 2).values[3]));
  });
});
