/**
 * Snapshot export of 1,000,000 one-minute OHLCV bars to Parquet: `snapshots.exportTo` (the
 * snapshot's columnar blob read from the embedded DuckDB file and decoded, appended to an
 * in-memory DuckDB in 2,048-row chunks, `COPY … TO … (FORMAT PARQUET)`, then manifest.json)
 * against DuckDB's own `COPY … TO … (FORMAT PARQUET)` of the same rows already in a DuckDB table —
 * the floor: what the blob read and the copy into DuckDB add. Also in rows/s. Measured on the
 * shared 2-core test machine: ~1.4–2.0 s against ~0.36–0.46 s (about 4.3×, ~500,000 rows/s).
 * Variants run interleaved. Run: node --expose-gc --import tsx bench/storage/snapshot-export.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOUBLE, DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import { InternalError, fingerprintFrame, systemClock } from '../../src/core/index.js';
import { createEmbeddedDatabase } from '../../src/engines/duckdb/internal.js';
import { createParquetFrames } from '../../src/engines/duckdb/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSnapshots } from '../../src/provider/index.js';
import { compare, heading, record, report } from '../harness.js';
import { waveBarsFrame } from '../fixtures.js';

const ROWS = 1_000_000;
const MIN = 60_000;
const COLUMNS = ['open', 'high', 'low', 'close', 'volume'];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-snapshot-'));
  const db = await createEmbeddedDatabase({ path: join(dir, 'bench.duckdb') });
  const raw = await DuckDBInstance.create(':memory:');
  const conn = await raw.connect();
  try {
    const frame = waveBarsFrame(ROWS, MIN);
    const fingerprint = fingerprintFrame(frame);
    await db.snapshots.create({
      format: 'seamless-snapshot/1', name: 'bench', createdAt: 0, createdBy: 'bench', interval: '1m', intervalMs: MIN,
      start: frame.ts[0], end: frame.ts[ROWS - 1] + MIN, strategy: 'fail_fast', fingerprint,
      datasets: [{ nodeId: 'ohlcv:bench:BTC', interval: '1m', intervalMs: MIN, schema: 'ohlcv', rows: ROWS, fingerprint, columnHashes: {},
        coverage: { ratio: 1, bounds: null, missingRanges: [] }, conformanceReportUri: null, versions: { source: 'coverage_write_times', entries: [] } }],
    }, [{ nodeId: 'ohlcv:bench:BTC', intervalMs: MIN, frame }]);
    const snapshots = createSnapshots({
      store: db.snapshots, bars: db.bars, clock: systemClock, logger: silentLogger(), files: createParquetFrames(),
      fetch: () => Promise.reject(new InternalError('the export bench reads no live data')),
    });

    // The baseline's rows: the same frame in a native DuckDB table.
    await conn.run(`CREATE TABLE bars (ts DOUBLE, ${COLUMNS.map((c) => `${c} DOUBLE`).join(', ')})`);
    const appender = await conn.createAppender('bars');
    const columns = [frame.ts, ...frame.values];
    for (let from = 0; from < ROWS; from += 2048) {
      const n = Math.min(2048, ROWS - from);
      const chunk = DuckDBDataChunk.create(new Array(6).fill(DOUBLE), n);
      chunk.setColumns(columns.map((col) => Array.from(col.subarray(from, from + n))));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();

    let run = 0;
    heading(`snapshot export of ${ROWS.toLocaleString('en')} one-minute bars to Parquet (interleaved)`);
    const [exported, copy] = await compare([
      { name: 'snapshots.exportTo (blob → DuckDB COPY, manifest)', fn: () => snapshots.exportTo('bench', join(dir, `export-${run++}`)) },
      { name: 'raw: COPY (SELECT … FROM bars ORDER BY ts) TO PARQUET', fn: () => conn.run(`COPY (SELECT CAST(ts AS BIGINT) AS ts, ${COLUMNS.join(', ')} FROM bars ORDER BY ts) TO '${join(dir, `raw-${run++}.parquet`)}' (FORMAT PARQUET)`) },
    ], { runs: 5, warmup: 1 });
    report(exported, copy, undefined, 'snapshot export (1M bars) vs DuckDB COPY TO PARQUET');
    record('snapshot export throughput (1M bars)', ROWS / (exported.medianMs / 1000), 'rows/s', { baseline: ROWS / (copy.medianMs / 1000) });
  } finally {
    conn.closeSync();
    raw.closeSync();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
