/**
 * The demo datasets served by `seamless serve --demo`, and a source that gives each its shape.
 */
import type { BarSource, SourceBatch, SourceRequest } from '../bar-source.js';
import { createSyntheticSource } from './synthetic-source.js';
import type { SyntheticSourceOptions } from './synthetic-source.js';

export const DEMO_NODE_BTC = 'ohlcv:demo:BTC-USD';
export const DEMO_NODE_ETH = 'ohlcv:demo:ETH-USD';
/** A stock: meant for 1d bars, Saturdays and Sundays known-empty. */
export const DEMO_NODE_EQUITY = 'ohlcv:demo:ACME';
/** The defective node: gaps, duplicates, NaN closes and high-below-close bars (see defects.ts). */
export const DEMO_NODE_DEFECTS = 'ohlcv:demo:DEFECTS';

export const DEMO_NODES: readonly string[] = Object.freeze([DEMO_NODE_BTC, DEMO_NODE_ETH, DEMO_NODE_EQUITY, DEMO_NODE_DEFECTS]);

/** Options shared by every demo node; the per-node shape (price, volatility, weekends, defects) is fixed. */
export type DemoSourceOptions = Pick<SyntheticSourceOptions, 'seed' | 'latencyMs'>;

/**
 * One `synthetic` source for all demo nodes: BTC-USD around 60 000 (4 % daily), ETH-USD around
 * 3 000 (5 %), ACME around 120 (1.5 %, weekends known-empty), DEFECTS around 100 with defects.
 * Any other nodeId gets the default synthetic walk.
 */
export function createDemoSource(options: DemoSourceOptions = {}): BarSource {
  const shared = { seed: options.seed, latencyMs: options.latencyMs };
  const byNode = new Map<string, BarSource>([
    [DEMO_NODE_BTC, createSyntheticSource({ ...shared, basePrice: 60_000, volatility: 0.04 })],
    [DEMO_NODE_ETH, createSyntheticSource({ ...shared, basePrice: 3_000, volatility: 0.05 })],
    [DEMO_NODE_EQUITY, createSyntheticSource({ ...shared, basePrice: 120, volatility: 0.015, knownEmpty: 'weekends' })],
    [DEMO_NODE_DEFECTS, createSyntheticSource({ ...shared, defects: true })],
  ]);
  const fallback = createSyntheticSource(shared);
  const schema = fallback.schema;
  return Object.freeze({
    name: 'synthetic',
    schema,
    fetch(request: SourceRequest): Promise<SourceBatch> {
      return (byNode.get(request.nodeId) ?? fallback).fetch(request);
    },
  });
}
