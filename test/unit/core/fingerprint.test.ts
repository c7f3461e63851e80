import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { until } from '../../helpers/until.js';
import { fingerprintFrame, fingerprintFrameAsync } from '../../../src/core/index.js';
import { OHLCV_SCHEMA, QUOTE_SCHEMA, TICK_SCHEMA } from '../../../src/core/index.js';
import type { FrameSchema } from '../../../src/core/index.js';
import { createFrame, emptyFrame } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';

const SCHEMAS = [OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA] as const;

function frameOf(schema: FrameSchema, maxRows = 300): fc.Arbitrary<Frame> {
  return fc.integer({ min: 0, max: maxRows }).chain((n) =>
    fc.array(fc.array(fc.double(), { minLength: n, maxLength: n }), { minLength: schema.columns.length + 1, maxLength: schema.columns.length + 1 })
      .map((cols) => createFrame(schema, Float64Array.from(cols[0]), cols.slice(1).map((c) => Float64Array.from(c)))),
  );
}
const anyFrame = fc.constantFrom(...SCHEMAS).chain((s) => frameOf(s));

function copyFrame(frame: Frame, schema: FrameSchema = frame.schema): Frame {
  return createFrame(schema, Float64Array.from(frame.ts), frame.values.map((v) => Float64Array.from(v)));
}

/** The documented encoding, written the slow obvious way (DataView, little-endian). */
function referenceFingerprint(frame: Frame): string {
  const header = [frame.schema.name, 'ts', ...frame.schema.columns.map((c) => c.name)].join(',') + '\n';
  const top = createHash('sha256').update(header, 'utf8');
  for (const col of [frame.ts, ...frame.values]) {
    const body = new DataView(new ArrayBuffer(col.length * 8));
    col.forEach((x, i) => {
      if (Number.isNaN(x)) body.setBigUint64(i * 8, 0x7ff8000000000000n, true);
      else body.setFloat64(i * 8, x === 0 ? 0 : x, true);
    });
    top.update(createHash('sha256').update(new Uint8Array(body.buffer)).digest());
  }
  return 'sha256:' + top.digest('hex');
}

/** A NaN with a chosen sign and payload, written through the bits. */
function nanWithPayload(sign: number, payload: number): number {
  const words = new Uint32Array(2);
  words[0] = payload;
  words[1] = (sign ? 0x80000000 : 0) | 0x7ff00000 | 0x00080000 | (payload & 0x7ffff);
  return new Float64Array(words.buffer)[0];
}

