import {
  Field, Float64, Message, RecordBatch, RecordBatchReader, Schema, Struct, Table, TimestampMillisecond, TimestampSecond, makeData, tableFromIPC, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import type { Data, Vector } from 'apache-arrow';

/** The record-batch header of a decoded IPC message (apache-arrow does not export its class). */
interface RecordBatchMetadata { readonly length: bigint | number; readonly nodes: unknown[]; readonly buffers: unknown[]; readonly compression: unknown }
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrowIpcChunks, columnarJsonSlices, csvSlices, decodeArrowIpc, encodeArrowIpc, encodeColumnarJson, encodeCsv } from '../../../src/core/index.js';
import { InternalError, InvalidRequestError } from '../../../src/core/index.js';
import { OHLCV_SCHEMA, QUOTE_SCHEMA, TICK_SCHEMA } from '../../../src/core/index.js';
import { columnNames } from '../../../src/core/internal.js';
import type { FrameSchema } from '../../../src/core/index.js';
import { createFrame, emptyFrame } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';

const SCHEMAS = [OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA] as const;

/** Any frame of a shipped schema: 0..500 rows, integer epoch-ms ts, any doubles (NaN, ±0, ±∞). */
function frameOf(schema: FrameSchema, values: fc.Arbitrary<number> = fc.double()): fc.Arbitrary<Frame> {
  return fc.integer({ min: 0, max: 500 }).chain((n) =>
    fc.tuple(
      fc.array(fc.maxSafeInteger(), { minLength: n, maxLength: n }),
      fc.array(fc.array(values, { minLength: n, maxLength: n }), { minLength: schema.columns.length, maxLength: schema.columns.length }),
    ).map(([ts, cols]) => createFrame(schema, Float64Array.from(ts), cols.map((c) => Float64Array.from(c)))),
  );
}
const anyFrame = fc.constantFrom(...SCHEMAS).chain((s) => frameOf(s));

function columnsOf(frame: Frame): Float64Array[] {
  return [frame.ts, ...frame.values];
}

/** Bit-exact equality of two doubles, except that any NaN equals any NaN. */
function sameBits(a: number, b: number): boolean {
  if (Number.isNaN(a)) return Number.isNaN(b);
  return Object.is(a, b);
}

/** An IPC stream of one record batch with these fields, column data and schema metadata. */
function ipcOf(fields: Field[], children: Data[], metadata: Map<string, string>): Uint8Array {
  const schema = new Schema(fields, metadata);
  const length = children[0].length;
  return tableToIPC(new Table(schema, new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children }))), 'stream');
}

function sampleFrame(schema: FrameSchema, n: number): Frame {
  const ts = new Float64Array(n);
  const values = schema.columns.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    ts[i] = 1_700_000_000_000 + i * 60_000;
    for (let c = 0; c < values.length; c++) values[c][i] = 100 + i + c / 10;
  }
  return createFrame(schema, ts, values);
}

