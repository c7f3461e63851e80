/**
 * File import speed: one year of 1m OHLCV bars (525 600 rows) written as CSV (epoch ms and
 * ISO-8601 timestamps) and as Parquet, imported into a store that discards the write, so the
 * figure is parse + validate + sort only. Printed in rows per second.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { InternalError, OHLCV_SCHEMA, emptyFrame } from '../../src/core/index.js';
import type { BarStore } from '../../src/storage/index.js';
import { createSyntheticSource, importFile } from '../../src/sources/index.js';
import { formatMs, heading, measure } from '../harness.js';

const MINUTE = 60_000;
const START = 1_704_067_200_000;
const ROWS = 525_600;

const discard: BarStore = {
  engine: 'discard',
  read: async (_d, schema) => emptyFrame(schema),
  coverage: async () => [],
  write: async (batch) => ({ rowsWritten: batch.frame.length, coverageWritten: batch.coverage }),
  advanceFence: async () => {},
  markFailed: async () => {},
  purge: async () => { throw new InternalError('the discarding bench store keeps nothing to purge'); },
  repairAudit: async () => [],
  datasets: async () => [],
  coverageSummary: async () => [],
  datedCoverage: async () => [],
  ping: async () => {},
  close: async () => {},
};

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-import-bench-'));
  try {
    const { frame } = await createSyntheticSource({}).fetch({ nodeId: 'bench', intervalMs: MINUTE, range: { start: START, end: START + ROWS * MINUTE } });
    const [o, h, l, c, v] = frame.values;
    const epochLines: string[] = ['ts,open,high,low,close,volume'];
    const isoLines: string[] = ['ts,open,high,low,close,volume'];
    for (let i = 0; i < frame.length; i++) {
      const rest = `${o[i]},${h[i]},${l[i]},${c[i]},${v[i]}`;
      epochLines.push(`${frame.ts[i]},${rest}`);
      isoLines.push(`${new Date(frame.ts[i]).toISOString()},${rest}`);
    }
    const epochCsv = join(dir, 'epoch.csv');
    const isoCsv = join(dir, 'iso.csv');
    await writeFile(epochCsv, epochLines.join('\n'));
    await writeFile(isoCsv, isoLines.join('\n'));
    const pq = join(dir, 'bars.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT * FROM read_csv('${epochCsv}')) TO '${pq}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();

    heading(`sources/file-import: ${ROWS} rows (one year of 1m bars)`);
    const dataset = { nodeId: 'bench', intervalMs: MINUTE };
    for (const [name, path] of [['CSV, epoch ms', epochCsv], ['CSV, ISO-8601', isoCsv], ['Parquet', pq]] as const) {
      const sample = await measure(name, () => importFile({ path, dataset, schema: OHLCV_SCHEMA, store: discard }), { runs: 3, warmup: 1 });
      console.log(`  ${name.padEnd(28)} ${formatMs(sample.medianMs).padStart(10)}  ${(ROWS / (sample.medianMs / 1000) / 1e6).toFixed(2)} M rows/s`);
    }
  } finally {
    await rm(dir, { recursive: true });
  }
}

await main();
