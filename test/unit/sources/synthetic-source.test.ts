import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AbortedError, InvalidRequestError, InvertedRangeError, OHLCV_SCHEMA, concatFrames } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { DEFECT_WINDOW, DEMO_NODE_BTC, DEMO_NODE_DEFECTS, DEMO_NODE_EQUITY, createDemoSource } from '../../../src/sources/internal.js';
import type { SourceRequest } from '../../../src/sources/internal.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z, a Monday

function req(nodeId: string, intervalMs: number, start: number, end: number, signal?: AbortSignal): SourceRequest {
  return { nodeId, intervalMs, range: { start, end }, signal };
}

function columnsOf(f: Frame): number[][] {
  return [Array.from(f.ts), ...f.values.map((v) => Array.from(v))];
}

function utcDay(ts: number): number {
  return new Date(ts).getUTCDay();
}

describe('synthetic source', () => {
  it('names itself synthetic and produces OHLCV frames', () => {
    const source = createSyntheticSource({});
    expect(source.name).toBe('synthetic');
    expect(source.schema).toBe(OHLCV_SCHEMA);
  });

  it('gives the same bars for a range fetched whole or split at any point', async () => {
    const source = createSyntheticSource({ seed: 7 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(MINUTE, 5 * MINUTE, HOUR, DAY),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 4 }),
        async (interval, startBar, bars, cuts) => {
          const start = startBar * interval;
          const end = start + bars * interval;
          const whole = await source.fetch(req('ohlcv:test:X', interval, start, end));
          const points = [...new Set(cuts.filter((c) => c > 0 && c < bars))].sort((a, b) => a - b);
          const bounds = [start, ...points.map((p) => start + p * interval), end];
          const parts: Frame[] = [];
          for (let i = 0; i + 1 < bounds.length; i++) parts.push((await source.fetch(req('ohlcv:test:X', interval, bounds[i], bounds[i + 1]))).frame);
          expect(columnsOf(concatFrames(OHLCV_SCHEMA, parts))).toEqual(columnsOf(whole.frame));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('depends on seed and nodeId but not on the source instance', async () => {
    const a = await createSyntheticSource({ seed: 1 }).fetch(req('n:A', MINUTE, T0, T0 + 100 * MINUTE));
    const a2 = await createSyntheticSource({ seed: 1 }).fetch(req('n:A', MINUTE, T0, T0 + 100 * MINUTE));
    const b = await createSyntheticSource({ seed: 2 }).fetch(req('n:A', MINUTE, T0, T0 + 100 * MINUTE));
    const c = await createSyntheticSource({ seed: 1 }).fetch(req('n:B', MINUTE, T0, T0 + 100 * MINUTE));
    expect(columnsOf(a2.frame)).toEqual(columnsOf(a.frame));
    expect(b.frame.values[3]).not.toEqual(a.frame.values[3]);
    expect(c.frame.values[3]).not.toEqual(a.frame.values[3]);
  });

  it('produces every bar on the grid with valid OHLC, positive prices and volumes, open = previous close', async () => {
    for (const interval of [MINUTE, HOUR, DAY, 7 * DAY]) {
      const start = Math.ceil(T0 / interval) * interval;
      const n = interval === MINUTE ? 10_000 : 2_000;
      const { frame, knownEmpty } = await createSyntheticSource({ basePrice: 60_000, volatility: 0.05 }).fetch(req(DEMO_NODE_BTC, interval, start, start + n * interval));
      expect(knownEmpty).toEqual([]);
      expect(frame.length).toBe(n);
      const [open, high, low, close, volume] = frame.values;
      const bad: string[] = [];
      for (let i = 0; i < n; i++) {
        if (frame.ts[i] !== start + i * interval) bad.push(`ts@${i}`);
        if (!(low[i] > 0)) bad.push(`low>0@${i}`);
        if (!(low[i] <= Math.min(open[i], close[i]))) bad.push(`low@${i}`);
        if (!(high[i] >= Math.max(open[i], close[i]))) bad.push(`high@${i}`);
        if (!(volume[i] > 0)) bad.push(`volume@${i}`);
        if (i > 0 && open[i] !== close[i - 1]) bad.push(`open@${i}`);
      }
      expect(bad).toEqual([]);
    }
  });

  it('keeps prices positive and bounded for a volatile walk over decades', async () => {
    const { frame } = await createSyntheticSource({ volatility: 0.2, basePrice: 1 }).fetch(req('n:V', DAY, 0, 20_000 * DAY));
    const low = frame.values[2];
    const high = frame.values[1];
    let bad = 0;
    for (let i = 0; i < frame.length; i++) if (!(low[i] > 0 && Number.isFinite(high[i]))) bad++;
    expect(bad).toBe(0);
  });

  it('returns an empty frame for an empty range', async () => {
    const { frame, knownEmpty } = await createSyntheticSource({}).fetch(req('n:A', MINUTE, T0, T0));
    expect(frame.length).toBe(0);
    expect(knownEmpty).toEqual([]);
  });

  it('reports weekends as known-empty and produces no weekend bars at 1d', async () => {
    const source = createSyntheticSource({ knownEmpty: 'weekends' });
    // Monday 2024-01-01 .. Monday 2024-01-15: two weekends.
    const { frame, knownEmpty } = await source.fetch(req(DEMO_NODE_EQUITY, DAY, T0, T0 + 14 * DAY));
    expect(knownEmpty).toEqual([
      { start: T0 + 5 * DAY, end: T0 + 7 * DAY },
      { start: T0 + 12 * DAY, end: T0 + 14 * DAY },
    ]);
    expect(frame.length).toBe(10);
    for (let i = 0; i < frame.length; i++) expect([0, 6]).not.toContain(utcDay(frame.ts[i]));
  });

  it('reports weekends as known-empty at 1h, clipped to a range that starts inside one', async () => {
    const source = createSyntheticSource({ knownEmpty: 'weekends' });
    const start = T0 + 6 * DAY + 5 * HOUR; // Sunday 05:00
    const end = T0 + 13 * DAY; // Sunday 00:00 of the next weekend
    const { frame, knownEmpty } = await source.fetch(req(DEMO_NODE_EQUITY, HOUR, start, end));
    expect(knownEmpty).toEqual([
      { start, end: T0 + 7 * DAY },
      { start: T0 + 12 * DAY, end },
    ]);
    expect(frame.length).toBe(5 * 24);
    expect(frame.ts[0]).toBe(T0 + 7 * DAY);
    for (let i = 0; i < frame.length; i++) expect([0, 6]).not.toContain(utcDay(frame.ts[i]));
    // Weekday bars are the same as without weekends closed.
    const open = await createSyntheticSource({}).fetch(req(DEMO_NODE_EQUITY, HOUR, T0 + 7 * DAY, T0 + 12 * DAY));
    expect(columnsOf(frame)).toEqual(columnsOf(open.frame));
  });

  it('waits the configured latency before answering', async () => {
    const source = createSyntheticSource({ latencyMs: 60 });
    const t0 = performance.now();
    await source.fetch(req('n:A', MINUTE, T0, T0 + MINUTE));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('rejects with AbortedError when the signal fires during the latency', async () => {
    const source = createSyntheticSource({ latencyMs: { min: 5_000, max: 10_000 } });
    const controller = new AbortController();
    const pending = source.fetch(req('n:A', MINUTE, T0, T0 + MINUTE, controller.signal));
    const t0 = performance.now();
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it('rejects at once when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(createSyntheticSource({}).fetch(req('n:A', MINUTE, T0, T0 + MINUTE, controller.signal))).rejects.toBeInstanceOf(AbortedError);
  });

  it('rejects impossible options naming the option', () => {
    const cases: [Parameters<typeof createSyntheticSource>[0], string][] = [
      [{ seed: 1.5 }, 'seed'],
      [{ latencyMs: -1 }, 'latencyMs'],
      [{ latencyMs: { min: 10, max: 5 } }, 'latencyMs'],
      [{ basePrice: 0 }, 'basePrice'],
      [{ volatility: Number.NaN }, 'volatility'],
      [{ knownEmpty: 'holidays' as 'none' }, 'knownEmpty'],
    ];
    for (const [options, field] of cases) {
      expect(() => createSyntheticSource(options)).toThrow(InvalidRequestError);
      try {
        createSyntheticSource(options);
      } catch (err) {
        expect((err as InvalidRequestError).field).toBe(field);
      }
    }
  });

  it('rejects unaligned and inverted ranges', async () => {
    const source = createSyntheticSource({});
    await expect(source.fetch(req('n:A', MINUTE, T0 + 1, T0 + MINUTE))).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(source.fetch(req('n:A', MINUTE, T0 + MINUTE, T0))).rejects.toBeInstanceOf(InvertedRangeError);
  });
});

describe('synthetic source in defective mode', () => {
  async function defectsIn(start: number, end: number): Promise<{ gaps: number; duplicates: number; nanCloses: number; highBelowClose: number; frame: Frame }> {
    const { frame, knownEmpty } = await createSyntheticSource({ defects: true }).fetch(req(DEMO_NODE_DEFECTS, MINUTE, start, end));
    expect(knownEmpty).toEqual([]); // gaps are silent
    const [, high, , close] = frame.values;
    let gaps = 0;
    let duplicates = 0;
    let nanCloses = 0;
    let highBelowClose = 0;
    for (let i = 0; i < frame.length; i++) {
      if (i > 0 && frame.ts[i] === frame.ts[i - 1]) {
        duplicates++;
        expect(close[i]).not.toBe(close[i - 1]);
      }
      if (i > 0 && frame.ts[i] - frame.ts[i - 1] > MINUTE) gaps += (frame.ts[i] - frame.ts[i - 1]) / MINUTE - 1;
      if (Number.isNaN(close[i])) nanCloses++;
      if (high[i] < close[i]) highBelowClose++;
    }
    return { gaps, duplicates, nanCloses, highBelowClose, frame };
  }

  it('puts at least one of each defect in any one-day 1m range', async () => {
    for (const start of [T0, T0 + 17 * MINUTE, T0 + 1_000 * MINUTE, 0]) {
      const d = await defectsIn(start, start + DAY);
      for (const count of [d.gaps, d.duplicates, d.nanCloses, d.highBelowClose]) expect(count).toBeGreaterThanOrEqual(1);
      // One of each per 240-bar window: 1440 bars hold six windows (seven when not window-aligned).
      expect(d.gaps).toBeLessThanOrEqual(1440 / DEFECT_WINDOW + 1);
    }
  });

  it('reproduces the same defects for any range that contains them', async () => {
    const whole = await defectsIn(T0, T0 + DAY);
    const first = await defectsIn(T0, T0 + 12 * HOUR);
    const second = await defectsIn(T0 + 12 * HOUR, T0 + DAY);
    expect(columnsOf(concatFrames(OHLCV_SCHEMA, [first.frame, second.frame]))).toEqual(columnsOf(whole.frame));
  });

  it('leaves the non-defective bars equal to the normal walk', async () => {
    const normal = await createSyntheticSource({}).fetch(req(DEMO_NODE_DEFECTS, MINUTE, T0, T0 + DAY));
    const { frame } = await defectsIn(T0, T0 + DAY);
    const byTs = new Map<number, number>();
    for (let i = 0; i < normal.frame.length; i++) byTs.set(normal.frame.ts[i], i);
    let same = 0;
    for (let i = 0; i < frame.length; i++) {
      const j = byTs.get(frame.ts[i]) as number;
      if (frame.values[3][i] === normal.frame.values[3][j] && frame.values[1][i] === normal.frame.values[1][j]) same++;
    }
    expect(same).toBeGreaterThan(frame.length - 4 * 7);
  });
});

describe('demo source', () => {
  it('shapes each demo node: equity closes weekends, defects node is defective', async () => {
    const demo = createDemoSource({ seed: 42 });
    const equity = await demo.fetch(req(DEMO_NODE_EQUITY, DAY, T0, T0 + 7 * DAY));
    expect(equity.knownEmpty).toEqual([{ start: T0 + 5 * DAY, end: T0 + 7 * DAY }]);
    const btc = await demo.fetch(req(DEMO_NODE_BTC, DAY, T0, T0 + 7 * DAY));
    expect(btc.frame.length).toBe(7);
    expect(btc.frame.values[3][0]).toBeGreaterThan(10_000);
    const defects = await demo.fetch(req(DEMO_NODE_DEFECTS, MINUTE, T0, T0 + DAY));
    expect(Array.from(defects.frame.values[3]).some(Number.isNaN)).toBe(true);
  });
});
