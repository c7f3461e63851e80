// The binary batch of a turn's live bars: one Arrow stream per frame schema (and interval), rows
// grouped by dataset in arrival order, closed bars counted.
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, TICK_SCHEMA, decodeLiveBatchArrow } from '../../../../src/core/index.js';
import type { FrameSchema } from '../../../../src/core/index.js';
import { arrowBatchMessages } from '../../../../src/provider/internal.js';
import type { LiveBar } from '../../../../src/provider/internal.js';

const MIN = 60_000;
const T = Date.UTC(2024, 0, 1);

function bar(nodeId: string, schema: FrameSchema, ts: number, closed: boolean, intervalMs = MIN): LiveBar {
  const values = Float64Array.from(schema.columns, (_, c) => ts / MIN + c);
  return { nodeId, intervalMs, schema, ts, closed, values, message: () => { throw new RangeError('no JSON in an Arrow batch'); } };
}

describe('arrowBatchMessages', () => {
  it('writes one stream per frame schema, each grouped by dataset in arrival order', () => {
    const bars = [
      bar('ohlcv:x:A', OHLCV_SCHEMA, T, true), bar('tick:x:Z', TICK_SCHEMA, T, true), bar('ohlcv:x:B', OHLCV_SCHEMA, T, false),
      bar('ohlcv:x:A', OHLCV_SCHEMA, T + MIN, false), bar('ohlcv:x:B', OHLCV_SCHEMA, T, true),
    ];
    const messages = arrowBatchMessages(bars);
    expect(messages.map((m) => [m.type, m.binary, m.bars])).toEqual([['batch', true, 2], ['batch', true, 1]]);
    const ohlcv = decodeLiveBatchArrow(messages[0].bytes);
    expect(ohlcv.schema).toBe(OHLCV_SCHEMA);
    expect(Array.from(ohlcv.nodeIndex, (i, r) => `${ohlcv.nodes[i]}@${ohlcv.ts[r]}:${ohlcv.final[r]}`)).toEqual([
      `ohlcv:x:A@${T}:1`, `ohlcv:x:A@${T + MIN}:0`, `ohlcv:x:B@${T}:0`, `ohlcv:x:B@${T}:1`,
    ]);
    expect(Array.from(ohlcv.values[3])).toEqual([T / MIN + 3, T / MIN + 4, T / MIN + 3, T / MIN + 3]);
    const tick = decodeLiveBatchArrow(messages[1].bytes);
    expect(tick.schema).toBe(TICK_SCHEMA);
    expect(tick.nodes).toEqual(['tick:x:Z']);
    expect(Array.from(tick.values[1])).toEqual([T / MIN + 1]);
  });

  it('writes nothing for no bars, and a stream per interval', () => {
    expect(arrowBatchMessages([])).toEqual([]);
    const two = arrowBatchMessages([bar('ohlcv:x:A', OHLCV_SCHEMA, T, true), bar('ohlcv:x:A', OHLCV_SCHEMA, T, true, 5 * MIN)]);
    expect(two.map((m) => decodeLiveBatchArrow(m.bytes).intervalMs)).toEqual([MIN, 5 * MIN]);
  });
});
