/**
 * Frame encoders: Arrow IPC and CSV against columnar JSON (what the gateway sends; row-object
 * JSON shown for reference), 100 k rows, Arrow decode, fingerprinting, and the
 * timestamp conversion trick of arrow-ipc.ts. Run: `npx tsx bench/core/encoders.bench.ts`.
 */
import { arrowIpcChunks, columnarJsonSlices, csvSlices, decodeArrowIpc, encodeArrowIpc, encodeColumnarJson, encodeCsv } from '../../src/core/index.js';
import { createHash } from 'node:crypto';
import { fingerprintFrame, fingerprintFrameAsync } from '../../src/core/index.js';
import { createFrame } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import { compare, heading, measure, report } from '../harness.js';
import { randomWalkFrame } from '../fixtures.js';

function ohlcvFrame(n: number): Frame {
  return randomWalkFrame(n);
}

/** The baseline: what a row-object serialiser does. */
function rowObjectsJson(frame: Frame): string {
  const [open, high, low, close, volume] = frame.values;
  const rows = [];
  for (let i = 0; i < frame.length; i++) rows.push({ ts: frame.ts[i], open: open[i], high: high[i], low: low[i], close: close[i], volume: volume[i] });
  return JSON.stringify(rows);
}

/** JSON.stringify over the columns as plain arrays: the columnar JSON text, by V8's own serialiser. */
function stringifiedColumns(frame: Frame): string {
  const o: Record<string, number[]> = { ts: Array.from(frame.ts) };
  frame.schema.columns.forEach((c, i) => { o[c.name] = Array.from(frame.values[i]); });
  return JSON.stringify(o);
}

/** The same frame with a NaN every 1000 rows of `volume`, so that column is copied and fixed. */
function withNaNs(frame: Frame): Frame {
  return createFrame(frame.schema, frame.ts, frame.values.map((v, c) => {
    const copy = Float64Array.from(v);
    if (c === 4) for (let i = 0; i < copy.length; i += 1000) copy[i] = Number.NaN;
    return copy;
  }));
}

const mb = (chars: number): string => `${(chars / 1e6).toFixed(1)} MB`;

{
  const frame = ohlcvFrame(100_000);
  // The baseline is the COLUMNAR JSON the gateway actually sends, not row objects.
  heading('encode 100,000 OHLCV rows (baseline: encodeColumnarJson, what the gateway sends for JSON; interleaved)');
  const [columnar, arrow100k, csv100k, rowJson] = await compare([
    { name: 'encodeColumnarJson', fn: () => encodeColumnarJson(frame) },
    { name: 'encodeArrowIpc', fn: () => encodeArrowIpc(frame, { 'seamless.metadata': '{}' }) },
    { name: 'encodeCsv', fn: () => encodeCsv(frame) },
    { name: 'JSON.stringify(row objects) (for reference)', fn: () => rowObjectsJson(frame) },
  ]);
  report(arrow100k, columnar, { minSpeedup: 10 }, 'encode 100k: Arrow vs columnar JSON');
  report(csv100k, columnar, undefined, 'encode 100k: CSV vs columnar JSON');
  report(columnar, rowJson, undefined, 'encode 100k: columnar JSON vs row-object JSON');
  const bytes = encodeArrowIpc(frame);
  console.log(`  sizes: arrow ${mb(bytes.byteLength)}, columnar json ${mb(encodeColumnarJson(frame).length)}, csv ${mb(encodeCsv(frame).length)}, row json ${mb(rowObjectsJson(frame).length)}`);

  // What the gateway sends: the sliced encoders yield Buffers so the event loop turns between
  // slices; the baseline is the one-shot string plus the UTF-8 copy a socket write makes of it.
  heading('encode 100,000 OHLCV rows to bytes for a reply (baseline: one-shot string → Buffer)');
  const oneShot = await measure('Buffer.from(encodeColumnarJson)', () => Buffer.from(encodeColumnarJson(frame)));
  report(await measure('columnarJsonSlices → Buffer.concat', () => Buffer.concat([...columnarJsonSlices(frame)])), oneShot);
  const oneShotCsv = await measure('Buffer.from(encodeCsv)', () => Buffer.from(encodeCsv(frame)));
  report(await measure('csvSlices → Buffer.concat', () => Buffer.concat([...csvSlices(frame)])), oneShotCsv);

  heading('decode 100,000 OHLCV rows (baseline: JSON.parse of the columnar JSON)');
  const json = encodeColumnarJson(frame);
  report(await measure('decodeArrowIpc', () => decodeArrowIpc(bytes)), await measure('JSON.parse(columnar json)', () => JSON.parse(json) as unknown, { runs: 5 }));
}

