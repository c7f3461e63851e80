/**
 * The catalogue of conformance flags: each has a stage and a default level. `info` marks a
 * normalisation that changed nothing of meaning (an epoch-unit cast, a sort); `error` marks a
 * defect. Flag names are stable (dashboards and alerts use them): never rename or reuse one.
 */

export const FLAG_CATALOGUE = {
  // schema rollup
  missing_column: { stage: 'schema', level: 'error', description: 'a required column of the registry schema is absent' },
  unexpected_column: { stage: 'schema', level: 'info', description: 'a column not in the registry schema was dropped' },
  dtype_cast: { stage: 'schema', level: 'info', description: 'a column was safely cast to its registry type' },
  dtype_mismatch: { stage: 'schema', level: 'error', description: 'a column has a type that cannot be cast safely' },
  invalid_enum: { stage: 'schema', level: 'error', description: 'a value is not one of the enumeration symbols' },
  null_value: { stage: 'schema', level: 'error', description: 'a null in a column that does not allow nulls' },
  // temporal rollup
  ts_cast: { stage: 'temporal', level: 'info', description: 'timestamps converted to epoch ms (seconds, µs, ns or ISO strings)' },
  ts_timezone_normalized: { stage: 'temporal', level: 'info', description: 'timestamps with a zone offset normalised to UTC' },
  invalid_timestamp: { stage: 'temporal', level: 'error', description: 'rows with unusable timestamps were dropped' },
  unsorted_ts: { stage: 'temporal', level: 'info', description: 'rows were sorted by ts' },
  duplicate_ts: { stage: 'temporal', level: 'error', description: 'several rows for one ts; the last one was kept' },
  gap: { stage: 'temporal', level: 'error', description: 'bars missing on the grid (not known empty)' },
  misaligned_ts: { stage: 'temporal', level: 'error', description: 'bars off the interval grid' },
  future_ts: { stage: 'temporal', level: 'error', description: 'bars that have not closed yet' },
  // quality flags
  non_finite: { stage: 'quality', level: 'error', description: 'NaN or infinite values' },
  ohlc_inconsistent: { stage: 'quality', level: 'error', description: 'high < max(open, close), low > min(open, close) or low > high' },
  negative_volume: { stage: 'quality', level: 'error', description: 'volume below zero' },
  price_jump: { stage: 'quality', level: 'error', description: 'close-to-close move beyond the configured bound' },
  stale_price: { stage: 'quality', level: 'error', description: 'a long run of identical closes' },
  invalid_price: { stage: 'quality', level: 'error', description: 'tick price not positive' },
  invalid_size: { stage: 'quality', level: 'error', description: 'tick size not positive' },
  crossed_quotes: { stage: 'quality', level: 'error', description: 'bid above ask' },
  wide_spread: { stage: 'quality', level: 'error', description: 'spread beyond the configured bound' },
  invalid_bid: { stage: 'quality', level: 'error', description: 'bid not positive or bid size negative' },
  invalid_ask: { stage: 'quality', level: 'error', description: 'ask not positive or ask size negative' },
} as const;

export type FlagType = keyof typeof FLAG_CATALOGUE;
export type FlagLevel = 'info' | 'error';
export type FlagStage = 'schema' | 'temporal' | 'quality';
export const FLAG_TYPES = Object.keys(FLAG_CATALOGUE) as readonly FlagType[];

export function flagLevel(flag: FlagType): FlagLevel {
  return FLAG_CATALOGUE[flag].level;
}
