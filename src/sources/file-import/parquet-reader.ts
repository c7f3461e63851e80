/**
 * Reads a Parquet file into columns through an in-memory DuckDB instance used only for parsing:
 * `read_parquet(?)` with the needed columns cast to DOUBLE in SQL (timestamps to epoch ms), then
 * the result is drained chunk by chunk into typed arrays with one `getItem` per cell.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AbortedError, InvalidRequestError } from '../../core/index.js';
import type { FrameSchema } from '../../core/index.js';
import { checkGrid, parseTsCell } from './cell-parsers.js';
import { ColumnsBuilder } from './columns-builder.js';
import type { ParsedColumns } from './columns-builder.js';
import { resolveHeader } from './header.js';
import type { IssueCollector } from './issue-collector.js';
import { quote } from './issue-collector.js';

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);
const FLOAT_TYPES = new Set(['FLOAT', 'DOUBLE']);
/** The schema position: problems with the file's columns are reported at "row 0" (shown as "schema"). */
const SCHEMA_ROW = 0;

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function isNumeric(type: string): boolean {
  return INTEGER_TYPES.has(type) || FLOAT_TYPES.has(type) || type.startsWith('DECIMAL');
}

/** SQL turning the timestamp column into epoch ms (DOUBLE), or 'text' to parse it in JS, or undefined. */
function tsExpression(col: string, type: string): string | 'text' | undefined {
  if (type === 'TIMESTAMP' || type === 'TIMESTAMP WITH TIME ZONE') return `epoch_us(${col}) / 1000.0`; // keeps sub-ms, caught as off-grid
  if (type === 'TIMESTAMP_NS') return `epoch_ns(${col}) / 1000000.0`;
  if (type === 'TIMESTAMP_MS' || type === 'TIMESTAMP_S' || type === 'DATE') return `CAST(epoch_ms(CAST(${col} AS TIMESTAMP)) AS DOUBLE)`;
  if (isNumeric(type)) return `CAST(${col} AS DOUBLE)`; // epoch ms
  if (type === 'VARCHAR') return 'text';
  return undefined;
}

export async function readParquetColumns(
  path: string, schema: FrameSchema, intervalMs: number, issues: IssueCollector, signal?: AbortSignal,
): Promise<ParsedColumns> {
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    // DuckDB loads with the first Parquet file, not with this folder: the CLI's commands that
    // open no data (`--help`, `--url`) do not pay for it (about 0.3 s of CPU).
    const { DuckDBInstance: Instance } = await import('@duckdb/node-api');
    instance = await Instance.create(':memory:');
    connection = await instance.connect();
    return await readWith(connection, path, schema, intervalMs, issues, signal);
  } catch (err) {
    if (err instanceof AbortedError || err instanceof InvalidRequestError) throw err;
    // The single place where DuckDB errors become Seamless errors for this reader.
    const message = err instanceof Error ? err.message : String(err);
    throw new InvalidRequestError('file', `cannot read ${path} as Parquet: ${message}`, { path }, { cause: err });
  } finally {
    connection?.closeSync();
    instance?.closeSync();
  }
}

async function readWith(
  connection: DuckDBConnection, path: string, schema: FrameSchema, intervalMs: number, issues: IssueCollector, signal?: AbortSignal,
): Promise<ParsedColumns> {
  const described = await connection.runAndReadAll('DESCRIBE SELECT * FROM read_parquet(?)', [path]);
  const names: string[] = [];
  const types: string[] = [];
  for (const row of described.getRowObjects()) {
    names.push(String(row.column_name));
    types.push(String(row.column_type));
  }
  const header = resolveHeader(names, schema, issues, SCHEMA_ROW);
  if (header === undefined) return new ColumnsBuilder(schema.columns.length, 0).finish();

  const tsName = names[header.tsIndex];
  const tsExpr = tsExpression(ident(tsName), types[header.tsIndex]);
  if (tsExpr === undefined) issues.add(SCHEMA_ROW, 'ts', types[header.tsIndex], `column ${quote(tsName)} has type ${types[header.tsIndex]}, not a timestamp or epoch ms`);
  const select = [tsExpr === 'text' ? `CAST(${ident(tsName)} AS VARCHAR)` : (tsExpr ?? 'NULL')];
  for (let c = 0; c < schema.columns.length; c++) {
    const type = types[header.valueIndex[c]];
    if (!isNumeric(type)) issues.add(SCHEMA_ROW, schema.columns[c].name, type, `column ${quote(schema.columns[c].name)} has type ${type}, not a number`);
    select.push(`CAST(${ident(names[header.valueIndex[c]])} AS DOUBLE)`);
  }
  if (issues.count > 0) return new ColumnsBuilder(schema.columns.length, 0).finish();
  select.push('CAST(file_row_number AS DOUBLE)');

  const counted = await connection.runAndReadAll('SELECT count(*)::DOUBLE AS n FROM read_parquet(?)', [path]);
  const total = Number(counted.getRows()[0][0]);
  if (total === 0) {
    issues.add(1, 'file', '', 'the file has no rows');
    return new ColumnsBuilder(schema.columns.length, 0).finish();
  }
  const builder = new ColumnsBuilder(schema.columns.length, total);
  const columns = schema.columns;
  const result = await connection.stream(`SELECT ${select.join(', ')} FROM read_parquet(?, file_row_number = true)`, [path]);
  const rowCol = columns.length + 1;
  for (;;) {
    if (signal?.aborted === true) throw new AbortedError(signal.reason);
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const tsVec = chunk.getColumnVector(0);
    const rowVec = chunk.getColumnVector(rowCol);
    const valueVecs = columns.map((_, c) => chunk.getColumnVector(c + 1));
    for (let i = 0; i < chunk.rowCount; i++) {
      const rowNumber = Number(rowVec.getItem(i)) + 1;
      const before = issues.count;
      const rawTs = tsVec.getItem(i);
      let t = Number.NaN;
      if (rawTs === null) issues.add(rowNumber, 'ts', '', 'missing timestamp (null)');
      else if (typeof rawTs === 'string') t = parseTsCell(rawTs, intervalMs, issues, rowNumber, 'ts');
      else t = checkTs(Number(rawTs), intervalMs, issues, rowNumber);
      builder.reserve();
      const row = builder.length;
      for (let c = 0; c < columns.length; c++) {
        const v = valueVecs[c].getItem(i);
        if (v === null) {
          if (!columns[c].nullable) issues.add(rowNumber, columns[c].name, '', 'missing value (null; the column is not nullable)');
          builder.values[c][row] = Number.NaN;
        } else {
          const x = Number(v);
          if (!Number.isFinite(x) && !(Number.isNaN(x) && columns[c].nullable)) issues.add(rowNumber, columns[c].name, String(x), `${x} is not a finite number`);
          builder.values[c][row] = x;
        }
      }
      if (issues.count > before) {
        if (issues.full) {
          issues.markTruncated();
          return builder.finish();
        }
        continue;
      }
      builder.ts[row] = t;
      builder.origin[row] = rowNumber;
      builder.length = row + 1;
    }
  }
  return builder.finish();
}

function checkTs(t: number, intervalMs: number, issues: IssueCollector, row: number): number {
  const shown = String(t);
  if (!Number.isInteger(t) || t < 0) {
    issues.add(row, 'ts', shown, `${t} is not a valid epoch ms timestamp (a non-negative integer)`);
    return Number.NaN;
  }
  return checkGrid(t, shown, intervalMs, issues, row, 'ts');
}