describe('arrow ipc encoding', () => {
  it('round-trips any frame bit-exactly (NaN stays NaN)', () => {
    fc.assert(
      fc.property(anyFrame, (frame) => {
        const { frame: back } = decodeArrowIpc(encodeArrowIpc(frame));
        expect(back.schema).toBe(frame.schema);
        expect(back.length).toBe(frame.length);
        const a = columnsOf(frame);
        const b = columnsOf(back);
        for (let c = 0; c < a.length; c++) {
          for (let i = 0; i < frame.length; i++) if (!sameBits(a[c][i], b[c][i])) return false;
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });

  it('writes ts as a UTC millisecond timestamp and the values as non-nullable float64', () => {
    const table = tableFromIPC(encodeArrowIpc(sampleFrame(OHLCV_SCHEMA, 3)));
    expect(table.schema.fields.map((f) => `${f.name}: ${String(f.type)} ${f.nullable}`)).toEqual([
      'ts: Timestamp<MILLISECOND, UTC> false',
      'open: Float64 false', 'high: Float64 false', 'low: Float64 false', 'close: Float64 false', 'volume: Float64 false',
    ]);
    expect(table.getChild('ts')?.get(1)).toBe(1_700_000_060_000);
  });

  it('encodes negative and 2^53-1 timestamps exactly', () => {
    const frame = createFrame(TICK_SCHEMA, Float64Array.of(-86_400_001, -1, 0, 2 ** 32, 2 ** 53 - 1), [new Float64Array(5), new Float64Array(5)]);
    expect(Array.from(decodeArrowIpc(encodeArrowIpc(frame)).frame.ts)).toEqual([-86_400_001, -1, 0, 2 ** 32, 2 ** 53 - 1]);
  });

  it('keeps the caller metadata and records the frame schema name', () => {
    const meta = { 'seamless.metadata': JSON.stringify({ rows: 3, fingerprint: 'sha256:ab' }), other: 'ü ✓' };
    const { metadata } = decodeArrowIpc(encodeArrowIpc(sampleFrame(QUOTE_SCHEMA, 3), meta));
    expect(metadata).toEqual({ ...meta, 'seamless.schema': 'quote' });
  });

  it.each(SCHEMAS)('round-trips a 0-row $name frame', (schema) => {
    const { frame, metadata } = decodeArrowIpc(encodeArrowIpc(emptyFrame(schema), { 'seamless.metadata': '{}' }));
    expect(frame.schema).toBe(schema);
    expect(frame.length).toBe(0);
    expect(frame.values).toHaveLength(schema.columns.length);
    expect(metadata['seamless.metadata']).toBe('{}');
  });

  it('writes the schema message byte for byte as apache-arrow\'s stream writer does, for every schema and metadata length', () => {
    for (const schema of [OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA]) {
      const metas: Record<string, string>[] = [{}, { k: 'v' }, { 'seamless.metadata': 'x'.repeat(37) }, { a: 'é', b: 'y'.repeat(1000) }];
      for (const meta of metas) {
        const fields = [new Field('ts', new TimestampMillisecond('UTC'), false), ...schema.columns.map((c) => new Field(c.name, new Float64(), false))];
        const reference = tableToIPC(new Table(new Schema(fields, new Map([...Object.entries(meta), ['seamless.schema', schema.name]]))), 'stream');
        const first = [...arrowIpcChunks(sampleFrame(schema, 3), meta, 64)][0];
        expect(Buffer.from(first).equals(Buffer.from(reference.subarray(0, reference.byteLength - 8)))).toBe(true);
      }
    }
  });

  it('round-trips a sliced frame (columns that are views at an offset)', () => {
    const frame = sampleFrame(TICK_SCHEMA, 10).slice(3, 7);
    const back = decodeArrowIpc(encodeArrowIpc(frame)).frame;
    expect(Array.from(back.ts)).toEqual(Array.from(frame.ts));
    expect(Array.from(back.values[1])).toEqual(Array.from(frame.values[1]));
  });

  it('decodes bytes that sit at a misaligned offset', () => {
    const bytes = encodeArrowIpc(sampleFrame(OHLCV_SCHEMA, 4));
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    expect(Array.from(decodeArrowIpc(host.subarray(3)).frame.values[3])).toEqual(Array.from(sampleFrame(OHLCV_SCHEMA, 4).values[3]));
  });

  it('reads every record batch of a multi-batch stream', () => {
    const frame = sampleFrame(TICK_SCHEMA, 6);
    const batches = [frame.slice(0, 2), frame.slice(2, 6)].map((f) => tableFromIPC(encodeArrowIpc(f)).batches[0]);
    const back = decodeArrowIpc(tableToIPC(new Table(batches), 'stream')).frame;
    expect(back.schema).toBe(TICK_SCHEMA);
    expect(Array.from(back.ts)).toEqual(Array.from(frame.ts));
    expect(Array.from(back.values[0])).toEqual(Array.from(frame.values[0]));
    expect(Array.from(back.values[1])).toEqual(Array.from(frame.values[1]));
  });

  it('matches a stream without seamless.schema to a known schema by its column names', () => {
    const frame = sampleFrame(QUOTE_SCHEMA, 3);
    const cols: Record<string, Vector<Float64>> = {};
    for (const name of ['ask_size', 'bid', 'ts', 'ask', 'bid_size']) cols[name] = vectorFromArray(Array.from(frame.column(name)), new Float64());
    const back = decodeArrowIpc(tableToIPC(new Table(cols), 'stream'));
    expect(back.frame.schema).toBe(QUOTE_SCHEMA);
    expect(Array.from(back.frame.ts)).toEqual(Array.from(frame.ts));
    expect(Array.from(back.frame.column('bid_size'))).toEqual(Array.from(frame.column('bid_size')));
    expect(back.metadata).toEqual({});
  });

  it('turns Arrow nulls into NaN and converts other timestamp units to ms', () => {
    const ts = makeData({ type: new TimestampSecond('UTC'), length: 2, nullCount: 0, data: BigInt64Array.of(1_700_000_000n, 1_700_000_060n) });
    const price = vectorFromArray([1.5, null], new Float64()).data[0];
    const size = vectorFromArray([null, 2], new Float64()).data[0];
    const fields = [new Field('ts', ts.type, false), new Field('price', new Float64(), true), new Field('size', new Float64(), true)];
    const back = decodeArrowIpc(ipcOf(fields, [ts, price, size], new Map([['seamless.schema', 'tick']]))).frame;
    expect(Array.from(back.ts)).toEqual([1_700_000_000_000, 1_700_000_060_000]);
    expect(Array.from(back.values[0])).toEqual([1.5, Number.NaN]);
    expect(Array.from(back.values[1])).toEqual([Number.NaN, 2]);
  });

  it('rejects columns that match no known schema as invalid_request', () => {
    const bytes = tableToIPC(new Table({ ts: vectorFromArray([1], new Float64()), foo: vectorFromArray([2], new Float64()) }), 'stream');
    expect(() => decodeArrowIpc(bytes)).toThrow(InvalidRequestError);
  });

  it('rejects an unknown seamless.schema name as invalid_request', () => {
    const fields = [new Field('ts', new Float64(), false), new Field('price', new Float64(), false), new Field('size', new Float64(), false)];
    const data = fields.map(() => vectorFromArray([1], new Float64()).data[0]);
    const bytes = ipcOf(fields, data, new Map([['seamless.schema', 'nope']]));
    expect(() => decodeArrowIpc(bytes)).toThrow(/unknown frame schema "nope"/);
    expect(() => decodeArrowIpc(bytes)).toThrow(InvalidRequestError);
  });

  it('rejects a known schema whose columns are missing as invalid_request', () => {
    const fields = [new Field('ts', new Float64(), false), new Field('price', new Float64(), false)];
    const data = fields.map(() => vectorFromArray([1], new Float64()).data[0]);
    expect(() => decodeArrowIpc(ipcOf(fields, data, new Map([['seamless.schema', 'tick']])))).toThrow(/column size/);
  });

  it('rejects bytes that are not Arrow as invalid_request', () => {
    const err = (() => {
      try {
        decodeArrowIpc(new TextEncoder().encode('{"data": {}}'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as InvalidRequestError).field).toBe('arrow');
  });

  it('refuses to encode a non-integer timestamp', () => {
    const frame = createFrame(TICK_SCHEMA, Float64Array.of(1.5), [new Float64Array(1), new Float64Array(1)]);
    expect(() => encodeArrowIpc(frame)).toThrow(InternalError);
  });
});

describe('csv encoding', () => {
  it('parses back to the original values, with empty fields for NaN', () => {
    fc.assert(
      fc.property(anyFrame, (frame) => {
        const lines = encodeCsv(frame).split('\n');
        expect(lines[0]).toBe(columnNames(frame.schema).join(','));
        expect(lines).toHaveLength(frame.length + 2);
        expect(lines[lines.length - 1]).toBe('');
        const cols = columnsOf(frame);
        for (let i = 0; i < frame.length; i++) {
          const fields = lines[i + 1].split(',');
          if (fields.length !== cols.length) return false;
          for (let c = 0; c < cols.length; c++) {
            const x = cols[c][i];
            if (Number.isNaN(x)) {
              if (fields[c] !== '') return false;
            } else if (!Object.is(Number(fields[c]), x === 0 ? 0 : x)) return false;
          }
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });

  it('writes the header and nothing else for a 0-row frame', () => {
    expect(encodeCsv(emptyFrame(OHLCV_SCHEMA))).toBe('ts,open,high,low,close,volume\n');
    expect(encodeCsv(emptyFrame(QUOTE_SCHEMA), { header: false })).toBe('');
  });

  it('writes infinities as Infinity and -Infinity, even when every cell is one', () => {
    const inf = Number.POSITIVE_INFINITY;
    const frame = createFrame(TICK_SCHEMA, Float64Array.of(0, 1), [Float64Array.of(-inf, -inf), Float64Array.of(-inf, inf)]);
    expect(encodeCsv(frame, { header: false })).toBe('0,-Infinity,-Infinity\n1,-Infinity,Infinity\n');
  });

  it('writes the text of String(x) per cell whether a column is short decimals or mostly 17-digit values', () => {
    const n = 300;
    const ts = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 60_000);
    // price: mostly 17-digit values (computed, like the synthetic source's), with NaN and ±Infinity among them;
    // size: short decimals and integers.
    const price = Float64Array.from({ length: n }, (_, i) => (i % 50 === 7 ? Number.NaN : i % 50 === 8 ? Number.POSITIVE_INFINITY : i % 50 === 9 ? Number.NEGATIVE_INFINITY : 100 + i / 3));
    const size = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? i : i / 8));
    const frame = createFrame(TICK_SCHEMA, ts, [price, size]);
    const cell = (x: number): string => (Number.isNaN(x) ? '' : String(x));
    const expected = Array.from({ length: n }, (_, i) => `${ts[i]},${cell(price[i])},${cell(size[i])}\n`).join('');
    expect(encodeCsv(frame, { header: false })).toBe(expected);
    expect(Buffer.concat([...csvSlices(frame, 64, { header: false })]).toString('latin1')).toBe(expected);
  });

  it('writes tick and quote frames with their own columns', () => {
    expect(encodeCsv(createFrame(TICK_SCHEMA, Float64Array.of(1000), [Float64Array.of(0.1), Float64Array.of(Number.NaN)])))
      .toBe('ts,price,size\n1000,0.1,\n');
    expect(encodeCsv(sampleFrame(QUOTE_SCHEMA, 1), { header: false })).toBe('1700000000000,100,100.1,100.2,100.3\n');
  });
});

describe('columnar json encoding', () => {
  it('parses back to the columns, with null for non-finite values', () => {
    fc.assert(
      fc.property(anyFrame, (frame) => {
        const parsed = JSON.parse(encodeColumnarJson(frame)) as Record<string, (number | null)[]>;
        const names = columnNames(frame.schema);
        expect(Object.keys(parsed)).toEqual(names);
        const cols = columnsOf(frame);
        for (let c = 0; c < names.length; c++) {
          const expected = Array.from(cols[c], (x) => (Number.isFinite(x) ? (x === 0 ? 0 : x) : null));
          expect(parsed[names[c]]).toEqual(expected);
        }
      }),
      { numRuns: 150 },
    );
  });

  it.each(SCHEMAS)('writes empty arrays for a 0-row $name frame', (schema) => {
    const parsed = JSON.parse(encodeColumnarJson(emptyFrame(schema))) as Record<string, unknown[]>;
    expect(parsed).toEqual(Object.fromEntries(columnNames(schema).map((n) => [n, []])));
  });

  it('writes ts first and the columns in schema order', () => {
    expect(encodeColumnarJson(createFrame(TICK_SCHEMA, Float64Array.of(60_000), [Float64Array.of(1e21), Float64Array.of(Number.NEGATIVE_INFINITY)])))
      .toBe('{"ts":[60000],"price":[1e+21],"size":[null]}');
  });
});

describe('columnar JSON against JSON.stringify', () => {
  /** What JSON.stringify writes for the frame as an object of plain arrays. */
  const stringified = (frame: Frame): string => {
    const o: Record<string, number[]> = { ts: Array.from(frame.ts) };
    frame.schema.columns.forEach((c, i) => { o[c.name] = Array.from(frame.values[i]); });
    return JSON.stringify(o);
  };
  const integers = fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.constantFrom(0, -0, 1e8, 1e8 - 1, 1e8 + 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 52 + 1));

  it('writes the same text for any frame, integer columns (the fast path) included', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SCHEMAS).chain((s) => fc.oneof(frameOf(s), frameOf(s, integers))), (frame) => {
        expect(encodeColumnarJson(frame)).toBe(stringified(frame));
        expect(Buffer.concat([...columnarJsonSlices(frame, 7)]).toString('latin1')).toBe(stringified(frame));
      }),
      { numRuns: 200 },
    );
  });

  it('writes integers near 2^53 and around the 10^8 split digit for digit', () => {
    const ts = Float64Array.of(0, -0, 99_999_999, 100_000_000, 100_000_009, 1_704_067_200_000, -1_704_067_200_000, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53 - 2, 2 ** 52 + 1);
    const frame = createFrame(TICK_SCHEMA, ts, [ts, ts]);
    expect(encodeColumnarJson(frame)).toBe(stringified(frame));
  });
});

describe('arrow ipc in record batches', () => {
  const meta = { 'seamless.metadata': '{"rows":1000}' };

  it('reads back as the frame and its metadata, one record batch per batchRows rows', () => {
    const frame = sampleFrame(OHLCV_SCHEMA, 1_000);
    const bytes = Buffer.concat([...arrowIpcChunks(frame, meta, 64)]);
    const table = tableFromIPC(bytes);
    expect(table.batches.length).toBe(16);
    expect(table.schema.metadata.get('seamless.metadata')).toBe('{"rows":1000}');
    const decoded = decodeArrowIpc(bytes).frame;
    expect(decoded.length).toBe(1_000);
    for (const [i, col] of columnsOf(frame).entries()) expect(Array.from(columnsOf(decoded)[i])).toEqual(Array.from(col));
  });

  it('gives exactly the one-shot stream when the frame fits in one batch, empty frames included', () => {
    for (const n of [0, 1, 64]) {
      const frame = sampleFrame(QUOTE_SCHEMA, n);
      expect(Buffer.concat([...arrowIpcChunks(frame, meta, 64)]).equals(Buffer.from(encodeArrowIpc(frame, meta)))).toBe(true);
    }
  });
});

describe('arrow record batches written without apache-arrow\'s writer', () => {
  /** The messages of an IPC stream: each one's decoded metadata and its body bytes. */
  function messagesOf(stream: Uint8Array): { message: Message; body: Buffer }[] {
    const out: { message: Message; body: Buffer }[] = [];
    const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
    let at = 0;
    for (;;) {
      expect(view.getUint32(at, true)).toBe(0xffffffff);
      const length = view.getInt32(at + 4, true);
      if (length === 0) break;
      expect((8 + length) % 8).toBe(0);
      const message = Message.decode(stream.subarray(at + 8, at + 8 + length));
      const bodyLength = Number(message.bodyLength);
      out.push({ message, body: Buffer.from(stream.subarray(at + 8 + length, at + 8 + length + bodyLength)) });
      at += 8 + length + bodyLength;
    }
    expect(at + 8).toBe(stream.byteLength);
    return out;
  }

  /** What apache-arrow's own writer gives for rows [from, to) of `frame`: one batch in a stream. */
  function arrowWriterBatch(frame: Frame, from: number, to: number): { message: Message; body: Buffer } {
    const fields = [new Field('ts', new TimestampMillisecond('UTC'), false), ...frame.schema.columns.map((c) => new Field(c.name, new Float64(), false))];
    const length = to - from;
    const children = [
      makeData({ type: new TimestampMillisecond('UTC'), length, nullCount: 0, data: BigInt64Array.from(frame.ts.subarray(from, to), (t) => BigInt(t)) }),
      ...frame.values.map((v) => makeData({ type: new Float64(), length, nullCount: 0, data: v.subarray(from, to) })),
    ];
    return messagesOf(ipcOf(fields, children, new Map()))[1];
  }

  it('writes each batch with the metadata and the body bytes apache-arrow writes for it', () => {
    fc.assert(
      fc.property(anyFrame, fc.integer({ min: 1, max: 200 }), (frame, batchRows) => {
        const stream = Buffer.concat([...arrowIpcChunks(frame, { k: 'v' }, batchRows)]);
        const [schema, ...batches] = messagesOf(stream);
        expect(schema.message.isSchema()).toBe(true);
        expect(batches.length).toBe(Math.max(1, Math.ceil(frame.length / batchRows)));
        batches.forEach(({ message, body }, b) => {
          const expected = arrowWriterBatch(frame, b * batchRows, Math.min(frame.length, (b + 1) * batchRows));
          expect(message.version).toBe(expected.message.version);
          expect(message.headerType).toBe(expected.message.headerType);
          expect(message.bodyLength).toBe(expected.message.bodyLength);
          const [ours, theirs] = [message.header(), expected.message.header()] as RecordBatchMetadata[];
          expect(ours.length).toBe(theirs.length);
          expect(JSON.stringify(ours.nodes)).toBe(JSON.stringify(theirs.nodes));
          expect(JSON.stringify(ours.buffers)).toBe(JSON.stringify(theirs.buffers));
          expect(ours.compression).toBe(theirs.compression);
          expect(body.equals(expected.body)).toBe(true);
        });
        const reader = RecordBatchReader.from(stream);
        let rows = 0;
        for (const batch of reader) rows += batch.numRows;
        expect(rows).toBe(frame.length);
      }),
      { numRuns: 100 },
    );
  });

  it('hands out the value columns as views of the frame, not copies', () => {
    const frame = sampleFrame(OHLCV_SCHEMA, 100);
    const pieces = [...arrowIpcChunks(frame, {}, 64)];
    for (const col of frame.values) expect(pieces.some((p) => p.buffer === col.buffer)).toBe(true);
  });
});

describe('encoding in slices', () => {
  it('gives exactly the bytes of the one-shot encoders, for any frame and slice size', () => {
    fc.assert(
      fc.property(anyFrame, fc.integer({ min: 1, max: 600 }), fc.boolean(), (frame, slice, header) => {
        expect(Buffer.concat([...columnarJsonSlices(frame, slice)]).equals(Buffer.from(encodeColumnarJson(frame), 'utf8'))).toBe(true);
        expect(Buffer.concat([...csvSlices(frame, slice, { header })]).equals(Buffer.from(encodeCsv(frame, { header }), 'utf8'))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('never formats more than one slice of values at a time', () => {
    const frame = sampleFrame(OHLCV_SCHEMA, 10_000);
    for (const part of columnarJsonSlices(frame, 1_000)) expect(part.toString('latin1').split(',').length).toBeLessThanOrEqual(1_001);
    for (const part of csvSlices(frame, 1_000, { header: false })) expect(part.toString('latin1').split('\n').length - 1).toBeLessThanOrEqual(1_000);
  });
});
