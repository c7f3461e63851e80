/**
 * The bar table of each frame schema, the same in every engine. SQL identifiers come only from
 * this constant map, never from caller input; a schema whose columns differ from its table's is
 * refused.
 */
import { InvalidRequestError } from '../core/index.js';
import type { FrameSchema } from '../core/index.js';

export interface BarTable {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly string[];
}

const BAR_TABLES: Readonly<Record<string, BarTable>> = Object.freeze({
  ohlcv: { schema: 'ohlcv', table: 'bars_ohlcv', columns: ['open', 'high', 'low', 'close', 'volume'] },
  tick: { schema: 'tick', table: 'bars_tick', columns: ['price', 'size'] },
  quote: { schema: 'quote', table: 'bars_quote', columns: ['bid', 'ask', 'bid_size', 'ask_size'] },
});

export const ALL_BAR_TABLES: readonly BarTable[] = Object.freeze(Object.values(BAR_TABLES));

export function barTableFor(schema: FrameSchema): BarTable {
  const t = Object.hasOwn(BAR_TABLES, schema.name) ? BAR_TABLES[schema.name] : undefined;
  if (t === undefined) throw new InvalidRequestError('schema', `no bar table for frame schema "${schema.name}"`);
  const cols = schema.columns;
  let same = cols.length === t.columns.length;
  for (let c = 0; same && c < cols.length; c++) same = cols[c].name === t.columns[c];
  if (!same) throw new InvalidRequestError('schema', `columns of schema "${schema.name}" do not match table ${t.table}`);
  return t;
}
