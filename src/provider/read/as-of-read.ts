/**
 * Point-in-time reads (`asOf`): the pipeline runs unchanged on a view of storage as it was known
 * at `asOf` (BarStore.readAsOf / coverageAsOf, src/storage/bar-versions.ts). The view answers the
 * steps' `read` and `coverage` from the versioned tables and records the versions that served; the
 * read's deps drop the live hub (live bars were not stored then) and the response cache (an
 * as-of answer is read from the versions every time, so no cached answer of another time, newer
 * or older, can be served for it). Backfill is refused by the strategy (strategy-runner.ts): what
 * is fetched now was not known then.
 */
import { InternalError, InvalidRequestError } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type { BarStore, CoverageRange, DatasetKey } from '../../storage/index.js';
import type { DataProviderDeps } from './read-context.js';

/** The versions that served an as-of read, filled as storage answers (read-metadata.ts reports them). */
export interface AsOfServed {
  readonly ids: Set<number>;
  newestAt: number | undefined;
}

/** The downgrade reason of an as-of read whose bars were not known at its asOf (answered partial). */
export const AS_OF_NOT_KNOWN = 'as_of_not_known';

export function newAsOfServed(): AsOfServed {
  return { ids: new Set(), newestAt: undefined };
}

/** What metadata says of the versions: ids ascending and the newest version time; null for a plain read. */
export function servedVersions(served: AsOfServed | undefined): { readonly ids: number[]; readonly newestAt: number | null } | null {
  if (served === undefined) return null;
  return { ids: [...served.ids].sort((a, b) => a - b), newestAt: served.newestAt ?? null };
}

/** The deps of an as-of read: storage as of `asOf` (on `store`, the instance's own), no live hub, no response cache. */
export function asOfDeps(deps: DataProviderDeps, store: BarStore, asOf: number, served: AsOfServed): DataProviderDeps {
  return { ...deps, store: asOfView(store, asOf, served), live: undefined, cache: undefined };
}

function asOfView(store: BarStore, asOf: number, served: AsOfServed): BarStore {
  const { readAsOf, coverageAsOf } = store;
  if (readAsOf === undefined || coverageAsOf === undefined) {
    throw new InvalidRequestError('asOf', `the ${store.engine} storage keeps no versions, so it cannot answer as of a time`);
  }
  const readOnly = (operation: string) => (): Promise<never> => Promise.reject(new InternalError(`${operation} on the as-of view of storage: an as-of read never writes`));
  return {
    engine: store.engine,
    async read(dataset: DatasetKey, schema: FrameSchema, range: TimeRange): Promise<Frame> {
      const answer = await readAsOf.call(store, dataset, schema, range, asOf);
      for (const id of answer.versions) served.ids.add(id);
      if (answer.newestVersionAt !== undefined && (served.newestAt === undefined || answer.newestVersionAt > served.newestAt)) served.newestAt = answer.newestVersionAt;
      return answer.frame;
    },
    coverage: (dataset: DatasetKey, range?: TimeRange): Promise<CoverageRange[]> => coverageAsOf.call(store, dataset, asOf, range),
    write: readOnly('write'),
    advanceFence: readOnly('advanceFence'),
    markFailed: readOnly('markFailed'),
    purge: readOnly('purge'),
    repairAudit: (filter) => store.repairAudit(filter),
    datasets: () => store.datasets(),
    coverageSummary: () => store.coverageSummary(),
    datedCoverage: (dataset, range) => store.datedCoverage(dataset, range),
    ping: () => store.ping(),
    close: () => Promise.resolve(),
  };
}