describe('frame fingerprint', () => {
  it('is sha256 of the documented canonical encoding', () => {
    fc.assert(fc.property(anyFrame, (frame) => fingerprintFrame(frame) === referenceFingerprint(frame)), { numRuns: 150 });
  });

  it('hashes an empty OHLCV frame as its header line and six digests of nothing', () => {
    const empty = createHash('sha256').update('').digest();
    const top = createHash('sha256').update('ohlcv,ts,open,high,low,close,volume\n');
    for (let i = 0; i < 6; i++) top.update(empty);
    expect(fingerprintFrame(emptyFrame(OHLCV_SCHEMA))).toBe(`sha256:${top.digest('hex')}`);
  });

  it('gives the same fingerprint in slices between event-loop turns as in one call', async () => {
    const n = 600_000;
    const ts = new Float64Array(n);
    const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      ts[i] = i * 60_000;
      values.forEach((v, c) => { v[i] = Math.sin(i + c); });
    }
    values[2][123] = Number.NaN;
    values[3][456] = -0;
    values[4][300_000] = -Number.NaN;
    values[0][599_999] = -0;
    const frame = createFrame(OHLCV_SCHEMA, ts, values);
    expect(await fingerprintFrameAsync(frame)).toBe(fingerprintFrame(frame));
    expect(await fingerprintFrameAsync(frame)).toBe(referenceFingerprint(frame));
    await fc.assert(fc.asyncProperty(anyFrame, async (f) => (await fingerprintFrameAsync(f)) === fingerprintFrame(f)), { numRuns: 30 });
  });

  it('fingerprints a large frame while every thread of libuv\'s pool (where DuckDB queries run) is busy', async () => {
    const n = 600_000;
    const ts = new Float64Array(n);
    const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(n));
    for (let i = 0; i < n; i++) ts[i] = i * 60_000;
    const frame = createFrame(OHLCV_SCHEMA, ts, values);
    // Each open of a FIFO for reading holds one pool thread, without using CPU, until a writer opens it.
    const dir = await mkdtemp(join(tmpdir(), 'seamless-fp-pool-'));
    const fifos = Array.from({ length: Number(process.env.UV_THREADPOOL_SIZE ?? 4) }, (_, i) => join(dir, `fifo-${i}`));
    for (const f of fifos) execFileSync('mkfifo', [f]);
    const readers = fifos.map((f) => open(f, 'r'));
    try {
      let fp: string | undefined;
      void fingerprintFrameAsync(frame).then((v) => { fp = v; });
      await until(() => fp !== undefined, 'the fingerprint while the pool is busy');
      expect(fp).toBe(fingerprintFrame(frame));
    } finally {
      for (const f of fifos) closeSync(openSync(f, 'w'));
      for (const r of readers) await (await r).close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is stable: the same values in fresh buffers give the same fingerprint', () => {
    fc.assert(fc.property(anyFrame, (frame) => fingerprintFrame(frame) === fingerprintFrame(frame) && fingerprintFrame(frame) === fingerprintFrame(copyFrame(frame))));
  });

  it('changes when any single value changes', () => {
    const arb = fc.constantFrom(...SCHEMAS).chain((s) => frameOf(s, 50).filter((f) => f.length > 0)).chain((frame) =>
      fc.tuple(fc.constant(frame), fc.nat({ max: frame.values.length }), fc.nat({ max: frame.length - 1 }), fc.double()));
    fc.assert(
      fc.property(arb, ([frame, c, i, replacement]) => {
        const copy = copyFrame(frame);
        const col = c === 0 ? copy.ts : copy.values[c - 1];
        const before = col[i];
        const equivalent = (Number.isNaN(before) && Number.isNaN(replacement)) || before === replacement; // 0 === -0
        fc.pre(!equivalent);
        col[i] = replacement;
        return fingerprintFrame(copy) !== fingerprintFrame(frame);
      }),
      { numRuns: 200 },
    );
  });

  it('depends on the schema name and on the column order', () => {
    fc.assert(
      fc.property(frameOf(TICK_SCHEMA), (frame) => {
        const renamed: FrameSchema = { name: 'trade', columns: TICK_SCHEMA.columns };
        const swapped: FrameSchema = { name: 'tick', columns: [TICK_SCHEMA.columns[1], TICK_SCHEMA.columns[0]] };
        const fp = fingerprintFrame(frame);
        return fp !== fingerprintFrame(copyFrame(frame, renamed)) && fp !== fingerprintFrame(copyFrame(frame, swapped));
      }),
    );
  });

  it('ignores NaN payload bits and the sign of zero', () => {
    fc.assert(
      fc.property(anyFrame.filter((f) => f.length > 0), fc.nat(), fc.boolean(), (frame, payload, sign) => {
        const a = copyFrame(frame);
        const b = copyFrame(frame);
        for (const [x, y] of [[a.ts, b.ts], ...a.values.map((v, c) => [v, b.values[c]])]) {
          for (let i = 0; i < x.length; i++) {
            if (Number.isNaN(x[i])) y[i] = nanWithPayload(sign ? 1 : 0, payload);
            if (x[i] === 0) { x[i] = 0; y[i] = -0; }
          }
        }
        return fingerprintFrame(a) === fingerprintFrame(b);
      }),
    );
  });

  it('canonicalises NaN and -0 in frames longer than one hashing chunk, without touching the frame', () => {
    const n = 200_003;
    const ts = new Float64Array(n);
    const price = new Float64Array(n);
    const size = new Float64Array(n);
    for (let i = 0; i < n; i++) { ts[i] = i * 1000; price[i] = 1 + i / 7; size[i] = i % 3; }
    price[70_000] = nanWithPayload(1, 12345);
    size[199_999] = -0;
    const frame = createFrame(TICK_SCHEMA, ts, [price, size]);
    const clean = copyFrame(frame);
    clean.values[0][70_000] = Number.NaN;
    clean.values[1][199_999] = 0;
    expect(fingerprintFrame(frame)).toBe(fingerprintFrame(clean));
    expect(fingerprintFrame(frame)).toBe(referenceFingerprint(frame));
    expect(Object.is(size[199_999], -0)).toBe(true);
    expect(new Uint32Array(price.buffer, 70_000 * 8, 2)[0]).toBe(12345);
  });

  it('hashes a sliced frame like a copy of the same rows', () => {
    fc.assert(
      fc.property(anyFrame, fc.nat(), fc.nat(), (frame, a, b) => {
        const from = frame.length === 0 ? 0 : a % frame.length;
        const slice = frame.slice(from, from + (b % 40));
        return fingerprintFrame(slice) === fingerprintFrame(copyFrame(slice));
      }),
    );
  });
});
