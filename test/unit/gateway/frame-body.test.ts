import { Readable } from 'node:stream';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame, decodeArrowIpc, encodeColumnarJson, encodeCsv } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';
import { STREAM_MIN_ROWS, frameBody } from '../../../src/gateway/internal.js';

function bars(n: number): Frame {
  const ts = new Float64Array(n);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    ts[i] = 1_700_000_000_000 + i * 60_000;
    for (let c = 0; c < values.length; c++) values[c][i] = 100 + Math.sin(i + c) * 3.14159;
  }
  return createFrame(OHLCV_SCHEMA, ts, values);
}

async function drain(body: Buffer | Readable): Promise<{ bytes: Buffer; pieces: number }> {
  if (Buffer.isBuffer(body)) return { bytes: body, pieces: 1 };
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part as Buffer);
  return { bytes: Buffer.concat(parts), pieces: parts.length };
}

describe('bars answer body', () => {
  const META = '{"rows":1}';

  it('is one Buffer (a content-length answer) for an answer of at most STREAM_MIN_ROWS rows', async () => {
    const frame = bars(1_440);
    const body = await frameBody('json', frame, META);
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(body.toString('utf8')).toBe(`{"data":${encodeColumnarJson(frame)},"metadata":${META}}`);
  });

  it('streams a larger answer in pieces whose bytes are the one-shot encodings', async () => {
    const frame = bars(STREAM_MIN_ROWS + 1_000);
    const json = await drain(await frameBody('json', frame, META));
    expect(json.pieces).toBeGreaterThan(1);
    expect(json.bytes.toString('utf8')).toBe(`{"data":${encodeColumnarJson(frame)},"metadata":${META}}`);
    const csv = await drain(await frameBody('csv', frame, META));
    expect(csv.pieces).toBeGreaterThan(1);
    expect(csv.bytes.toString('utf8')).toBe(encodeCsv(frame));
  });

  it('streams a large Arrow answer as record batches of one IPC stream, metadata in its schema', async () => {
    const frame = bars(STREAM_MIN_ROWS * 2 + 5);
    const arrow = await drain(await frameBody('arrow', frame, META));
    expect(arrow.pieces).toBeGreaterThan(1);
    const table = tableFromIPC(arrow.bytes);
    expect(table.batches.length).toBe(3);
    expect(table.schema.metadata.get('seamless.metadata')).toBe(META);
    const decoded = decodeArrowIpc(arrow.bytes).frame;
    expect(decoded.length).toBe(frame.length);
    expect(Array.from(decoded.ts)).toEqual(Array.from(frame.ts));
    expect(Array.from(decoded.values[3])).toEqual(Array.from(frame.values[3]));
  });

  it('sends a large Arrow answer\'s value columns from the frame\'s own memory, uncopied', async () => {
    const frame = bars(2 * 65_536); // two full Arrow batches (ARROW_BATCH_ROWS): a column's part of one is 512 KB
    const body = await frameBody('arrow', frame, META);
    expect(Buffer.isBuffer(body)).toBe(false);
    let fromFrame = 0;
    for await (const part of body as Readable) {
      const piece = part as Buffer;
      if (frame.values.some((v) => v.buffer === piece.buffer)) fromFrame += piece.byteLength;
    }
    expect(fromFrame).toBe(frame.values.length * frame.length * 8);
  });

  it('stops encoding once the client is gone (signal aborted) and when the stream is destroyed', async () => {
    const frame = bars(STREAM_MIN_ROWS * 4);
    const whole = Buffer.byteLength(`{"data":${encodeColumnarJson(frame)},"metadata":${META}}`);

    const controller = new AbortController();
    const aborted = await frameBody('json', frame, META, controller.signal);
    expect(aborted).toBeInstanceOf(Readable);
    let read = 0;
    for await (const part of aborted as Readable) {
      read += (part as Buffer).length;
      controller.abort();
    }
    expect(read).toBeLessThan(whole / 4);

    const destroyed = (await frameBody('csv', frame, META)) as Readable;
    const first: unknown = await new Promise((resolve) => destroyed.once('data', resolve));
    expect(Buffer.isBuffer(first)).toBe(true);
    destroyed.destroy();
    await new Promise((resolve) => destroyed.once('close', resolve));
    expect(destroyed.readableEnded).toBe(false);
  });
});
