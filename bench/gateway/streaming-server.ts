/**
 * The server side of bench/gateway/streaming.bench.ts, run as its own process so its RSS is the
 * server's alone. `seamless <dir> <cache:on|off>`: a gateway (as bench/gateway/bars-formats.bench.ts
 * builds it) over `<dir>/seamless.duckdb`. `minimal <dir>`: the baseline, a minimal node:http +
 * @duckdb/node-api + apache-arrow server over the same file (Arrow only, public APIs only: a
 * `getItem` loop per chunk into typed arrays, one record batch per DuckDB chunk run, tableToIPC).
 * Prints `url <url>` on stdout when listening.
 */
import { createServer } from 'node:http';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Field, Float64, RecordBatch, Schema, Struct, Table, TimestampMillisecond, makeData, tableToIPC } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import { serveGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';

const [mode, dir, cache] = process.argv.slice(2);

async function seamless(): Promise<void> {
  const app = await createSeamless({
    overrides: { dataDir: dir, cache: { enabled: cache === 'on' }, seamless: { backfill: { barsPerShard: 50_000 } } },
    env: {},
    logger: silentLogger(),
  });
  const gateway = await serveGateway({ seamless: app, host: '127.0.0.1', port: 0 });
  console.log(`url ${gateway.url}`);
}

async function minimal(): Promise<void> {
  const db = await DuckDBInstance.create(join(dir, 'seamless.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  const server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    void (async () => {
      const result = await conn.run(
        'SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars_ohlcv b JOIN datasets d ON d.id = b.dataset_id ' +
          'WHERE d.node_id = $1 AND d.interval_ms = $2 AND b.ts >= $3 AND b.ts < $4 ORDER BY b.ts',
        [q.get('node') ?? '', Number(q.get('interval_ms')), Number(q.get('start')), Number(q.get('end'))],
      );
      const chunks = [];
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        chunks.push(chunk);
      }
      let rows = 0;
      for (const c of chunks) rows += c.rowCount;
      const ts = new BigInt64Array(rows);
      const cols = [1, 2, 3, 4, 5].map(() => new Float64Array(rows));
      let at = 0;
      for (const chunk of chunks) {
        const n = chunk.rowCount;
        const tv = chunk.getColumnVector(0);
        for (let i = 0; i < n; i++) ts[at + i] = tv.getItem(i) as bigint;
        for (let c = 0; c < 5; c++) {
          const v = chunk.getColumnVector(c + 1);
          const out = cols[c];
          for (let i = 0; i < n; i++) out[at + i] = v.getItem(i) as number;
        }
        at += n;
      }
      const tsType = new TimestampMillisecond('UTC');
      const fields = [new Field('ts', tsType, false), ...['open', 'high', 'low', 'close', 'volume'].map((n) => new Field(n, new Float64(), false))];
      const children: Data[] = [makeData({ type: tsType, length: rows, nullCount: 0, data: ts })];
      for (const c of cols) children.push(makeData({ type: new Float64(), length: rows, nullCount: 0, data: c }));
      const schema = new Schema(fields);
      const body = tableToIPC(new Table(schema, new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }))), 'stream');
      res.writeHead(200, { 'content-type': 'application/vnd.apache.arrow.stream', 'content-length': body.byteLength });
      res.end(body);
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') console.log(`url http://127.0.0.1:${addr.port}`);
  });
}

await (mode === 'minimal' ? minimal() : seamless());
