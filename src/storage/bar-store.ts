/**
 * The storage engine interface. Engines (src/engines/duckdb, src/engines/postgres) hold bars per
 * dataset and a coverage index, and write rows together with their coverage in one transaction.
 */
import type { Frame, FrameSchema, IngestFinding, TimeRange } from '../core/index.js';

/** A dataset is (nodeId, interval). nodeId is opaque: never split it on a separator. */
export interface DatasetKey {
  readonly nodeId: string;
  readonly intervalMs: number;
}

export type CoverageState = 'stored' | 'known_empty' | 'failed';

export interface CoverageRange {
  readonly start: number;
  readonly end: number;
  readonly state: CoverageState;
  /** For `failed`: the last failure's reason and how many attempts failed. */
  readonly reason?: string;
  readonly attempts?: number;
}

/** A range the write vouches for: `stored` (rows in it are all there are) or `known_empty`. */
export interface CoverageClaim {
  readonly start: number;
  readonly end: number;
  readonly state: 'stored' | 'known_empty';
}

/** A fencing token issued by the coordinator for a lease `key`; tokens only grow per key. */
export interface Fence {
  readonly key: string;
  readonly token: number;
}

export interface WriteBatch {
  readonly dataset: DatasetKey;
  readonly frame: Frame;
  /** Every row's ts must lie in a `stored` claim; claims must be aligned to the interval. */
  readonly coverage: readonly CoverageClaim[];
  /** Checked inside the write's transaction: a token older than the newest seen is rejected. */
  readonly fence?: Fence;
  /** What was dropped from the upstream batch to make it storable, committed with the rows. */
  readonly findings?: readonly IngestFinding[];
}

export interface WriteReport {
  readonly rowsWritten: number;
  readonly coverageWritten: readonly CoverageClaim[];
}

export interface DatasetSummary {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly schema: string;
  readonly rows: number;
  readonly firstTs: number | undefined;
  readonly lastTs: number | undefined;
}

/** The rows of many datasets of one schema over one range (`BarStore.readMany`). */
export interface ManyDatasetsFrame {
  /** Every dataset's rows, one dataset after another (in the order the engine finds fastest), each ascending by ts. */
  readonly frame: Frame;
  /** Rows of `datasets[i]` are `[starts[i], ends[i])` of `frame` (empty for a dataset without rows). */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

export interface BarStore {
  /** Engine name for health checks and logs (`duckdb`, `postgres`). */
  readonly engine: string;
  /** Rows with start <= ts < end, ascending, columnar. An absent dataset gives an empty frame. */
  read(dataset: DatasetKey, schema: FrameSchema, range: TimeRange): Promise<Frame>;
  /** Coverage entries overlapping `range` (all if omitted), sorted, adjacent equal states merged. */
  coverage(dataset: DatasetKey, range?: TimeRange): Promise<CoverageRange[]>;
  /**
   * Universe reads: the rows of every dataset (all of `schema`) over one range in one storage
   * call. A dataset without rows has an empty span; one stored under another schema is refused
   * (DatasetSchemaConflictError). Optional: a store without it is read dataset by dataset.
   */
  readMany?(datasets: readonly DatasetKey[], schema: FrameSchema, range: TimeRange): Promise<ManyDatasetsFrame>;
  /** Universe reads: `coverage(datasets[i], range)` for every dataset, in one storage call. Optional as `readMany`. */
  coverageMany?(datasets: readonly DatasetKey[], range: TimeRange): Promise<CoverageRange[][]>;
  /** Upserts rows (same ts replaces) and their coverage atomically, after the fencing check. */
  write(batch: WriteBatch, schema: FrameSchema): Promise<WriteReport>;
  /**
   * Raises the newest token storage knows for `fence.key` (a new lease was granted), so a write
   * carrying an older token — the worker that lost the lease — is rejected from now on.
   * StaleFencingTokenError when a newer token is already known.
   */
  advanceFence(fence: Fence): Promise<void>;
  /** Records a failed attempt on the parts of `range` not already stored or known empty. */
  markFailed(dataset: DatasetKey, range: TimeRange, reason: string, fence?: Fence): Promise<void>;
  /** Datasets that have rows or coverage. */
  datasets(): Promise<DatasetSummary[]>;
  /** Throws when the engine does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
