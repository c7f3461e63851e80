/**
 * The live write-through of many datasets inside one Seamless instance (issue 17): a local
 * WebSocket server speaking Binance's kline stream feeds three 1m datasets, storage is the
 * embedded DuckDB file. A flush writes the closed bars of every dataset in one storage
 * transaction (BarStore.writeMany; that it is one transaction is proved by the storage suite and
 * the scheduler's unit tests). One dataset storage refuses — an earlier import stored it as ticks,
 * so its OHLCV bars are a schema conflict — makes the flush of all fail; the flush then writes the
 * datasets one by one, so the others are stored anyway, and the refused one is counted and retried.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TICK_SCHEMA, createFrame } from '../../src/core/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import { binanceKline, binanceKlineFeedConfig, liveBar, startLiveWsServer } from '../harness/live-ws-server.js';
import type { LiveWsServer } from '../harness/live-ws-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1, 12);
const at = (k: number): number => T0 + k * MIN;
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'BADUSDT'];
const nodeOf = (symbol: string): string => `ohlcv:binance:${symbol}`;
const kline = (symbol: string, k: number) => binanceKline(symbol, '1m', MIN, at(k), liveBar(at(k)), true);

describe('live write-through of many datasets', () => {
  let server: LiveWsServer;
  let seamless: Seamless | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    server = await startLiveWsServer();
    dir = await tempDir();
    // An earlier import stored the BAD dataset as ticks: storage refuses OHLCV bars for it from then on.
    const store = await createDuckDbBarStore({ path: join(dir.path, 'seamless.duckdb') });
    await store.write({
      dataset: { nodeId: nodeOf('BADUSDT'), intervalMs: MIN }, frame: createFrame(TICK_SCHEMA, Float64Array.of(at(-10)), [Float64Array.of(1), Float64Array.of(2)]),
      coverage: [{ start: at(-10), end: at(-9), state: 'stored' }],
    }, TICK_SCHEMA);
    await store.close();
    seamless = await createSeamless({
      config: {
        dataDir: dir.path,
        datasets: SYMBOLS.map((s) => ({ nodeId: nodeOf(s), intervals: ['1m'], live: 'binance', liveSymbol: s })),
        live: { flushMs: 200, feeds: { binance: binanceKlineFeedConfig(server.url) } },
      },
      env: {},
      logger: createLogger({ level: 'info', destination: { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>); } } }),
    });
    await until(() => server.received.length >= 1, 'the subscribe message');
  });

  afterAll(async () => {
    await seamless?.close();
    await server?.close();
    await dir?.remove();
  });

  const metric = async (name: string, nodeId: string): Promise<number> => {
    const m = (await seamless?.metrics.registry.getMetricsAsJSON())?.find((x) => x.name === name);
    const v = m?.values.find((x) => x.labels.node_id === nodeId);
    return typeof v?.value === 'number' ? v.value : 0;
  };
  const storedTo = async (symbol: string): Promise<number | undefined> => (await seamless?.coverage(nodeOf(symbol), '1m'))?.at(-1)?.end;

  it('stores the other datasets every minute while storage refuses one, and counts the refused one', async () => {
    // Minute 0: the flush of all three fails on BAD; written one by one, AAA and BBB are stored.
    for (const s of SYMBOLS) server.send(kline(s, 0));
    await until(async () => (await storedTo('AAAUSDT')) === at(1) && (await storedTo('BBBUSDT')) === at(1), 'minute 0 of AAA and BBB stored');
    await until(async () => (await metric('seamless_live_write_failures_total', nodeOf('BADUSDT'))) >= 1, 'the refused dataset counted');
    // Minutes 1 and 2, while BAD waits for its retry: AAA and BBB keep being written.
    for (const k of [1, 2]) {
      for (const s of SYMBOLS) server.send(kline(s, k));
      await until(async () => (await storedTo('AAAUSDT')) === at(k + 1) && (await storedTo('BBBUSDT')) === at(k + 1), `minute ${k} of AAA and BBB stored`);
    }
    // A flush holding BAD with the others failed whole and fell back (a 200 ms flush window
    // holds a minute's three klines, sent back to back, unless the machine stalls between them).
    expect(logs.some((l) => l.msg === 'live write-through: the flush of all datasets failed; writing them one by one')).toBe(true);
    expect(await metric('seamless_live_rows_written_total', nodeOf('AAAUSDT'))).toBe(3);
    expect(await metric('seamless_live_rows_written_total', nodeOf('BBBUSDT'))).toBe(3);
    expect(await metric('seamless_live_rows_written_total', nodeOf('BADUSDT'))).toBe(0);
    expect((await seamless?.coverage(nodeOf('BADUSDT'), '1m'))?.map((c) => c.end)).toEqual([at(-9)]);

    await seamless?.close();
    seamless = undefined;
    // What storage recorded: one live version per minute of AAA and BBB, none of BAD's.
    const store = await createDuckDbBarStore({ path: join(dir.path, 'seamless.duckdb') });
    try {
      for (const s of ['AAAUSDT', 'BBBUSDT']) {
        const versions = (await store.versions?.({ nodeId: nodeOf(s), intervalMs: MIN }, 10)) ?? [];
        expect(versions.map((v) => [v.source, v.start, v.end, v.rows])).toEqual([2, 1, 0].map((k) => ['live', at(k), at(k + 1), 1]));
      }
      expect((await store.versions?.({ nodeId: nodeOf('BADUSDT'), intervalMs: MIN }, 10))?.map((v) => v.source)).toEqual(['unknown']);
    } finally {
      await store.close();
    }
  });
});
