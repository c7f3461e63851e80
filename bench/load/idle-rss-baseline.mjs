/**
 * The idle-memory baseline of bench/load/idle-rss.bench.ts: the smallest honest server over the
 * same data, a `node:http` server with `@duckdb/node-api` opening the gateway's DuckDB file and
 * answering `GET /bars?dataset=<id>&start=<ms>&end=<ms>` as JSON from one query. Plain
 * JavaScript run by node directly (no transpiler), as a hand-written server would be.
 *
 *   node bench/load/idle-rss-baseline.mjs <path/to/seamless.duckdb>
 *
 * Prints `listening on http://127.0.0.1:<port>` once it serves.
 */
import { createServer } from 'node:http';
import { DuckDBInstance } from '@duckdb/node-api';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: idle-rss-baseline.mjs <duckdb file>\n');
  process.exit(2);
}
const instance = await DuckDBInstance.create(path);
const conn = await instance.connect();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const dataset = Number(url.searchParams.get('dataset'));
  const start = Number(url.searchParams.get('start'));
  const end = Number(url.searchParams.get('end'));
  conn.runAndReadAll(
    'SELECT ts, open, high, low, close, volume FROM bars_ohlcv WHERE dataset_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts',
    [dataset, start, end],
  ).then((reader) => {
    const body = JSON.stringify(reader.getRowObjectsJson());
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  }, (err) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  conn.closeSync();
  instance.closeSync();
});
