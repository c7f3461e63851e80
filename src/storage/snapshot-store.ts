/**
 * The snapshot store port: named, immutable copies of datasets (issue 16). A snapshot is written
 * once, whole, in ONE transaction (its manifest and every dataset's rows) and never updated; it
 * can only be deleted. Engines keep each dataset's rows as columnar blobs in parts (snapshot-columns.ts),
 * so a read of a snapshot returns the same bytes for ever and never touches the bar tables.
 */
import type { Frame, FrameSchema } from '../core/index.js';

/** How a dataset's pinned versions were learnt: the read's `metadata.versions`, or the coverage write times seen. */
export type SnapshotVersionSource = 'read_metadata' | 'coverage_write_times';

/** One dataset of a snapshot, as its manifest describes it. */
export interface SnapshotDatasetManifest {
  readonly nodeId: string;
  readonly interval: string;
  readonly intervalMs: number;
  /** Frame schema name (`ohlcv`, `tick`, `quote`). */
  readonly schema: string;
  readonly rows: number;
  /** `sha256:…` of the frame (src/core/fingerprint.ts): what a read of the whole dataset answers. */
  readonly fingerprint: string;
  /** `sha256:…` of each column's float64 little-endian bytes, `ts` first. */
  readonly columnHashes: Readonly<Record<string, string>>;
  /** What the read that made it covered: ratio, bounds, missing ranges (from its metadata). */
  readonly coverage: {
    readonly ratio: number;
    readonly bounds: { readonly start: number; readonly end: number } | null;
    readonly missingRanges: readonly { readonly start: number; readonly end: number }[];
  };
  /** The conformance report of the read (its URI), null when it had no findings to archive. */
  readonly conformanceReportUri: string | null;
  /** The versions the snapshot pins; see `source`. */
  readonly versions: { readonly source: SnapshotVersionSource; readonly entries: readonly unknown[] };
}

/** The manifest of a snapshot: what it holds, who made it and when. Stored and exported as JSON. */
export interface SnapshotManifest {
  readonly format: 'seamless-snapshot/1';
  readonly name: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** The API key name (or `cli`, `library`) that made it. */
  readonly createdBy: string;
  readonly interval: string;
  readonly intervalMs: number;
  readonly start: number;
  readonly end: number;
  /** The read strategy the datasets were read with (`fail_fast` or `seamless`). */
  readonly strategy: string;
  /** `sha256:…` over the datasets' fingerprints in manifest order: the snapshot as a whole. */
  readonly fingerprint: string;
  readonly datasets: readonly SnapshotDatasetManifest[];
}

/** A dataset's rows as written into a snapshot. */
export interface SnapshotDatasetRows {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly frame: Frame;
}

export interface SnapshotStore {
  /**
   * Writes the manifest and every dataset's rows in one transaction. ConflictError (reason
   * `duplicate_snapshot`, field `name`) when the name is taken; nothing is written then.
   */
  create(manifest: SnapshotManifest, datasets: readonly SnapshotDatasetRows[]): Promise<void>;
  /** Every snapshot's manifest, newest first. */
  list(): Promise<SnapshotManifest[]>;
  /** The manifest, or undefined. */
  get(name: string): Promise<SnapshotManifest | undefined>;
  /** The rows of one dataset of a snapshot, or undefined when the snapshot does not hold it. */
  readDataset(name: string, nodeId: string, intervalMs: number, schema: FrameSchema): Promise<Frame | undefined>;
  /** Removes a snapshot whole; false when there was none of that name. */
  delete(name: string): Promise<boolean>;
}
