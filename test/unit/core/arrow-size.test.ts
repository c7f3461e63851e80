import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, QUOTE_SCHEMA, TICK_SCHEMA, allocateFrame, arrowIpcByteLength, arrowIpcChunks } from '../../../src/core/index.js';
import type { FrameSchema } from '../../../src/core/index.js';

function streamLength(schema: FrameSchema, rows: number, metadata: Record<string, string>, batchRows?: number): number {
  const frame = allocateFrame(schema, rows);
  for (let i = 0; i < rows; i++) frame.ts[i] = i * 60_000;
  let bytes = 0;
  for (const piece of arrowIpcChunks(frame, metadata, batchRows)) bytes += piece.byteLength;
  return bytes;
}

describe('arrow IPC byte length', () => {
  it('equals the length of the stream the encoder writes, for every schema and row count', () => {
    for (const schema of [OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA]) {
      for (const rows of [0, 1, 2, 7, 1_440]) {
        expect(arrowIpcByteLength(schema, rows), `${schema.name} × ${rows}`).toBe(streamLength(schema, rows, {}));
      }
    }
  });

  it('counts one batch message per record batch when the rows span several batches', () => {
    for (const rows of [3, 4, 9, 10]) expect(arrowIpcByteLength(OHLCV_SCHEMA, rows, undefined, 3)).toBe(streamLength(OHLCV_SCHEMA, rows, {}, 3));
  });

  it('includes the custom metadata of the schema message when given', () => {
    const metadata = { 'seamless.metadata': JSON.stringify({ rows: 5, note: 'x'.repeat(37) }) };
    expect(arrowIpcByteLength(OHLCV_SCHEMA, 5, metadata)).toBe(streamLength(OHLCV_SCHEMA, 5, metadata));
    expect(arrowIpcByteLength(OHLCV_SCHEMA, 5, metadata)).toBeGreaterThan(arrowIpcByteLength(OHLCV_SCHEMA, 5));
  });
});
