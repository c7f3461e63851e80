/**
 * What a snapshot's manifest says of each dataset, computed from the read that made it: the frame's
 * fingerprint and per-column hashes (SHA-256 of each column's float64 little-endian bytes, hashed
 * straight from the typed array: no per-row work), coverage and the conformance report from the
 * read's metadata, and the versions it pins: the read's `metadata.versions` when the versioned
 * storage provides it, else the coverage entries with their write times (`coverage_write_times`).
 */
import { createHash } from 'node:crypto';
import { fingerprintFrameAsync, formatInterval } from '../../core/index.js';
import type { Frame } from '../../core/index.js';
import type { DatedCoverageRange, SnapshotDatasetManifest } from '../../storage/index.js';
import type { ReadMetadata } from '../read/read-metadata.js';

function hashColumn(column: Float64Array, rows: number): string {
  const bytes = new Uint8Array(column.buffer, column.byteOffset, rows * 8);
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** `sha256:…` of each column, `ts` first, keyed by column name. */
export function columnHashes(frame: Frame): Record<string, string> {
  const out: Record<string, string> = { ts: hashColumn(frame.ts, frame.length) };
  for (let c = 0; c < frame.values.length; c++) out[frame.schema.columns[c].name] = hashColumn(frame.values[c], frame.length);
  return out;
}

/** The versions a read pinned: `metadata.versions` when present (versioned storage), else coverage write times. */
function pinnedVersions(metadata: ReadMetadata, dated: readonly DatedCoverageRange[]): SnapshotDatasetManifest['versions'] {
  const versions: unknown = Reflect.get(metadata, 'versions');
  if (Array.isArray(versions)) return { source: 'read_metadata', entries: versions };
  return { source: 'coverage_write_times', entries: dated.map((c) => ({ start: c.start, end: c.end, state: c.state, updatedAt: c.updatedAt })) };
}

export async function datasetManifest(nodeId: string, intervalMs: number, frame: Frame, metadata: ReadMetadata, dated: readonly DatedCoverageRange[]): Promise<SnapshotDatasetManifest> {
  return {
    nodeId, interval: formatInterval(intervalMs), intervalMs, schema: frame.schema.name, rows: frame.length,
    fingerprint: await fingerprintFrameAsync(frame),
    columnHashes: columnHashes(frame),
    coverage: { ratio: metadata.coverageRatio, bounds: metadata.coverageBounds, missingRanges: metadata.missingRanges },
    conformanceReportUri: metadata.conformance?.reportUri ?? null,
    versions: pinnedVersions(metadata, dated),
  };
}

/** `sha256:…` over each dataset's node id, interval and fingerprint, in manifest order. */
export function snapshotFingerprint(datasets: readonly Pick<SnapshotDatasetManifest, 'nodeId' | 'intervalMs' | 'fingerprint'>[]): string {
  const hash = createHash('sha256');
  for (const d of datasets) hash.update(`${JSON.stringify(d.nodeId)}\t${d.intervalMs}\t${d.fingerprint}\n`);
  return `sha256:${hash.digest('hex')}`;
}
