/**
 * The BarStore of a gateway with a hot standby (`storage.readUrl`): the reads of bars, coverage
 * and the catalog (`read`, `readMany`, `coverage`, `coverageMany`, `datedCoverage`,
 * `coverageSummary`, `datasets`) go where the read router (postgres-read-routing.ts) says;
 * everything else — writes, fences, purges, the repair audit, versions and as_of reads — stays
 * on the primary. Every write, `markFailed` and purge marks its dataset for read-your-writes,
 * even when it failed (a COMMIT in doubt may have applied). A standby read that fails is
 * answered by the primary, and the standby is down until the router retries it. Errors that are
 * the caller's (a bad range, a schema conflict) are not engine failures and pass through.
 */
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type {
  AsOfFrame, BarStore, BarVersion, CoverageRange, CoverageSummary, DatasetKey, DatasetSummary, DatedCoverageRange, Fence, ManyDatasetsFrame,
  PurgeReport, PurgeRequest, RepairAuditEntry, WriteBatch, WriteReport,
} from '../../storage/index.js';
import { StorageEngineError } from '../../storage/index.js';
import { datasetCacheKey } from './postgres-dataset-registry.js';
import type { ReadRouter } from './postgres-read-routing.js';

/** `primary` and `standby` are the same engine's stores on the two servers; `close` closes both. */
export function createRoutedBarStore(primary: Required<BarStore>, standby: Required<BarStore>, router: ReadRouter): Required<BarStore> {
  return new RoutedBarStore(primary, standby, router);
}

function keysOf(datasets: readonly DatasetKey[]): string[] {
  const keys: string[] = [];
  for (let i = 0; i < datasets.length; i++) keys.push(datasetCacheKey(datasets[i]));
  return keys;
}

class RoutedBarStore implements Required<BarStore> {
  readonly engine: string;
  readonly #primary: Required<BarStore>;
  readonly #standby: Required<BarStore>;
  readonly #router: ReadRouter;

  constructor(primary: Required<BarStore>, standby: Required<BarStore>, router: ReadRouter) {
    this.engine = primary.engine;
    this.#primary = primary;
    this.#standby = standby;
    this.#router = router;
  }

  // Routed reads: bars, coverage, the catalog.

  read(dataset: DatasetKey, schema: FrameSchema, range: TimeRange): Promise<Frame> {
    return this.#routed([datasetCacheKey(dataset)], (s) => s.read(dataset, schema, range));
  }

  readMany(datasets: readonly DatasetKey[], schema: FrameSchema, range: TimeRange): Promise<ManyDatasetsFrame> {
    return this.#routed(keysOf(datasets), (s) => s.readMany(datasets, schema, range));
  }

  coverage(dataset: DatasetKey, range?: TimeRange): Promise<CoverageRange[]> {
    return this.#routed([datasetCacheKey(dataset)], (s) => s.coverage(dataset, range));
  }

  coverageMany(datasets: readonly DatasetKey[], range: TimeRange): Promise<CoverageRange[][]> {
    return this.#routed(keysOf(datasets), (s) => s.coverageMany(datasets, range));
  }

  datedCoverage(dataset: DatasetKey, range?: TimeRange): Promise<DatedCoverageRange[]> {
    return this.#routed([datasetCacheKey(dataset)], (s) => s.datedCoverage(dataset, range));
  }

  datasets(): Promise<DatasetSummary[]> {
    return this.#routed(undefined, (s) => s.datasets());
  }

  coverageSummary(): Promise<CoverageSummary[]> {
    return this.#routed(undefined, (s) => s.coverageSummary());
  }

  // Writes: the primary, then the read-your-writes mark.

  async write(batch: WriteBatch, schema: FrameSchema): Promise<WriteReport> {
    try {
      return await this.#primary.write(batch, schema);
    } finally {
      this.#router.wrote([datasetCacheKey(batch.dataset)]);
    }
  }

  async writeMany(batches: readonly WriteBatch[], schema: FrameSchema): Promise<WriteReport[]> {
    try {
      return await this.#primary.writeMany(batches, schema);
    } finally {
      this.#router.wrote(batches.map((b) => datasetCacheKey(b.dataset)));
    }
  }

  async markFailed(dataset: DatasetKey, range: TimeRange, reason: string, fence?: Fence): Promise<void> {
    try {
      await this.#primary.markFailed(dataset, range, reason, fence);
    } finally {
      this.#router.wrote([datasetCacheKey(dataset)]);
    }
  }

  async purge(request: PurgeRequest): Promise<PurgeReport> {
    try {
      return await this.#primary.purge(request);
    } finally {
      this.#router.wrote([datasetCacheKey(request.dataset)]);
    }
  }

  // The primary only: fences, audit, versions, as_of reads, health.

  advanceFence(fence: Fence): Promise<void> {
    return this.#primary.advanceFence(fence);
  }

  repairAudit(filter: { readonly limit: number; readonly nodeId?: string }): Promise<RepairAuditEntry[]> {
    return this.#primary.repairAudit(filter);
  }

  readAsOf(dataset: DatasetKey, schema: FrameSchema, range: TimeRange, asOf: number): Promise<AsOfFrame> {
    return this.#primary.readAsOf(dataset, schema, range, asOf);
  }

  coverageAsOf(dataset: DatasetKey, asOf: number, range?: TimeRange): Promise<CoverageRange[]> {
    return this.#primary.coverageAsOf(dataset, asOf, range);
  }

  versions(dataset: DatasetKey, limit: number): Promise<BarVersion[]> {
    return this.#primary.versions(dataset, limit);
  }

  pruneVersions(horizon: number): Promise<number> {
    return this.#primary.pruneVersions(horizon);
  }

  /** The primary's answer: a standby that is down does not make the gateway unhealthy (`storage:standby` says how it is). */
  ping(): Promise<void> {
    return this.#primary.ping();
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled([this.#standby.close(), this.#primary.close()]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  /** Runs `fn` on the store the router picks; a standby that fails is marked down and the primary answers. */
  async #routed<T>(keys: readonly string[] | undefined, fn: (store: Required<BarStore>) => Promise<T>): Promise<T> {
    const route = await this.#router.route(keys);
    if (route.target === 'primary') return await fn(this.#primary);
    try {
      return await fn(this.#standby);
    } catch (err) {
      // The caller's errors (bad range, schema conflict) would be the same on the primary.
      if (!(err instanceof StorageEngineError)) throw err;
      this.#router.failed(err);
      return await fn(this.#primary);
    }
  }
}
