/**
 * The PostgreSQL binary COPY codec: the decoder against buffers this test encodes itself (with
 * Node's Buffer writers and BigInt, independently of src/), split into chunks at arbitrary
 * offsets; and the engine's encoder round-tripped through the decoder.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InternalError } from '../../../../src/core/index.js';
import { createBinaryCopyDecoder } from '../../../../src/engines/postgres/internal.js';
import type { CopyColumnType } from '../../../../src/engines/postgres/internal.js';
import { encodeBinaryCopy } from '../../../../src/engines/postgres/internal.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A field value, or null for SQL NULL. */
type Field = number | null;

function encode(types: readonly CopyColumnType[], rows: readonly (readonly Field[])[], extension: Uint8Array = new Uint8Array(0)): Buffer {
  const parts: Buffer[] = [SIGNATURE];
  const head = Buffer.alloc(8);
  head.writeInt32BE(0, 0);
  head.writeInt32BE(extension.length, 4);
  parts.push(head, Buffer.from(extension));
  for (const row of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(row.length);
    parts.push(count);
    row.forEach((v, c) => {
      if (v === null) {
        const len = Buffer.alloc(4);
        len.writeInt32BE(-1);
        parts.push(len);
        return;
      }
      const field = Buffer.alloc(12);
      field.writeInt32BE(8, 0);
      if (types[c] === 'int8') field.writeBigInt64BE(BigInt(v), 4);
      else field.writeDoubleBE(v, 4);
      parts.push(field);
    });
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  parts.push(trailer);
  return Buffer.concat(parts);
}

/** `bytes` cut at the given offsets (sorted, deduplicated, inside the buffer). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

function decode(types: readonly CopyColumnType[], chunks: readonly Uint8Array[], options: { initialRows?: number; maxRows?: number } = {}) {
  const decoder = createBinaryCopyDecoder(types, options);
  for (const chunk of chunks) decoder.push(chunk);
  return decoder.finish();
}

/** Column c of the decoded result equals the rows' field c (NULL as NaN, -0 kept), compared with Object.is. */
function sameColumns(columns: readonly Float64Array[], rows: readonly (readonly Field[])[]): boolean {
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < columns.length; c++) {
      const expected = rows[r][c] ?? Number.NaN;
      if (!Object.is(columns[c][r], expected)) return false;
    }
  }
  return true;
}

const typesArb = fc.array(fc.constantFrom<CopyColumnType>('int8', 'float8'), { minLength: 1, maxLength: 6 });
const fieldArb = (t: CopyColumnType): fc.Arbitrary<Field> => fc.option(
  t === 'int8' ? fc.maxSafeInteger() : fc.double(),
  { nil: null, freq: 8 },
);
const tableArb = typesArb.chain((types) => fc.record({
  types: fc.constant(types),
  rows: fc.array(fc.tuple(...types.map(fieldArb)), { maxLength: 60 }),
  extension: fc.uint8Array({ maxLength: 12 }),
  cuts: fc.array(fc.nat(), { maxLength: 40 }),
  initialRows: fc.integer({ min: 1, max: 70 }),
}));

describe('binary COPY decoder', () => {
  it('decodes every row exactly wherever the chunk boundaries fall', () => {
    fc.assert(fc.property(tableArb, ({ types, rows, extension, cuts, initialRows }) => {
      const bytes = encode(types, rows, extension);
      const { columns, rows: n } = decode(types, split(bytes, cuts), { initialRows });
      expect(n).toBe(rows.length);
      expect(columns.length).toBe(types.length);
      for (const col of columns) expect(col.length).toBe(rows.length);
      expect(sameColumns(columns, rows)).toBe(true);
    }), { numRuns: 300 });
  });

  it('decodes a stream fed one byte at a time', () => {
    const types: CopyColumnType[] = ['int8', 'float8', 'float8'];
    const rows: Field[][] = [
      [-(2 ** 53) + 1, -0, Number.NaN], [0, null, Number.POSITIVE_INFINITY], [2 ** 53 - 1, 5e-324, -1.5], [1_700_000_000_000, 1e308, null],
    ];
    const bytes = encode(types, rows, new Uint8Array([1, 2, 3]));
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    const { columns } = decode(types, chunks);
    expect(sameColumns(columns, rows)).toBe(true);
  });

  it('round-trips what the engine encodes, split anywhere', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 5 }),
      (rows, rowsPerChunk, cuts, width) => {
        const types: CopyColumnType[] = ['int8', ...Array.from({ length: width }, (): CopyColumnType => 'float8')];
        const columns = types.map((t, c) => Float64Array.from({ length: rows }, (_, r) => (t === 'int8' ? (r - 150) * 4_294_967_311 : Math.sin(r + c) * 10 ** (c % 5 * 60))));
        if (rows > 3) columns[1][3] = Number.NaN;
        const bytes = Buffer.concat([...encodeBinaryCopy(columns, types, rows, rowsPerChunk)]);
        const decoded = decode(types, split(bytes, cuts));
        expect(decoded.rows).toBe(rows);
        for (let c = 0; c < types.length; c++) {
          for (let r = 0; r < rows; r++) expect(Object.is(decoded.columns[c][r], columns[c][r])).toBe(true);
        }
      },
    ), { numRuns: 100 });
  });

  it('refuses a stream without the PGCOPY signature', () => {
    const bytes = encode(['float8'], [[1]]);
    bytes[0] = 0x51;
    expect(() => decode(['float8'], [bytes])).toThrow(InternalError);
    expect(() => decode(['float8'], [bytes.subarray(0, 3)])).toThrow(/signature/);
  });

  it('refuses a tuple with another number of fields', () => {
    expect(() => decode(['int8', 'float8'], [encode(['int8'], [[1]])])).toThrow(/1 fields, expected 2/);
  });

  it('refuses a stream that ends without its trailer, or with bytes after it', () => {
    const bytes = encode(['float8'], [[1], [2]]);
    expect(() => decode(['float8'], [bytes.subarray(0, bytes.length - 2)])).toThrow(/without its trailer/);
    expect(() => decode(['float8'], [bytes.subarray(0, 10)])).toThrow(/inside the header/);
    expect(() => decode(['float8'], [Buffer.concat([bytes, Buffer.from([0])])])).toThrow(/after the trailer/);
  });

  it('refuses an int8 outside ±2^53 and a field that is not 8 bytes', () => {
    expect(() => decode(['int8'], [encode(['int8'], [[2 ** 53 + 2]])])).toThrow(/outside/);
    const bytes = encode(['float8'], [[1]]);
    bytes.writeInt32BE(4, 21);
    expect(() => decode(['float8'], [bytes])).toThrow(/4 bytes, expected 8/);
  });

  it('refuses more rows than maxRows and trims its arrays to the rows read', () => {
    expect(() => decode(['float8'], [encode(['float8'], [[1], [2], [3]])], { initialRows: 1, maxRows: 2 })).toThrow(/more than the 2 rows/);
    const { columns } = decode(['float8'], [encode(['float8'], [[1], [2], [3]])], { initialRows: 16 });
    expect(columns[0].length).toBe(3);
    expect(columns[0].buffer.byteLength).toBe(24);
  });
});
