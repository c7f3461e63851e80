/**
 * What each command uses of an opened Seamless, declared in one place: a narrow `Pick` per
 * command, so a command sees the two or three things it calls and this file is the review of
 * the CLI's dependencies on the instance. `openSeamless`/`withSeamless` (options.ts) open the
 * instance; each command receives it as its own type. The gateway commands (`serve`,
 * `coordinator serve`) hand the whole instance to the gateway, which declares what it uses
 * (`SeamlessApi`).
 */
import type { Seamless } from '../app/index.js';

export type FetchDeps = Pick<Seamless, 'fetch' | 'estimate' | 'fetchUniverse' | 'snapshots'>;
export type CoverageDeps = Pick<Seamless, 'coverage' | 'derivedFrom'>;
export type DatasetsDeps = Pick<Seamless, 'datasets'>;
export type ImportDeps = Pick<Seamless, 'import'>;
export type ReportDeps = Pick<Seamless, 'reports' | 'report'>;
export type SchemaDeps = Pick<Seamless, 'registry'>;
export type HealthDeps = Pick<Seamless, 'health' | 'close'>;
export type BackfillDeps = Pick<Seamless, 'subscribe' | 'backfill' | 'backfillJob' | 'waitBackfill' | 'close' | 'forceBackfill'>;
export type PurgeDeps = Pick<Seamless, 'purge'>;
export type SnapshotDeps = Pick<Seamless, 'snapshots'>;
/** The example request `serve` prints: the first dataset, and whether keys are required. */
export type ServeExampleDeps = Pick<Seamless, 'config' | 'datasets'>;
