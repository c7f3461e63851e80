/**
 * Repair: purging a range of a dataset (DELETE /v1/bars, `seamless purge`) and the purge that
 * starts a forced backfill (`seamless backfill --force`). In order:
 *   1. the request is checked (dataset known, times parsed, range on the grid, within the job
 *      limits) before anything changes;
 *   2. the coordinator resets the shard leases covering the range (the shards stop counting as
 *      done, a worker holding an older grant is fenced off) — first, so that a crash after it
 *      only makes the next job re-check stored shards, never hides a hole behind a done shard;
 *   3. storage purges rows, coverage and findings of the range in ONE transaction carrying those
 *      fences, with its audit row (BarStore.purge); a backfill write that won the race makes the
 *      purge fail whole with `stale_fencing_token` (409), to be retried;
 *   4. the response cache's segments of the dataset (and the conformance verdicts memoised on
 *      them) are dropped, the purge is counted and logged.
 */
import { InvalidRequestError, formatInterval, parseInterval, parseTime } from '../core/index.js';
import type { TimeRange } from '../core/index.js';
import type { Logger, SeamlessMetrics } from '../observability/index.js';
import type { BarStore, Fence, PurgeReport, RepairAction, RepairAuditEntry } from '../storage/index.js';
import type { DatasetKey } from '../storage/index.js';
import type { ResolvedDataset } from './dataset-catalog.js';
import { UnknownDatasetError } from './errors.js';
import { PurgeNeedsCoordinatorError } from './errors.js';
import { datasetKeyPrefix } from './response-cache.js';
import type { ResponseCache } from './response-cache.js';
import { validateNodeId } from './read/fetch-request.js';

/** The most audit entries one request lists. */
export const MAX_AUDIT_LIMIT = 1000;

export interface PurgeCommand {
  readonly nodeId: string;
  readonly interval: string | number;
  readonly start: string | number;
  readonly end: string | number;
  /** The API key name (`anonymous` without keys), or `cli` for an embedded command. */
  readonly actor: string;
}

export interface PurgeOutcome extends PurgeReport {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly start: number;
  readonly end: number;
}

export interface RepairDeps {
  readonly store: BarStore;
  readonly resolve: (nodeId: string, intervalMs: number) => Promise<ResolvedDataset | undefined>;
  /** The distributed coordinator's reset (DistributedCoordinator.resetRange); undefined with a remote coordinator. */
  readonly resetRange: ((dataset: DatasetKey, range: TimeRange, reason: string) => Promise<Fence[]>) | undefined;
  /** `seamless.backfill.endpoint`, named in the refusal when resetRange is undefined. */
  readonly coordinatorEndpoint: string;
  readonly cache: ResponseCache | undefined;
  readonly metrics: SeamlessMetrics;
  readonly logger: Logger;
}

export interface Repair {
  /**
   * Checks, resets the leases, purges; `precheck` runs on the resolved dataset before anything
   * changes (a forced backfill refuses a dataset with no source there, not after the purge).
   */
  purge(command: PurgeCommand, action: RepairAction, precheck?: (resolved: ResolvedDataset) => void): Promise<PurgeOutcome>;
  audit(filter: { readonly limit: number; readonly nodeId?: string }): Promise<RepairAuditEntry[]>;
}

export function createRepair(deps: RepairDeps): Repair {
  const { store, metrics, logger } = deps;
  return {
    async purge(command, action, precheck) {
      const nodeId = validateNodeId(command.nodeId, 'node');
      const intervalMs = parseInterval(command.interval, 'interval');
      const start = parseTime(command.start, 'start');
      const end = parseTime(command.end, 'end');
      if (end <= start) throw new InvalidRequestError('end', `must be after start (${start})`, { start, end });
      const resolved = await deps.resolve(nodeId, intervalMs);
      if (resolved === undefined) throw new UnknownDatasetError(nodeId, intervalMs);
      const { dataset } = resolved;
      const range = { start, end };
      // Checked here too (storage checks again): nothing is reset for a request storage would refuse.
      for (const [field, t] of [['start', start], ['end', end]] as const) {
        if (t % intervalMs !== 0) throw new InvalidRequestError(field, `must lie on the ${formatInterval(intervalMs)} grid of the dataset (a purge removes whole bars)`, { [field]: t });
      }
      precheck?.(resolved);
      if (deps.resetRange === undefined) throw new PurgeNeedsCoordinatorError(deps.coordinatorEndpoint);
      const fences = await deps.resetRange(dataset, range, `purged by ${command.actor} (${action}): re-fetched when a read or backfill asks`);
      let report: PurgeReport;
      try {
        report = await store.purge({ dataset, range, fences, actor: command.actor, action });
      } finally {
        // Also after a failure: whether it committed (a lost COMMIT) is unknown, and a stale cache must not outlive it.
        deps.cache?.invalidate(datasetKeyPrefix(nodeId, intervalMs));
      }
      const labels = { node_id: nodeId, interval: formatInterval(intervalMs), action };
      metrics.repairPurges.inc(labels);
      metrics.repairRowsRemoved.inc(labels, report.rowsRemoved);
      logger.warn({
        audit: report.audit.id, actor: command.actor, action, nodeId, intervalMs, start, end,
        rowsRemoved: report.rowsRemoved, findingsRetired: report.findingsRetired, shardsReset: fences.length,
      }, action === 'purge' ? 'range purged' : 'range purged for a forced backfill');
      return { nodeId, intervalMs, start, end, ...report };
    },

    async audit(filter) {
      if (!Number.isSafeInteger(filter.limit) || filter.limit < 1 || filter.limit > MAX_AUDIT_LIMIT) {
        throw new InvalidRequestError('limit', `must be an integer from 1 to ${MAX_AUDIT_LIMIT}`);
      }
      return await store.repairAudit(filter);
    },
  };
}
