/**
 * Bar reads on PostgreSQL: one `COPY (SELECT …) TO STDOUT (FORMAT binary)` per read, its chunks
 * decoded straight into Float64Arrays (binary-copy-decoder.ts): no row objects, no text. Row
 * mode would build one JS object per row (~3 s per million rows against ~1 s for binary COPY,
 * see ../shared/design/DEPENDENCIES.md and bench/storage/postgres-read.bench.ts).
 */
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { InternalError, createFrame } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type { BarTable } from '../../storage/index.js';
import { createBinaryCopyDecoder } from './binary-copy-decoder.js';
import type { CopyColumnType } from './binary-copy-decoder.js';

/**
 * Rows allocated before the first chunk; the arrays double from here up to the range's grid
 * bound (rows are unique and aligned, so a range holds at most (end - start) / interval).
 */
const INITIAL_ROWS = 65_536;

export interface BarCopyStatement {
  readonly table: BarTable;
  readonly types: readonly CopyColumnType[];
  /** The COPY text up to the WHERE values, built once per schema. */
  readonly prefix: string;
  readonly suffix: string;
}

export function barCopyStatement(t: BarTable): BarCopyStatement {
  const values = t.columns.map((c) => `"${c}"`).join(', ');
  const types: CopyColumnType[] = ['int8'];
  for (let c = 0; c < t.columns.length; c++) types.push('float8');
  return Object.freeze({
    table: t,
    types,
    prefix: `COPY (SELECT ts, ${values} FROM ${t.table} WHERE dataset_id = `,
    suffix: ' ORDER BY ts) TO STDOUT (FORMAT binary)',
  });
}

/** An integer for the SQL text; COPY takes no bind parameters, so only validated integers go in. */
function literal(n: number): string {
  if (!Number.isSafeInteger(n)) throw new InternalError(`refusing to inline ${String(n)} into COPY text`);
  return String(n);
}

/**
 * Rows of `datasetId` with start <= ts < end, ascending. `broken` marks the connection for
 * destruction when a decode error leaves the COPY unfinished on it.
 */
export async function readBars(
  client: PoolClient, statement: BarCopyStatement, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange,
  broken: () => void,
): Promise<Frame> {
  const gridBound = Math.ceil((range.end - range.start) / intervalMs);
  const decoder = createBinaryCopyDecoder(statement.types, { initialRows: Math.min(gridBound, INITIAL_ROWS), maxRows: gridBound });
  const sql = `${statement.prefix}${literal(datasetId)} AND ts >= ${literal(range.start)} AND ts < ${literal(range.end)}${statement.suffix}`;
  const stream = client.query(copyTo(sql));
  try {
    for await (const chunk of stream) decoder.push(chunk as Buffer);
  } catch (err) {
    // A driver error ended the COPY properly; our own (decode) error left it running.
    if (err instanceof InternalError) broken();
    throw err;
  }
  const { columns } = decoder.finish();
  return createFrame(schema, columns[0], columns.slice(1));
}
