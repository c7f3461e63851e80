/**
 * Builds the upstream sources named in the configuration (`sources:`), one BarSource each.
 */
import type { SeamlessConfig } from '../config/index.js';
import { createSyntheticSource } from '../sources/index.js';
import type { BarSource } from '../sources/index.js';

export function composeSources(config: SeamlessConfig['sources']): Map<string, BarSource> {
  const sources = new Map<string, BarSource>();
  for (const [name, s] of Object.entries(config)) {
    sources.set(name, createSyntheticSource({
      seed: s.seed, latencyMs: s.latencyMs, knownEmpty: s.knownEmpty, defects: s.defects,
      ...(s.basePrice !== undefined ? { basePrice: s.basePrice } : {}),
      ...(s.volatility !== undefined ? { volatility: s.volatility } : {}),
    }));
  }
  return sources;
}
