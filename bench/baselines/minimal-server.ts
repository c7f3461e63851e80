/**
 * The hand-written HTTP server a competent engineer would write instead of Seamless: node:http +
 * @duckdb/node-api + apache-arrow over the same DuckDB file (a byte copy of the gateway's: one
 * process opens a file read-write at a time, read-only copies are free), no cache, no checks.
 *
 *   GET /bars?start=<ms>&end=<ms>&format=arrow|json|csv
 *
 * Rows come through the raw baseline read (bench/baselines/raw-duckdb.ts). Arrow: one IPC stream
 * of Float64 columns (ts as epoch-ms doubles); JSON: `{"data":{"ts":[…],…}}`, the gateway's
 * columnar shape, one JSON.stringify per column; CSV: a header and one line per bar, written in
 * 64 KB pieces. Run as a child: node --import tsx bench/baselines/minimal-server.ts <file> <nodeId>
 * <intervalMs>; prints "listening on http://…" then serves until killed.
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { makeTable, tableToIPC } from 'apache-arrow';
import { openRawDuckDb, rawRead } from './raw-duckdb.js';
import type { RawColumns } from './raw-duckdb.js';

const NAMES = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;

function arrow(cols: RawColumns): Uint8Array {
  const table = makeTable({ ts: cols[0], open: cols[1], high: cols[2], low: cols[3], close: cols[4], volume: cols[5] });
  return tableToIPC(table, 'stream');
}

function json(cols: RawColumns): string {
  let s = '{"data":{';
  for (let c = 0; c < NAMES.length; c++) s += `${c === 0 ? '' : ','}"${NAMES[c]}":${JSON.stringify(Array.from(cols[c]))}`;
  return `${s}}}`;
}

function csv(cols: RawColumns, res: ServerResponse): void {
  const [ts, open, high, low, close, volume] = cols;
  let s = 'ts,open,high,low,close,volume\n';
  for (let i = 0; i < ts.length; i++) {
    s += `${ts[i]},${open[i]},${high[i]},${low[i]},${close[i]},${volume[i]}\n`;
    if (s.length > 65_536) {
      res.write(s);
      s = '';
    }
  }
  res.end(s);
}

async function main(): Promise<void> {
  const [file, nodeId, interval] = process.argv.slice(2);
  if (file === undefined || nodeId === undefined || interval === undefined) {
    console.error('usage: minimal-server.ts <duckdb file> <nodeId> <intervalMs>');
    process.exit(2);
  }
  const intervalMs = Number(interval);
  const db = await openRawDuckDb(file);
  const id = await db.datasetId(nodeId, intervalMs);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    const format = url.searchParams.get('format') ?? 'json';
    if (url.pathname !== '/bars' || !Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
      res.writeHead(400).end('start and end (epoch ms, start < end) are required');
      return;
    }
    rawRead(db.conn, id, start, end, Math.ceil((end - start) / intervalMs)).then((cols) => {
      if (format === 'arrow') res.writeHead(200, { 'content-type': 'application/vnd.apache.arrow.stream' }).end(arrow(cols));
      else if (format === 'csv') csv(cols, res.writeHead(200, { 'content-type': 'text/csv' }));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(json(cols));
    }, (error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address !== null && typeof address === 'object') console.log(`listening on http://127.0.0.1:${address.port}`);
  });
  const stop = (): void => {
    server.close();
    db.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
