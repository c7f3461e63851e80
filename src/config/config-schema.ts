/**
 * The one typed configuration of Seamless, described once with zod. Defaults are named
 * constants beside the schema; every object is `.strict()` so a typo fails at start with the
 * key named.
 */
import { z } from 'zod';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_DATA_DIR = './.seamless';
export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
export const DEFAULT_MAX_BARS = 2_000_000;
export const DEFAULT_BARS_PER_SHARD = 1_000;
export const DEFAULT_BACKFILL_CONCURRENCY = 4;
export const DEFAULT_BACKFILL_MAX_ATTEMPTS = 3;
export const DEFAULT_BACKFILL_BASE_DELAY_MS = 200;
export const DEFAULT_SYNC_BACKFILL_BUDGET_MS = 30_000;
export const DEFAULT_PRICE_JUMP_MAX_ABS_LOG_RETURN = 0.25;
export const DEFAULT_STALE_PRICE_MIN_RUN = 120;
export const DEFAULT_WIDE_SPREAD_MAX_RELATIVE = 0.05;
export const DEFAULT_COMPLETENESS_WINDOW_BARS = 1440;
export const DEFAULT_CANARY_WINDOW_MS = 48 * 3_600_000;
export const DEFAULT_LEASE_MS = 15_000;
export const DEFAULT_HEARTBEAT_MS = 5_000;
export const DEFAULT_EVENTS_NATS_STREAM = 'SEAMLESS';
export const DEFAULT_EVENTS_NATS_SUBJECT = 'seamless.backfill';

const intervalName = z.union([z.string().min(1), z.number().int().positive()]);

export const SyntheticSourceConfig = z.object({
  kind: z.literal('synthetic'),
  seed: z.number().int().default(42),
  latencyMs: z.union([z.number().min(0), z.object({ min: z.number().min(0), max: z.number().min(0) }).strict()]).default(0),
  knownEmpty: z.enum(['none', 'weekends']).default('none'),
  defects: z.boolean().default(false),
  basePrice: z.number().positive().optional(),
  volatility: z.number().positive().optional(),
}).strict();

export const SourceConfig = z.discriminatedUnion('kind', [SyntheticSourceConfig]);

export const DatasetConfig = z.object({
  nodeId: z.string().min(1).max(256),
  intervals: z.array(intervalName).min(1),
  /** Name of an entry of `sources`, or omitted for a dataset filled only by `seamless import`. */
  source: z.string().min(1).optional(),
  schema: z.enum(['ohlcv', 'tick', 'quote']).default('ohlcv'),
  description: z.string().optional(),
  /** Schema registry subject checked on reads; default `seamless-<schema>`. */
  schemaSubject: z.string().min(1).max(255).optional(),
}).strict();

export const ApiKeyConfig = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-" (1-64)'),
  scopes: z.array(z.enum(['read', 'backfill', 'admin'])).min(1),
  /** `sha256:<hex>` of the secret; the secret itself is never stored. */
  secretHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>'),
  createdAt: z.string().optional(),
}).strict();

