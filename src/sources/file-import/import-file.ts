/**
 * Imports a CSV or Parquet file of bars into a BarStore: the whole file is parsed into typed
 * columns and validated first, then written as ONE WriteBatch with its coverage, so a file is
 * either imported completely or not at all.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { AbortedError, InvalidRequestError, alignDown } from '../../core/index.js';
import type { FrameSchema } from '../../core/index.js';
import type { BarStore, CoverageClaim, DatasetKey, Fence } from '../../storage/index.js';
import { readCsvColumns } from './csv-reader.js';
import { IssueCollector } from './issue-collector.js';
import { readParquetColumns } from './parquet-reader.js';
import { reportDuplicates, sortRows } from './sort-rows.js';

export type ImportFormat = 'csv' | 'parquet';

export interface ImportOptions {
  readonly path: string;
  /** Defaults by extension: `.csv` → csv, `.parquet`/`.pq` → parquet. */
  readonly format?: ImportFormat;
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
  readonly store: BarStore;
  /** Passed to the store's write (fencing check in the write's transaction). */
  readonly fence?: Fence;
  readonly signal?: AbortSignal;
}

export interface ImportReport {
  readonly rows: number;
  readonly firstTs: number;
  readonly lastTs: number;
  /**
   * The coverage recorded: the file claims [alignDown(firstTs), lastTs + interval) and storage
   * records the runs of consecutive bars in it as `stored`; a bar absent from the file is missing.
   */
  readonly coverage: readonly CoverageClaim[];
  /** The path imported, as given. */
  readonly file: string;
  readonly format: ImportFormat;
  readonly bytes: number;
}

const EXTENSIONS: Readonly<Record<string, ImportFormat>> = Object.freeze({ '.csv': 'csv', '.parquet': 'parquet', '.pq': 'parquet' });

/**
 * Parses, validates and writes a file of bars. Bad input throws one `ImportError`
 * (`invalid_request`, field `file`) listing every problem with its line (CSV) or row (Parquet);
 * nothing is written in that case.
 *
 * @example
 * const report = await importFile({ path: 'btc.csv', dataset: { nodeId: 'ohlcv:file:BTC', intervalMs: 60_000 }, schema: OHLCV_SCHEMA, store });
 */
export async function importFile(options: ImportOptions): Promise<ImportReport> {
  const { path, dataset, schema, store, fence, signal } = options;
  const format = options.format ?? formatOf(path);
  if (format !== 'csv' && format !== 'parquet') {
    throw new InvalidRequestError('format', `must be "csv" or "parquet", got ${JSON.stringify(format)}`);
  }
  const intervalMs = dataset.intervalMs;
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new InvalidRequestError('interval', `must be a positive integer number of ms, got ${intervalMs}`);
  }
  const bytes = await fileSize(path);
  throwIfAborted(signal);

  const issues = new IssueCollector(format === 'csv' ? 'line' : 'row');
  const parsed = format === 'csv'
    ? await readCsvColumns(path, bytes, schema, intervalMs, issues, signal)
    : await readParquetColumns(path, schema, intervalMs, issues, signal);
  issues.throwIfAny(path);
  const sorted = sortRows(parsed, schema);
  reportDuplicates(sorted, issues);
  issues.throwIfAny(path);

  const frame = sorted.frame;
  const firstTs = frame.ts[0];
  const lastTs = frame.ts[frame.length - 1];
  const claim: CoverageClaim[] = [{ start: alignDown(firstTs, intervalMs), end: lastTs + intervalMs, state: 'stored' }];
  throwIfAborted(signal);
  const written = await store.write(fence === undefined ? { dataset, frame, coverage: claim, source: 'import' } : { dataset, frame, coverage: claim, fence, source: 'import' }, schema);
  return { rows: frame.length, firstTs, lastTs, coverage: written.coverageWritten, file: path, format, bytes };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortedError(signal.reason);
}

function formatOf(path: string): ImportFormat {
  const format = EXTENSIONS[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new InvalidRequestError('format', `cannot tell the format of ${path} from its extension; pass format "csv" or "parquet"`);
  }
  return format;
}

async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new InvalidRequestError('file', `${path} is not a regular file`, { path });
    return s.size;
  } catch (err) {
    if (err instanceof InvalidRequestError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InvalidRequestError('file', `not found: ${path}`, { path }, { cause: err });
    throw new InvalidRequestError('file', `cannot read ${path}: ${code ?? String(err)}`, { path }, { cause: err });
  }
}
