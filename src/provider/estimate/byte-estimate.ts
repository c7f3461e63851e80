/**
 * Bytes of a read's body in each format, before the read. Arrow is exact: its columns are
 * fixed-width (core `arrowIpcByteLength`: the schema message, record-batch framing and 8 bytes per
 * value), short only of the read metadata JSON the gateway puts in the schema message (its size
 * is known only after the read; `ARROW_METADATA_NOTE`). JSON and CSV write numbers as text, so
 * their size depends on the values: measured per row on a sample of stored rows encoded by the
 * same encoders when the dataset has any, else a documented per-value default.
 */
import { arrowIpcByteLength, columnarJsonSlices, csvSlices, emptyFrame } from '../../core/index.js';
import type { Frame, FrameSchema } from '../../core/index.js';
import type { ByteFigure } from './estimate-types.js';

/** Default text bytes of a `ts` value (13 digits of epoch ms) plus its separator. */
export const DEFAULT_TS_TEXT_BYTES = 14;
/** Default text bytes of a price or size value (shortest round-trip double, e.g. `39317.48213`) plus its separator. */
export const DEFAULT_VALUE_TEXT_BYTES = 18;
/** The JSON envelope around the columnar data, without the metadata object: `{"data":` … `,"metadata":` … `}`. */
const JSON_ENVELOPE_BYTES = '{"data":,"metadata":}'.length;

function encodedBytes(pieces: Iterable<Uint8Array>): number {
  let bytes = 0;
  for (const piece of pieces) bytes += piece.byteLength;
  return bytes;
}

/** Bytes per row of `sample` in an encoding, beyond what an empty frame of the schema takes. */
function perRow(sample: Frame, encode: (frame: Frame) => Iterable<Uint8Array>, fixed: number): number {
  return (encodedBytes(encode(sample)) - fixed) / sample.length;
}

export interface ByteEstimates {
  readonly json: ByteFigure;
  readonly csv: ByteFigure;
  readonly arrow: ByteFigure;
}

/** The body sizes of a read answering `rows` rows of `schema`; `sample`: stored rows of the dataset (may be empty). */
export function estimateBytes(schema: FrameSchema, rows: number, sample: Frame | undefined): ByteEstimates {
  const empty = emptyFrame(schema);
  const jsonFixed = encodedBytes(columnarJsonSlices(empty)) + JSON_ENVELOPE_BYTES;
  const csvFixed = encodedBytes(csvSlices(empty));
  const arrow: ByteFigure = {
    bytes: arrowIpcByteLength(schema, rows),
    basis: 'exact',
    detail: `fixed-width columns (${1 + schema.columns.length} × 8 bytes a row) and IPC framing; the body adds the read metadata JSON to the schema message`,
  };
  if (sample !== undefined && sample.length > 0) {
    // The empty frame's text holds `[]` per column; a non-empty one holds `[` `]` and n-1 commas per column:
    // counted into the per-row figure, which makes it exact for rows whose values print as the sample's.
    const jsonRow = perRow(sample, columnarJsonSlices, jsonFixed - JSON_ENVELOPE_BYTES);
    const csvRow = perRow(sample, csvSlices, csvFixed);
    const detail = `${round(jsonRow)} bytes a row measured on ${sample.length} stored rows`;
    return {
      json: { bytes: jsonFixed + Math.round(jsonRow * rows), basis: 'measured', detail: `${detail}; plus the read metadata JSON` },
      csv: { bytes: csvFixed + Math.round(csvRow * rows), basis: 'measured', detail: `${round(csvRow)} bytes a row measured on ${sample.length} stored rows` },
      arrow,
    };
  }
  const textRow = DEFAULT_TS_TEXT_BYTES + DEFAULT_VALUE_TEXT_BYTES * schema.columns.length;
  const detail = `no stored rows to measure: ${textRow} bytes a row (${DEFAULT_TS_TEXT_BYTES} for ts, ${DEFAULT_VALUE_TEXT_BYTES} per value)`;
  return {
    json: { bytes: jsonFixed + textRow * rows, basis: 'default', detail: `${detail}; plus the read metadata JSON` },
    csv: { bytes: csvFixed + textRow * rows, basis: 'default', detail },
    arrow,
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