export const SeamlessConfigSchema = z.object({
  dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
  server: z.object({
    host: z.string().min(1).default(DEFAULT_HOST),
    port: z.number().int().min(0).max(65_535).default(DEFAULT_PORT),
  }).strict().prefault({}),
  storage: z.object({
    engine: z.enum(['duckdb']).default('duckdb'),
    /** Database file; relative to dataDir unless absolute. ':memory:' keeps nothing. */
    path: z.string().min(1).default('seamless.duckdb'),
  }).strict().prefault({}),
  cache: z.object({
    enabled: z.boolean().default(true),
    maxBytes: z.number().int().min(0).default(DEFAULT_CACHE_MAX_BYTES),
    maxEntries: z.number().int().min(0).default(DEFAULT_CACHE_MAX_ENTRIES),
    ttlMs: z.number().int().min(0).default(DEFAULT_CACHE_TTL_MS),
  }).strict().prefault({}),
  limits: z.object({
    maxBars: z.number().int().positive().default(DEFAULT_MAX_BARS),
  }).strict().prefault({}),
  auth: z.object({
    keys: z.array(ApiKeyConfig).default([]),
  }).strict().prefault({}),
  tracing: z.object({
    /** OTLP/HTTP endpoint (spans go to `<endpoint>/v1/traces`); unset: no tracing and no cost. Also OTEL_EXPORTER_OTLP_ENDPOINT. */
    endpoint: z.string().url().optional(),
    serviceName: z.string().min(1).default('seamless'),
    /** How long spans are batched before export. */
    exportDelayMs: z.number().int().min(0).default(1_000),
  }).strict().prefault({}),
  logging: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).strict().prefault({}),
  sources: z.record(z.string().min(1), SourceConfig).default({}),
  datasets: z.array(DatasetConfig).default([]),
  seamless: z.object({
    sla: z.object({
      /** Directory of SLA policy files (`*.yml`); unset: no policies (the shipped examples are in configs/seamless/sla). */
      dir: z.string().min(1).optional(),
    }).strict().prefault({}),
    conformance: z.object({
      /** `blocking` rejects reads with error-level findings (unless partial_ok); `shadow` only reports. */
      mode: z.enum(['blocking', 'shadow']).default('blocking'),
      enabled: z.boolean().default(true),
      priceJumpMaxAbsLogReturn: z.number().positive().default(DEFAULT_PRICE_JUMP_MAX_ABS_LOG_RETURN),
      stalePriceMinRun: z.number().int().min(2).default(DEFAULT_STALE_PRICE_MIN_RUN),
      wideSpreadMaxRelative: z.number().positive().default(DEFAULT_WIDE_SPREAD_MAX_RELATIVE),
      completenessWindowBars: z.number().int().positive().default(DEFAULT_COMPLETENESS_WINDOW_BARS),
    }).strict().prefault({}),
    backfill: z.object({
      /** `embedded` runs the coordinator in this process; a URL points at a coordinator service. */
      endpoint: z.string().min(1).default('embedded'),
      barsPerShard: z.number().int().positive().default(DEFAULT_BARS_PER_SHARD),
      concurrency: z.number().int().positive().default(DEFAULT_BACKFILL_CONCURRENCY),
      maxAttempts: z.number().int().positive().default(DEFAULT_BACKFILL_MAX_ATTEMPTS),
      baseDelayMs: z.number().int().min(0).default(DEFAULT_BACKFILL_BASE_DELAY_MS),
      /** How long the `seamless` strategy waits for a synchronous backfill before downgrading. */
      syncBudgetMs: z.number().int().positive().default(DEFAULT_SYNC_BACKFILL_BUDGET_MS),
      /**
       * Where leases live: `embedded` (the embedded database, one process), `etcd` (a cluster,
       * shared by coordinators and workers), or `memory` (the in-process coordinator, no leases).
       */
      store: z.enum(['embedded', 'etcd', 'memory']).default('embedded'),
      etcd: z.object({
        endpoints: z.array(z.string().min(1)).default([]),
        prefix: z.string().min(1).default('/seamless/backfill/'),
        callTimeoutMs: z.number().int().positive().default(2_000),
      }).strict().prefault({}),
      leaseMs: z.number().int().min(1_000).default(DEFAULT_LEASE_MS),
      heartbeatMs: z.number().int().min(100).default(DEFAULT_HEARTBEAT_MS),
      /** Workers fetching shards inside this process (default: `concurrency`); 0 leaves the work to `seamless worker`s. */
      localWorkers: z.number().int().min(0).optional(),
    }).strict().prefault({}),
    events: z.object({
      /** Also publish the `seamless.backfill` events to a NATS JetStream stream. */
      nats: z.object({
        servers: z.array(z.string().min(1)).min(1),
        stream: z.string().regex(/^[^\s.*>/\\]{1,255}$/, 'a JetStream stream name: no spaces, ".", "*", ">", "/" or "\\"').default(DEFAULT_EVENTS_NATS_STREAM),
        subject: z.string().regex(/^[^\s.*>]+(\.[^\s.*>]+)*$/, 'a literal NATS subject: dot-separated tokens, no wildcards or spaces').default(DEFAULT_EVENTS_NATS_SUBJECT),
      }).strict().optional(),
    }).strict().prefault({}),
  }).strict().prefault({}),
  schema_registry: z.object({
    /** Default validation mode of subjects without one: `canary` records, `strict` rejects. */
    validation_mode: z.enum(['canary', 'strict']).default('canary'),
    compatibility: z.enum(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE']).default('BACKWARD'),
    /** A promotion to strict is refused while the subject had canary failures this recently. */
    canary_window_ms: z.number().int().min(0).default(DEFAULT_CANARY_WINDOW_MS),
  }).strict().prefault({}),
}).strict();

export type SeamlessConfigInput = z.input<typeof SeamlessConfigSchema>;
export type SeamlessConfig = Readonly<z.infer<typeof SeamlessConfigSchema>>;
export type DatasetConfig = Readonly<z.infer<typeof DatasetConfig>>;
export type SourceConfig = Readonly<z.infer<typeof SourceConfig>>;
export type ApiKeyConfig = Readonly<z.infer<typeof ApiKeyConfig>>;
