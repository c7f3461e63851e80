/**
 * The storage engine interface. Engines (src/engines/duckdb, src/engines/postgres) hold bars per
 * dataset and a coverage index, and write rows together with their coverage in one transaction.
 */
import type { Frame, FrameSchema, IngestFinding, TimeRange } from '../core/index.js';
import type { AsOfFrame, BarVersion } from './bar-versions.js';

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
  /** Who writes (`backfill`, `live`, `import` …), recorded on the write's version (bar-versions.ts). */
  readonly source?: string;
}

export interface WriteReport {
  readonly rowsWritten: number;
  readonly coverageWritten: readonly CoverageClaim[];
  /** The version the write committed (engines that keep versions). */
  readonly versionId?: number;
}

export interface DatasetSummary {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly schema: string;
  readonly rows: number;
  readonly firstTs: number | undefined;
  readonly lastTs: number | undefined;
}

/**
 * A dataset's coverage in figures, computed by the engine in one query (the catalog): bars
 * stored (a count of rows), the first and last stored bar, the bars of its `known_empty` and
 * `failed` coverage, and when a write last changed its coverage.
 */
export interface CoverageSummary {
  readonly nodeId: string;
  readonly intervalMs: number;
  /** The frame schema of its bars; '' while only failures were recorded. */
  readonly schema: string;
  readonly barsStored: number;
  readonly firstTs: number | undefined;
  readonly lastTs: number | undefined;
  readonly knownEmptyBars: number;
  readonly failedBars: number;
  /** Newest `updated_at` of its coverage entries (epoch ms); undefined with no coverage. */
  readonly lastWriteAt: number | undefined;
}

/** A coverage entry with the time (epoch ms) a write or a failure last changed it. */
export interface DatedCoverageRange extends CoverageRange {
  readonly updatedAt: number;
}

/** What a repair is: an operator's purge, or the purge that starts a forced backfill. */
export type RepairAction = 'purge' | 'force_backfill';

/**
 * A purge (repair): the rows, coverage and ingest findings in force of `range` go together, in one
 * transaction, after every fence is checked and advanced (the shard leases the purge reset, so a
 * backfill worker still holding an older token is refused from then on). The audit entry commits
 * with it: a purge that is not recorded never happened.
 */
export interface PurgeRequest {
  readonly dataset: DatasetKey;
  /** Aligned to the dataset's interval on both ends. */
  readonly range: TimeRange;
  /** Checked and advanced first, in the purge's transaction; one stale token refuses the whole purge. */
  readonly fences: readonly Fence[];
  /** Who asked (the API key name, `cli`) and why: recorded in the repair audit with the counts. */
  readonly actor: string;
  readonly action: RepairAction;
}

export interface PurgeReport {
  readonly rowsRemoved: number;
  /** The coverage entries the purge cut, clipped to its range (what coverage held there before). */
  readonly coverageRemoved: readonly CoverageRange[];
  /** Ingest findings in force in the range, now superseded (kept as history, no longer in force). */
  readonly findingsRetired: number;
  /** The audit entry committed with the purge. */
  readonly audit: RepairAuditEntry;
}

/** One line of the repair audit (append-only): who purged what, when, and what went. */
export interface RepairAuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: RepairAction;
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly start: number;
  readonly end: number;
  readonly rowsRemoved: number;
  readonly findingsRetired: number;
  /** Bars the removed coverage spanned, by state (`stored`, `known_empty`, `failed`). */
  readonly coverageRemoved: Readonly<Record<CoverageState, number>>;
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
   * Every batch as `write` would write it, one after the other in the order given, all in ONE
   * transaction: the same validation, fences, coverage, findings superseded and versions as that
   * many `write` calls, and one report per batch (in order). A refused batch (invalid: an
   * InvalidRequestError naming `batches[i]…`; a stale fence) fails the whole call and nothing is
   * written. Optional: a store without it is written batch by batch (the live write-through's flush).
   */
  writeMany?(batches: readonly WriteBatch[], schema: FrameSchema): Promise<WriteReport[]>;
  /**
   * Raises the newest token storage knows for `fence.key` (a new lease was granted), so a write
   * carrying an older token — the worker that lost the lease — is rejected from now on.
   * StaleFencingTokenError when a newer token is already known.
   */
  advanceFence(fence: Fence): Promise<void>;
  /** Records a failed attempt on the parts of `range` not already stored or known empty. */
  markFailed(dataset: DatasetKey, range: TimeRange, reason: string, fence?: Fence): Promise<void>;
  /**
   * Removes the rows, coverage and ingest findings in force of `request.range` in ONE transaction
   * after checking and advancing its fences, and appends its audit entry in the same transaction.
   * StaleFencingTokenError (nothing changed) when a fence is older than storage's.
   */
  purge(request: PurgeRequest): Promise<PurgeReport>;
  /** The repair audit, newest first, at most `limit` entries; only `nodeId`'s when given. */
  repairAudit(filter: { readonly limit: number; readonly nodeId?: string }): Promise<RepairAuditEntry[]>;
  /** Datasets that have rows or coverage. */
  datasets(): Promise<DatasetSummary[]>;
  /** Every dataset with rows or coverage, summarised in one query (sorted by node id, then interval). */
  coverageSummary(): Promise<CoverageSummary[]>;
  /** As `coverage`, each entry with its last change, read from the engine (not a cache). */
  datedCoverage(dataset: DatasetKey, range?: TimeRange): Promise<DatedCoverageRange[]>;
  /**
   * Versioned reads (bar-versions.ts): the rows of `range` as known at `asOf` (written by a version
   * committed at or before it, not yet superseded then) and the versions that served.
   * AsOfBeyondRetentionError when `asOf` is older than the pruning horizon. Optional: a store
   * without versions (test fakes) cannot answer `as_of` reads.
   */
  readAsOf?(dataset: DatasetKey, schema: FrameSchema, range: TimeRange, asOf: number): Promise<AsOfFrame>;
  /** The coverage as known at `asOf` (the coverage the newest version at or before it left), overlapping `range`. */
  coverageAsOf?(dataset: DatasetKey, asOf: number, range?: TimeRange): Promise<CoverageRange[]>;
  /** The dataset's versions, newest first, at most `limit`. */
  versions?(dataset: DatasetKey, limit: number): Promise<BarVersion[]>;
  /**
   * Drops history rows superseded before `horizon` and records the horizon (reads as of an
   * earlier time are refused from then on). Returns the rows dropped.
   */
  pruneVersions?(horizon: number): Promise<number>;
  /** Throws when the engine does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
