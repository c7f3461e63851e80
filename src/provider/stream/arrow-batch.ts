/**
 * The binary form of a burst of live bars (`encoding=arrow`, docs/streaming.md#binary-batches):
 * one Arrow IPC stream per frame schema and interval among the bars (one for any subscription:
 * its datasets share the interval, and live feeds serve OHLCV bars), rows grouped by dataset in
 * the order the bars came (core/encode/live-batch-arrow.ts). No resume token travels: the
 * position a closed row gives is its dataset's (node, interval, ts), from which a client builds
 * the token (resume-token.ts).
 */
import { createFrame, createUniverseFrame, encodeLiveBatchArrow } from '../../core/index.js';
import type { LiveBar } from './fan-out.js';
import type { StreamMessage } from './stream-messages.js';

/** The binary `batch` messages of `bars` (live bars of one turn, in order). */
export function arrowBatchMessages(bars: readonly LiveBar[]): StreamMessage[] {
  if (bars.length === 0) return [];
  const first = bars[0];
  let uniform = true;
  for (const b of bars) if (b.schema !== first.schema || b.intervalMs !== first.intervalMs) { uniform = false; break; }
  if (uniform) return [arrowBatchOf(bars)];
  const groups = new Map<string, LiveBar[]>();
  for (const b of bars) {
    const key = `${b.schema.name} ${b.intervalMs}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    group.push(b);
  }
  return [...groups.values()].map(arrowBatchOf);
}

/** One stream of bars of one schema and interval: dictionary in first-seen order, rows grouped by dataset. */
function arrowBatchOf(bars: readonly LiveBar[]): StreamMessage {
  const { schema, intervalMs } = bars[0];
  const n = bars.length;
  const indexOf = new Map<string, number>();
  const nodes: string[] = [];
  const counts: number[] = [];
  const rowNode = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const id = bars[i].nodeId;
    let idx = indexOf.get(id);
    if (idx === undefined) {
      idx = nodes.length;
      indexOf.set(id, idx);
      nodes.push(id);
      counts.push(0);
    }
    rowNode[i] = idx;
    counts[idx]++;
  }
  const offsets = new Int32Array(nodes.length + 1);
  for (let k = 0; k < nodes.length; k++) offsets[k + 1] = offsets[k] + counts[k];
  const cursor = offsets.slice(0, nodes.length);
  const width = schema.columns.length;
  const ts = new Float64Array(n);
  const values: Float64Array[] = [];
  for (let c = 0; c < width; c++) values.push(new Float64Array(n));
  const final = new Uint8Array(n);
  let closed = 0;
  for (let i = 0; i < n; i++) {
    const bar = bars[i];
    const r = cursor[rowNode[i]]++;
    ts[r] = bar.ts;
    for (let c = 0; c < width; c++) values[c][r] = bar.values[c];
    if (bar.closed) {
      final[r] = 1;
      closed++;
    }
  }
  const bytes = encodeLiveBatchArrow({ bars: createUniverseFrame(createFrame(schema, ts, values), nodes, offsets), final, intervalMs });
  return { type: 'batch', bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), bars: closed, binary: true };
}
