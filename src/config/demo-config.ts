/**
 * The embedded defaults: with no configuration file, Seamless serves these demo datasets from
 * the deterministic synthetic source, so `npm start` shows something real at once.
 */
import type { SeamlessConfigInput } from './config-schema.js';

export const DEMO_SOURCES = {
  synthetic: { kind: 'synthetic', seed: 42, latencyMs: 0, basePrice: 42_000, volatility: 0.035 },
  'synthetic-eth': { kind: 'synthetic', seed: 43, basePrice: 2_300, volatility: 0.045 },
  'synthetic-equity': { kind: 'synthetic', seed: 7, calendar: 'XNYS', basePrice: 120 },
  'synthetic-defects': { kind: 'synthetic', seed: 13, defects: true },
} as const;

export const DEMO_DATASETS = [
  { nodeId: 'ohlcv:demo:BTC-USD', intervals: ['1m', '5m', '1h', '1d'], baseInterval: '1m', source: 'synthetic', description: 'Synthetic BTC-USD random walk' },
  { nodeId: 'ohlcv:demo:ETH-USD', intervals: ['1m', '1h'], baseInterval: '1m', source: 'synthetic-eth', description: 'Synthetic ETH-USD random walk' },
  { nodeId: 'ohlcv:demo:ACME', intervals: ['1d', '1h'], source: 'synthetic-equity', calendar: 'XNYS', description: 'Equity-style bars in NYSE sessions (XNYS calendar); closed time known empty' },
  { nodeId: 'ohlcv:demo:DEFECTS', intervals: ['1m'], source: 'synthetic-defects', description: 'Emits a gap, a duplicate, a NaN and an OHLC inconsistency' },
] as const;

export function demoConfig(): SeamlessConfigInput {
  return {
    sources: structuredClone(DEMO_SOURCES) as SeamlessConfigInput['sources'],
    datasets: DEMO_DATASETS.map((d) => ({ ...d, intervals: [...d.intervals] })),
  };
}
