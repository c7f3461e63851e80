/**
 * Universe reads on PostgreSQL (`BarStore.readMany`, `coverageMany`): one statement resolves every
 * dataset's id and schema (node ids are bound as an array, never put in SQL text), then one
 * binary COPY reads every dataset's rows, joined with the dataset's position in the request so
 * they come dataset after dataset in the order asked; the position column (decoded like any int8
 * column, binary-copy-decoder.ts) gives each dataset's span. Coverage of all the datasets is one
 * query. Cost avoided: a COPY and a coverage query per dataset (two round trips each, 1,000 of
 * them for a 500-dataset universe).
 */
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { InternalError, createFrame } from '../../core/index.js';
import type { FrameSchema, TimeRange } from '../../core/index.js';
import type { BarTable, CoverageRange, DatasetKey, ManyDatasetsFrame } from '../../storage/index.js';
import { DatasetSchemaConflictError } from '../../storage/index.js';
import { createBinaryCopyDecoder } from './binary-copy-decoder.js';
import type { CopyColumnType } from './binary-copy-decoder.js';

interface ResolvedRecord {
  readonly pos: number;
  readonly id: number;
  readonly schema: string | null;
}

interface CoverageRecord {
  readonly pos: number;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly state: string;
  readonly reason: string | null;
  readonly attempts: number | null;
}

const REQUESTED = 'unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS q(node_id, interval_ms, pos)';
const RESOLVE = `SELECT (q.pos - 1)::float8 AS pos, d.id, d.schema FROM ${REQUESTED}
  JOIN datasets d ON d.node_id = q.node_id AND d.interval_ms = q.interval_ms`;
const COVERAGE = `SELECT (q.pos - 1)::float8 AS pos, c.start_ms::float8 AS start_ms, c.end_ms::float8 AS end_ms, c.state, c.reason, c.attempts
  FROM ${REQUESTED} JOIN datasets d ON d.node_id = q.node_id AND d.interval_ms = q.interval_ms
  JOIN coverage c ON c.dataset_id = d.id WHERE c.end_ms > $3 AND c.start_ms < $4 ORDER BY q.pos, c.start_ms`;

function keyArrays(datasets: readonly DatasetKey[]): [string[], number[]] {
  const nodes: string[] = [];
  const intervals: number[] = [];
  for (const d of datasets) {
    nodes.push(d.nodeId);
    intervals.push(d.intervalMs);
  }
  return [nodes, intervals];
}

/** An integer for the COPY text (COPY takes no bind parameters): only ids, positions and times from our own code. */
function literal(n: number): string {
  if (!Number.isSafeInteger(n)) throw new InternalError(`refusing to inline ${String(n)} into COPY text`);
  return String(n);
}

export async function readManyBars(
  client: PoolClient, table: BarTable, schema: FrameSchema, datasets: readonly DatasetKey[], range: TimeRange, broken: () => void,
): Promise<ManyDatasetsFrame> {
  const n = datasets.length;
  const offsets = new Int32Array(n + 1);
  const spans = (): { starts: Int32Array; ends: Int32Array } => ({ starts: offsets.subarray(0, n), ends: offsets.subarray(1) });
  const resolved = await client.query<ResolvedRecord>({ name: 'seamless_datasets_resolve_many', text: RESOLVE, values: keyArrays(datasets) });
  const pairs: string[] = [];
  for (const r of resolved.rows) {
    if (r.schema === null) continue;
    const d = datasets[r.pos];
    if (r.schema !== schema.name) throw new DatasetSchemaConflictError(d.nodeId, d.intervalMs, r.schema, schema.name);
    pairs.push(`(${literal(r.id)}, ${literal(r.pos)})`);
  }
  const types: CopyColumnType[] = ['int8', 'int8'];
  for (let c = 0; c < table.columns.length; c++) types.push('float8');
  if (pairs.length === 0 || range.end <= range.start) {
    return { frame: createFrame(schema, new Float64Array(0), table.columns.map(() => new Float64Array(0))), ...spans() };
  }
  const values = table.columns.map((c) => `b."${c}"`).join(', ');
  const sql = `COPY (SELECT q.pos::int8, b.ts, ${values} FROM ${table.table} b JOIN (VALUES ${pairs.join(', ')}) AS q(id, pos) ON b.dataset_id = q.id
    WHERE b.ts >= ${literal(range.start)} AND b.ts < ${literal(range.end)} ORDER BY q.pos, b.ts) TO STDOUT (FORMAT binary)`;
  const decoder = createBinaryCopyDecoder(types, { initialRows: 65_536 });
  const stream = client.query(copyTo(sql));
  try {
    for await (const chunk of stream) decoder.push(chunk as Buffer);
  } catch (err) {
    // A driver error ended the COPY properly; our own (decode) error left it running.
    if (err instanceof InternalError) broken();
    throw err;
  }
  const { columns, rows } = decoder.finish();
  const pos = columns[0];
  for (let r = 0; r < rows; r++) offsets[pos[r] + 1]++;
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  return { frame: createFrame(schema, columns[1], columns.slice(2)), ...spans() };
}

/** Coverage entries of every dataset overlapping `range`, unclipped, ascending; [] for an unknown dataset. */
export async function coverageOfMany(client: PoolClient, datasets: readonly DatasetKey[], range: TimeRange): Promise<CoverageRange[][]> {
  const [nodes, intervals] = keyArrays(datasets);
  const result = await client.query<CoverageRecord>({ name: 'seamless_coverage_many', text: COVERAGE, values: [nodes, intervals, range.start, range.end] });
  const out: CoverageRange[][] = [];
  for (let i = 0; i < datasets.length; i++) out.push([]);
  for (const r of result.rows) {
    const state = r.state;
    if (state === 'failed') out[r.pos].push({ start: r.start_ms, end: r.end_ms, state, reason: r.reason ?? undefined, attempts: r.attempts ?? 0 });
    else if (state === 'stored' || state === 'known_empty') out[r.pos].push({ start: r.start_ms, end: r.end_ms, state });
    else throw new InternalError(`coverage row has unknown state ${state}`);
  }
  return out;
}
