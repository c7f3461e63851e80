/**
 * Reads a CSV file into columns. csv-parse streams the file; each record arrives as an array of
 * strings in `on_record`, which fills the typed columns directly and returns null, so no record
 * object is kept or pushed downstream (the cost avoided: one object per row held until the end).
 * csv-parse is loaded by the first import, not when the sources load (a gateway that never
 * imports a file does not keep it resident).
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { InfoRecord } from 'csv-parse';
import { AbortedError } from '../../core/index.js';
import type { FrameSchema } from '../../core/index.js';
import { parseTsCell, parseValueCell } from './cell-parsers.js';
import { ColumnsBuilder } from './columns-builder.js';
import type { ParsedColumns } from './columns-builder.js';
import { resolveHeader } from './header.js';
import type { ResolvedHeader } from './header.js';
import { StopReading } from './issue-collector.js';
import type { IssueCollector } from './issue-collector.js';

/** Rough bytes per OHLCV CSV line, to size the first allocation from the file size. */
const BYTES_PER_LINE_ESTIMATE = 60;

export async function readCsvColumns(
  path: string, bytes: number, schema: FrameSchema, intervalMs: number, issues: IssueCollector, signal?: AbortSignal,
): Promise<ParsedColumns> {
  const columns = schema.columns;
  const nullable = columns.map((c) => c.nullable);
  const builder = new ColumnsBuilder(columns.length, bytes / BYTES_PER_LINE_ESTIMATE);
  let header: ResolvedHeader | undefined;
  let headerSeen = false;
  let lastLine = 0;

  const onRecord = (record: string[], info: InfoRecord): null => {
    const line = info.lines;
    lastLine = line;
    if (!headerSeen) {
      headerSeen = true;
      header = resolveHeader(record, schema, issues, line);
      if (header === undefined) throw new StopReading(); // rows cannot be read without a header
      return null;
    }
    const h = header as ResolvedHeader;
    if (record.length !== h.width) {
      if (issues.add(line, '(row)', record.join(','), `has ${record.length} fields, the header has ${h.width}`)) throw new StopReading();
      return null;
    }
    const before = issues.count;
    const t = parseTsCell(record[h.tsIndex], intervalMs, issues, line, 'ts');
    builder.reserve();
    const row = builder.length;
    const values = builder.values;
    for (let c = 0; c < values.length; c++) {
      values[c][row] = parseValueCell(record[h.valueIndex[c]], nullable[c], issues, line, columns[c].name);
    }
    if (issues.count > before) {
      if (issues.full) throw new StopReading();
      return null; // the row is not kept: the import will fail anyway
    }
    builder.ts[row] = t;
    builder.origin[row] = line;
    builder.length = row + 1;
    return null;
  };

  const { CsvError, parse } = await import('csv-parse');
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, on_record: onRecord });
  try {
    await pipeline(createReadStream(path, { signal }), parser, async function drain(source: AsyncIterable<unknown>) {
      // on_record returns null, so nothing arrives here; iterating just runs the parser to the end.
      for await (const _ of source) void _;
    }, { signal });
  } catch (err) {
    if (signal?.aborted === true) throw new AbortedError(signal.reason);
    if (err instanceof StopReading) issues.markTruncated();
    else if (err instanceof CsvError) {
      // The single place where csv-parse errors (unclosed quote, …) become import problems.
      const at = typeof err.lines === 'number' ? err.lines : lastLine + 1;
      issues.add(at, '(csv)', '', `malformed CSV: ${err.message}`);
    } else throw err;
  }
  if (!headerSeen) issues.add(1, 'file', '', 'the file is empty (expected a header line such as "ts,open,high,low,close,volume")');
  else if (header !== undefined && builder.length === 0 && issues.count === 0) {
    issues.add(2, 'file', '', 'the file has a header but no rows');
  }
  return builder.finish();
}
