/**
 * `SeamlessApi`: what the gateway serves of one Seamless instance. The gateway declares the
 * surface it needs (the composition root in `src/app` builds an instance that has it), so the
 * HTTP layer never imports the root that builds it: `app` → `gateway`, never the reverse.
 * Routes take the two or three members they use (`Pick<SeamlessApi, …>`).
 */
import type { TimeRange } from '../core/index.js';
import type { BackfillEvent, LeaseAuthority, JobStatus, ShardPriority, ShardStatus } from '../backfill/index.js';
import type { SeamlessConfig } from '../config/index.js';
import type { ConformanceReport } from '../conformance/index.js';
import type { EventStream, Logger, SeamlessMetrics, Tracing } from '../observability/index.js';
import type {
  BarsEstimate, DatasetConditionAnswer, DatasetListing, EstimateRequest, FetchRequest, FetchResult, PurgeCommand, PurgeOutcome, Snapshots, UniverseRequest,
  UniverseResult,
} from '../provider/index.js';
import type { StreamService } from '../provider/index.js';
import type { SchemaRegistry } from '../schema/index.js';
import type { SlaPolicySet } from '../sla/index.js';
import type { UpstreamBudgets } from '../sources/index.js';
import type { CoverageRange, RepairAuditEntry, StorageFailure } from '../storage/index.js';
import type { DerivedBackfill, DerivedCoverageRange, DerivedFrom } from '../provider/index.js';

export interface BackfillCommand {
  readonly nodeId: string;
  readonly interval: string | number;
  readonly start: string | number;
  readonly end: string | number;
  readonly requestedBy?: string;
  /** `read` when a read waits on the job (a gateway's remote coordinator passes it on); default `background`. */
  readonly priority?: ShardPriority;
}

/** A universe read names its datasets (`nodes`) or a configured universe (`universe`, config `universes`), not both. */
export type UniverseFetch = Omit<UniverseRequest, 'nodes'> & { readonly nodes?: readonly string[]; readonly universe?: string };

export interface HealthCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface SeamlessApi {
  readonly config: SeamlessConfig;
  readonly metrics: SeamlessMetrics;
  readonly logger: Logger;
  /** OpenTelemetry spans (disabled without `tracing.endpoint`). */
  readonly tracing: Tracing;
  /** The schema registry (subjects, versions, compatibility, validation modes, governance). */
  readonly registry: SchemaRegistry;
  /** The SLA policies of `seamless.sla.dir` (after `forceDryRun`); undefined when none is configured. */
  readonly slaPolicies?: SlaPolicySet;
  /** The lease authority for remote workers and the lease API; undefined with `seamless.backfill.store: memory`. */
  readonly leaseAuthority: LeaseAuthority | undefined;
  /** Request budgets of the upstream exchanges (shared with the cluster; the coordinator serves them to workers). */
  readonly upstreams: UpstreamBudgets;
  /** The `seamless.backfill` stream with ids and a replay buffer (the gateway's SSE feed). */
  readonly events: EventStream<BackfillEvent>;
  /** The read: bars of one dataset over [start, end), with metadata. */
  fetch(request: FetchRequest): Promise<FetchResult>;
  /** The pre-flight estimate of a read: what it would store, backfill, request and answer, from coverage only. */
  estimate(request: EstimateRequest): Promise<BarsEstimate>;
  /** A universe read: many datasets over one interval and range, in long format, with metadata per dataset. */
  fetchUniverse(request: UniverseFetch): Promise<UniverseResult>;
  /** Of a derived interval: the base coverage in its buckets (src/provider/derived-interval.ts). */
  coverage(nodeId: string, interval: string | number, range?: TimeRange): Promise<(CoverageRange | DerivedCoverageRange)[]>;
  /** The base interval a derived interval of a dataset is read from; undefined when read as stored. */
  derivedFrom?(nodeId: string, interval: string | number): DerivedFrom | undefined;
  datasets(): Promise<DatasetListing[]>;
  /** The per-day condition of a dataset over [start, end) (UTC days, at most MAX_CONDITION_DAYS). */
  condition(nodeId: string, interval: string | number, start: string | number, end: string | number): Promise<DatasetConditionAnswer & { readonly nodeId: string; readonly interval: string; readonly derivedFrom?: DerivedFrom | null }>;
  /** Starts a backfill job (returns at once); progress via backfillJob/waitBackfill. */
  backfill(command: BackfillCommand): Promise<JobStatus & { readonly derivedFrom?: DerivedBackfill }>;
  backfillJob(id: string): (JobStatus & { readonly shardList: readonly ShardStatus[] }) | undefined;
  backfillJobs(): JobStatus[];
  /** Repair: removes rows, coverage and findings of a range in one fenced, audited transaction (provider/repair.ts). */
  purge(command: PurgeCommand): Promise<PurgeOutcome>;
  /** Repair: purges the range (action `force_backfill`) then starts a backfill job of it; refused before the purge when it could not backfill. */
  forceBackfill(command: BackfillCommand & { readonly actor: string }): Promise<{ readonly purge: PurgeOutcome; readonly job: JobStatus }>;
  /** The repair audit, newest first. */
  repairAudit(filter: { readonly limit: number; readonly nodeId?: string }): Promise<RepairAuditEntry[]>;
  /** Archived conformance reports, newest first. */
  reports(filter: { nodeId?: string; intervalMs?: number; limit?: number }): Promise<ConformanceReport[]>;
  report(id: string): Promise<ConformanceReport | undefined>;
  health(): Promise<Record<string, HealthCheck>>;
  /** Named, immutable snapshots: create, list, show, read by name, export, import, delete (provider/snapshots). */
  readonly snapshots: Snapshots;
  /** Subscriptions (GET /v1/stream, docs/streaming.md); absent: the routes are not served. */
  readonly stream?: StreamService;
  /** The storage failure that makes /readyz red (reason, message, since), if any: no I/O. */
  storageFailure(): StorageFailure | undefined;
}