{
  const frame = ohlcvFrame(1_000_000);
  const slow = { runs: 5, warmup: 1 };
  // The JSON goal (issue 14): twice the speed of JSON.stringify over the columns as plain arrays,
  // the fastest thing a JS server does without a hand-written number formatter.
  heading('encode 1,000,000 OHLCV rows to bytes (baseline: JSON.stringify of the columns as plain arrays → Buffer; interleaved)');
  const [stringify1m, json1m, jsonSlices1m, csvSlices1m] = await compare([
    { name: 'Buffer.from(JSON.stringify({ts: Array.from(ts), …}))', fn: () => Buffer.from(stringifiedColumns(frame), 'latin1') },
    { name: 'Buffer.from(encodeColumnarJson)', fn: () => Buffer.from(encodeColumnarJson(frame), 'latin1') },
    { name: 'columnarJsonSlices → Buffer.concat', fn: () => Buffer.concat([...columnarJsonSlices(frame)]) },
    { name: 'csvSlices → Buffer.concat', fn: () => Buffer.concat([...csvSlices(frame)]) },
  ], slow);
  report(jsonSlices1m, stringify1m, { minSpeedup: 2 }, 'encode 1M: columnar JSON (slices) vs JSON.stringify');
  report(json1m, stringify1m, undefined, 'encode 1M: columnar JSON (one string) vs JSON.stringify');
  report(csvSlices1m, stringify1m, undefined, 'encode 1M: CSV (slices) vs JSON.stringify');
  console.log(`  columnar JSON ${(1e6 / (jsonSlices1m.medianMs / 1000) / 1e6).toFixed(2)} M rows/s (goal ≥ 1), CSV ${(1e6 / (csvSlices1m.medianMs / 1000) / 1e6).toFixed(2)} M rows/s`);

  heading('encode 1,000,000 OHLCV rows to Arrow (baseline: columnar JSON slices)');
  const arrow = await measure('encodeArrowIpc', () => encodeArrowIpc(frame, { 'seamless.metadata': '{}' }));
  report(arrow, jsonSlices1m);
  report(await measure('arrowIpcChunks → Buffer.concat', () => Buffer.concat([...arrowIpcChunks(frame, { 'seamless.metadata': '{}' })])), arrow);

  heading('decode 1,000,000 OHLCV rows (baseline: encodeArrowIpc of the same frame)');
  const bytes = encodeArrowIpc(frame);
  report(await measure('decodeArrowIpc', () => decodeArrowIpc(bytes)), arrow);

  heading('fingerprint 1,000,000 OHLCV rows (baseline: one SHA-256 over the raw column bytes, no canonicalisation)');
  const raw = await measure('sha256 of the 48 MB of column bytes', () => {
    const h = createHash('sha256');
    for (const col of [frame.ts, ...frame.values]) h.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
    return h.digest('hex');
  });
  report(await measure('fingerprintFrame (main thread)', () => fingerprintFrame(frame)), raw);
  report(await measure('fingerprintFrameAsync (columns on the thread pool)', () => fingerprintFrameAsync(frame)), raw);
  const dirty = withNaNs(frame);
  report(await measure('fingerprintFrame, a NaN column copied and fixed', () => fingerprintFrame(dirty)), raw);

  // The trick in tsToInt64Words: ts doubles to int64 through uint32 words, against BigInt per row.
  heading('ts float64 → int64 for 1,000,000 rows (baseline: BigInt per row)');
  const ts = frame.ts;
  const words = await measure('uint32 word pairs (arrow-ipc.ts)', () => {
    const w = new Uint32Array(ts.length * 2);
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      const hi = Math.floor(t / 4294967296);
      w[2 * i] = t - hi * 4294967296;
      w[2 * i + 1] = hi;
    }
    return new BigInt64Array(w.buffer);
  });
  const bigints = await measure('out[i] = BigInt(t)', () => {
    const out = new BigInt64Array(ts.length);
    for (let i = 0; i < ts.length; i++) out[i] = BigInt(ts[i]);
    return out;
  });
  report(words, bigints);
}
