/**
 * The subscriber side of bench/gateway/stream-fanout-sockets.bench.ts, run as its own process so
 * parsing the frames shares neither the server's event loop nor the feed's. `<url> <clients>`:
 * opens <clients> `ws` clients to <url>; it notes each frame's arrival time and counts its bars on
 * the bytes, and parses the frames once the expected bars are in (so the parsing of 100
 * subscribers sharing one process does not queue later frames behind it and count as their lag);
 * per `bars` message (each element of a `batch` frame) it takes the node, the ts and the volume (the feed puts its send time, epoch ms from performance.timeOrigin + now(), in the
 * volume) and keeps the lag (receive − send, same machine clock). IPC: sends 'ready' once every
 * client got `subscribed` (is open, for the baseline), {received} whenever the total
 * bars received passes a multiple of `every` (the argv's third value); answers 'reset' (forget
 * the figures; acknowledged with 'reset-done') and 'report' ({bars, perClient min/max, lags p50/p99/max, outOfOrder}).
 * Binary frames (`encoding=arrow`): on arrival only the record batches' row counts are read from
 * the flatbuffer headers (`arrowRows`); after the burst each frame is decoded through apache-arrow's
 * `tableFromIPC` (decodeLiveBatchArrow) for node, ts and volume.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { decodeLiveBatchArrow } from '../../src/core/index.js';

const [url, countArg, everyArg] = process.argv.slice(2);
const COUNT = Number(countArg);
const EVERY = Number(everyArg);
const now = (): number => performance.timeOrigin + performance.now();

let lags: number[] = [];
let perClient = new Array<number>(COUNT).fill(0);
let total = 0;
let outOfOrder = 0;
let ready = 0;
const lastTs = Array.from({ length: COUNT }, () => new Map<string, number>());

/** The value after `key` at or after `from`: up to the closing quote (strings) or bracket (one-element arrays). */
function field(text: string, key: string, from: number): string {
  const at = text.indexOf(key, from);
  if (at < 0) return '';
  const start = at + key.length;
  return text.slice(start, text.indexOf(key.startsWith('"node"') ? '"' : ']', start));
}

const BARS = '{"type":"bars"';
const BARS_BYTES = Buffer.from(BARS);

/** Frames received and not yet parsed: the receive time is taken on arrival, the parsing waits. */
let unparsed: { readonly client: number; readonly at: number; readonly data: Buffer; readonly binary: boolean }[] = [];

const HEADER_RECORD_BATCH = 3;

/**
 * Rows of the record batches of an Arrow IPC stream, read from each message's flatbuffer (root
 * table `Message`: field 1 header_type, 2 header, 3 bodyLength; `RecordBatch` field 0 length)
 * without decoding anything else: what a client needs to count bars on arrival.
 */
function arrowRows(b: Buffer): number {
  let rows = 0;
  let at = 0;
  while (at + 4 <= b.length) {
    let length = b.readInt32LE(at);
    if (length === -1) { length = b.readInt32LE(at + 4); at += 8; } else at += 4;
    if (length === 0) break;
    const table = at + b.readUInt32LE(at);
    const vtable = table - b.readInt32LE(table);
    const vtableSize = b.readUInt16LE(vtable);
    const field = (i: number): number => (4 + 2 * i < vtableSize ? b.readUInt16LE(vtable + 4 + 2 * i) : 0);
    const headerType = field(1) === 0 ? 0 : b.readUInt8(table + field(1));
    const bodyLength = field(3) === 0 ? 0 : Number(b.readBigInt64LE(table + field(3)));
    if (headerType === HEADER_RECORD_BATCH) {
      const header = table + field(2) + b.readUInt32LE(table + field(2));
      const hv = header - b.readInt32LE(header);
      const lengthAt = b.readUInt16LE(hv) > 4 ? b.readUInt16LE(hv + 4) : 0;
      if (lengthAt !== 0) rows += Number(b.readBigInt64LE(header + lengthAt));
    }
    at += length + bodyLength;
  }
  return rows;
}

/** Bars in a frame, counted on the bytes (no decoding). */
function countBars(data: Buffer): number {
  let n = 0;
  for (let at = data.indexOf(BARS_BYTES); at >= 0; at = data.indexOf(BARS_BYTES, at + BARS_BYTES.length)) n++;
  return n;
}

/** Takes node, ts and send time of every bar of the frames received so far, and their lags. */
function parseReceived(): void {
  for (const { client: c, at: received, data, binary } of unparsed) {
    if (binary) {
      const b = decodeLiveBatchArrow(data);
      const volume = b.values[b.schema.columns.findIndex((col) => col.name === 'volume')];
      for (let i = 0; i < b.ts.length; i++) {
        const node = b.nodes[b.nodeIndex[i]];
        const previous = lastTs[c].get(node);
        if (previous !== undefined && b.ts[i] <= previous) outOfOrder++;
        lastTs[c].set(node, b.ts[i]);
        lags.push(received - volume[i]);
      }
      continue;
    }
    const text = data.toString('utf8');
    for (let at = text.indexOf(BARS); at >= 0; at = text.indexOf(BARS, at + BARS.length)) {
      const node = field(text, '"node":"', at);
      const ts = Number(field(text, '"ts":[', at));
      const sent = Number(field(text, '"volume":[', at));
      const previous = lastTs[c].get(node);
      if (previous !== undefined && ts <= previous) outOfOrder++;
      lastTs[c].set(node, ts);
      lags.push(received - sent);
    }
  }
  unparsed = [];
}

for (let c = 0; c < COUNT; c++) {
  const ws = new WebSocket(url, ['seamless.v1']);
  // Seamless: ready on `subscribed` (the subscription is registered); the baseline: on open.
  let first = true;
  const onFirst = (): void => {
    if (!first) return;
    first = false;
    if (++ready === COUNT) process.send?.('ready');
  };
  if (!url.includes('/v1/stream')) ws.on('open', onFirst);
  ws.on('message', (raw: Buffer, binary: boolean) => {
    const received = now();
    onFirst();
    // Every bars message of the frame (one, or the elements of a batch; the rows of an Arrow batch), parsed once the burst is in.
    const bars = binary ? arrowRows(raw) : countBars(raw);
    if (bars === 0) return;
    unparsed.push({ client: c, at: received, data: raw, binary });
    perClient[c] += bars;
    const before = total;
    total += bars;
    if (Math.floor(total / EVERY) > Math.floor(before / EVERY)) {
      parseReceived();
      process.send?.({ received: total });
    }
  });
  ws.on('error', (error) => {
    console.error(`client ${c}: ${error.message}`);
    process.exitCode = 1;
  });
}

process.on('message', (m) => {
  if (m === 'reset') {
    parseReceived();
    lags = [];
    perClient = new Array<number>(COUNT).fill(0);
    outOfOrder = 0;
    process.send?.('reset-done');
    return;
  }
  if (m === 'report') {
    parseReceived();
    const sorted = Float64Array.from(lags).sort();
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
    process.send?.({ bars: lags.length, minPerClient: Math.min(...perClient), maxPerClient: Math.max(...perClient), p50: at(50), p99: at(99), max: sorted[sorted.length - 1], outOfOrder });
  }
});
