/**
 * The one typed configuration of Seamless, described once with zod. Defaults are named
 * constants beside the schema; every object is `.strict()` so a typo fails at start with the
 * key named.
 */
import { z } from 'zod';
import { CALENDAR_NAMES, DEFAULT_CALENDAR, isSeamlessError, parseInterval } from '../core/index.js';
import { LiveFeedConfig } from './live-feed-config.js';
import { StreamConfig } from './stream-config.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
/** Headers must arrive within this (a slowloris dribbling them is cut). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A whole request (headers and body) must arrive within this; answers may take longer (long-polls, streams). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Idle keep-alive sockets are kept this long: above common clients' pools (undici 4 s, load balancers 60 s). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** How long a stopping gateway lets requests in flight finish before it cuts their sockets. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 1_024;
export const DEFAULT_DATA_DIR = './.seamless';
export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
export const DEFAULT_MAX_BARS = 2_000_000;
export const DEFAULT_BACKFILL_CONCURRENCY = 4;
/** Largest backfill job, in bars and in shards (POST /v1/backfills, POST /v1/jobs, a read's missing ranges). */
export const DEFAULT_MAX_BARS_PER_JOB = 2_000_000;
export const DEFAULT_MAX_SHARDS_PER_JOB = 10_000;
/** Bars all large reads in flight may request together (admission control); past it a read is answered 503 with Retry-After. */
export const DEFAULT_MAX_INFLIGHT_READ_BARS = 4_000_000;
export const DEFAULT_BACKFILL_MAX_ATTEMPTS = 3;
export const DEFAULT_BACKFILL_BASE_DELAY_MS = 200;
export const DEFAULT_SYNC_BACKFILL_BUDGET_MS = 30_000;
export const DEFAULT_PRICE_JUMP_MAX_ABS_LOG_RETURN = 0.25;
export const DEFAULT_STALE_PRICE_MIN_RUN = 120;
export const DEFAULT_WIDE_SPREAD_MAX_RELATIVE = 0.05;
export const DEFAULT_COMPLETENESS_WINDOW_BARS = 1440;
export const DEFAULT_CANARY_WINDOW_MS = 48 * 3_600_000;
/** Where the governance document goes (`<docs_dir>/operations/schema_registry_governance.md`); relative to dataDir. */
export const DEFAULT_REGISTRY_DOCS_DIR = 'docs';
/** How long a gateway may serve a registry answer after another gateway changed it (PostgreSQL storage). */
export const DEFAULT_REGISTRY_REFRESH_MS = 1_000;
export const DEFAULT_LEASE_MS = 15_000;
export const DEFAULT_HEARTBEAT_MS = 5_000;
/** Opaque (wire-protocol) lease keys: the same defaults as src/backfill/shard-transitions.ts. */
export const DEFAULT_OPAQUE_LEASE_MAX_KEYS = 10_000;
export const DEFAULT_OPAQUE_LEASE_GRACE_MS = 60_000;
/** KNOWN_EMPTY_RECHECK_MS of src/backfill/shard-transitions.ts. */
export const DEFAULT_KNOWN_EMPTY_RECHECK_MS = 3_600_000;
export const DEFAULT_EVENTS_NATS_STREAM = 'SEAMLESS';
export const DEFAULT_LIVE_WAIT_MS = 2_000;
/** What the domain gate does with a live/shadow read whose asOf went back (seamless.domain.asOfRegression). */
export const AS_OF_REGRESSION_POLICIES = ['hold', 'refuse'] as const;
export type AsOfRegressionPolicy = (typeof AS_OF_REGRESSION_POLICIES)[number];
export const DEFAULT_AS_OF_REGRESSION_POLICY: AsOfRegressionPolicy = 'hold';
export const DEFAULT_EVENTS_NATS_SUBJECT = 'seamless.backfill';
export const DEFAULT_LIVE_BUFFER_BARS = 10_000;
export const DEFAULT_LIVE_FLUSH_MS = 250;
export const DEFAULT_LIVE_FLUSH_BARS = 100;
export const DEFAULT_LIVE_MAX_GAP_BARS = 10_000;

const calendarError = `must be one of the calendars ${CALENDAR_NAMES.map((n) => JSON.stringify(n)).join(', ')} (docs/calendars.md)`;

const intervalName = z.union([z.string().min(1), z.number().int().positive()]);

export const SyntheticSourceConfig = z.object({
  kind: z.literal('synthetic'),
  seed: z.number().int().default(42),
  latencyMs: z.union([z.number().min(0), z.object({ min: z.number().min(0), max: z.number().min(0) }).strict()]).default(0),
  knownEmpty: z.enum(['none', 'weekends']).default('none'),
  /** Bars only in this calendar's open sessions; its closed time is answered known-empty (docs/calendars.md). */
  calendar: z.enum(CALENDAR_NAMES, { error: () => calendarError }).optional(),
  defects: z.boolean().default(false),
  basePrice: z.number().positive().optional(),
  volatility: z.number().positive().optional(),
}).strict();

export const DEFAULT_CCXT_TIMEOUT_MS = 10_000;

/** An exchange through ccxt: node ids `ohlcv:<exchange>:<symbol>` (docs/exchange-sources.md). */
export const CcxtSourceConfig = z.object({
  kind: z.literal('ccxt'),
  /** ccxt exchange id (`binance`, `kraken`, …); also the name of the upstream's shared request budget. */
  exchange: z.string().regex(/^[a-z][a-z0-9]*$/, 'a ccxt exchange id: lower-case letters and digits'),
  /** Merged into ccxt's `urls.api` (a local mirror, a regional host), e.g. `{ public: http://mirror/api/v3 }`. */
  urls: z.record(z.string().min(1), z.string().url()).optional(),
  /** The upstream's budget across all workers; default 1000 / ccxt's `rateLimit` ms per second, burst 1. */
  rateLimit: z.object({
    requestsPerSecond: z.number().positive(),
    burst: z.number().int().min(1).default(1),
  }).strict().optional(),
  /** Bars per request; default and maximum the exchange's documented maximum (500 when unknown). */
  pageLimit: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().default(DEFAULT_CCXT_TIMEOUT_MS),
  /** Merged into ccxt's `options` (e.g. `fetchMarkets: { types: [spot] }`). */
  options: z.record(z.string(), z.unknown()).optional(),
}).strict();

export const SourceConfig = z.discriminatedUnion('kind', [SyntheticSourceConfig, CcxtSourceConfig]);

export { CcxtProFeedConfig, LiveFeedConfig, WebSocketFeedConfig } from './live-feed-config.js';
export {
  DEFAULT_LIVE_CLOSE_GRACE_MS, DEFAULT_LIVE_IDLE_TIMEOUT_MS, DEFAULT_LIVE_RECONNECT_INITIAL_DELAY_MS, DEFAULT_LIVE_RECONNECT_MAX_DELAY_MS,
} from './live-feed-config.js';

export const DatasetConfig = z.object({
  nodeId: z.string().min(1).max(256),
  intervals: z.array(intervalName).min(1),
  /** Name of an entry of `sources`, or omitted for a dataset filled only by `seamless import`. */
  source: z.string().min(1).optional(),
  schema: z.enum(['ohlcv', 'tick', 'quote']).default('ohlcv'),
  description: z.string().optional(),
  /** Schema registry subject checked on reads; default `seamless-<schema>`. */
  schemaSubject: z.string().min(1).max(255).optional(),
  /** Name of an entry of `live.feeds`: the newest bars come from that feed. */
  live: z.string().min(1).optional(),
  /** The instrument as the live feed names it (ccxt unified symbol, or `{symbol}` of websocket templates); default nodeId. */
  liveSymbol: z.string().min(1).optional(),
  /** Coarser intervals (configured or asked for) are derived from stored bars of this one (docs/resampling.md). */
  baseInterval: intervalName.optional(),
  /** When the market is open (docs/calendars.md): `24/7` (default) or an exchange calendar such as `XNYS`. */
  calendar: z.enum(CALENDAR_NAMES, { error: () => calendarError }).default(DEFAULT_CALENDAR),
}).strict();

export const ApiKeyConfig = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-" (1-64)'),
  /** docs/configuration.md#auth: `admin` implies every scope; `worker` is what `seamless worker`s need. */
  scopes: z.array(z.enum(['read', 'backfill', 'worker', 'admin'])).min(1),
  /** `sha256:<hex>` of the secret; the secret itself is never stored. */
  secretHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>'),
  createdAt: z.string().optional(),
}).strict();

export const DEFAULT_STORAGE_POOL_MAX = 10;
export const DEFAULT_STORAGE_CONNECT_TIMEOUT_MS = 5_000;
/** How long superseded bar versions are kept for as_of reads (docs/storage.md#versions): 30 days. */
export const DEFAULT_STORAGE_VERSION_RETENTION_MS = 30 * 24 * 3_600_000;
/** Read replicas (docs/operations/deployment.md#read-replicas): lag bound and retry of a standby that is down. */
export const DEFAULT_STORAGE_MAX_REPLICA_LAG_MS = 5_000;
export const DEFAULT_STORAGE_REPLICA_RETRY_MS = 5_000;

/** `storage.engine: duckdb`: bars, coverage and everything else in the embedded file at `path`. */
export const DuckDbStorageConfig = z.object({
  engine: z.literal('duckdb'),
  /** Embedded database file; relative to dataDir unless absolute. ':memory:' keeps nothing. */
  path: z.string().min(1),
  versionRetentionMs: z.number().int().positive(),
}).strict();
export type DuckDbStorageConfig = Readonly<z.infer<typeof DuckDbStorageConfig>>;

/**
 * `storage.engine: postgres`: bars, coverage and ingest findings in the PostgreSQL database at
 * `url`; the embedded file at `path` still keeps the registry, reports and embedded leases.
 */
export const PostgresStorageConfig = z.object({
  engine: z.literal('postgres'),
  path: z.string().min(1),
  url: z.string(),
  pool: z.object({ max: z.number().int().positive() }).strict(),
  connectTimeoutMs: z.number().int().positive(),
  versionRetentionMs: z.number().int().positive(),
  /** A hot standby of `url` for reads of bars, coverage and the catalog. */
  readUrl: z.string().optional(),
  maxReplicaLagMs: z.number().int().positive(),
  replicaRetryMs: z.number().int().positive(),
}).strict();
export type PostgresStorageConfig = Readonly<z.infer<typeof PostgresStorageConfig>>;

/**
 * Where bars live: one member per engine (src/engines/<engine>), told apart by `engine`. The
 * YAML keys are read by one object schema (so unknown keys and bad values name their field),
 * then resolved into the member of the engine: a `url` with no `engine` selects postgres; the
 * PostgreSQL-only keys (`pool`, `connectTimeoutMs`) are accepted with duckdb, as they always
 * were, and dropped. Adding an engine: a member here and a `case` in the composition root.
 */
export const StorageConfig = z.object({
  engine: z.enum(['duckdb', 'postgres']).optional(),
  path: z.string().min(1).default('seamless.duckdb'),
  url: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL, e.g. postgres://seamless:secret@db.internal:5432/seamless').optional(),
  pool: z.object({
    max: z.number().int().positive().default(DEFAULT_STORAGE_POOL_MAX),
  }).strict().prefault({}),
  connectTimeoutMs: z.number().int().positive().default(DEFAULT_STORAGE_CONNECT_TIMEOUT_MS),
  // At least a minute: pruning runs on a timer, and a shorter horizon would refuse as_of reads of the last write.
  versionRetentionMs: z.number().int().min(60_000).default(DEFAULT_STORAGE_VERSION_RETENTION_MS),
  readUrl: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be the postgres:// URL of a hot standby of storage.url').optional(),
  maxReplicaLagMs: z.number().int().positive().default(DEFAULT_STORAGE_MAX_REPLICA_LAG_MS),
  replicaRetryMs: z.number().int().min(100).default(DEFAULT_STORAGE_REPLICA_RETRY_MS),
}).strict().superRefine((s, ctx) => {
  if (s.readUrl !== undefined && s.url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['readUrl'], message: 'is a standby of storage.url, which is not set (read replicas need storage.engine postgres)' });
  }
  if (s.engine === 'postgres' && s.url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required when storage.engine is postgres (e.g. postgres://seamless:secret@127.0.0.1:5432/seamless)' });
  }
  if (s.engine === 'duckdb' && s.url !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'is set but storage.engine is duckdb; drop storage.engine (a url selects postgres) or storage.url' });
  }
}).transform((s) => (s.url === undefined
  ? { engine: 'duckdb' as const, path: s.path, versionRetentionMs: s.versionRetentionMs }
  : {
      engine: 'postgres' as const, path: s.path, url: s.url, pool: s.pool, connectTimeoutMs: s.connectTimeoutMs, versionRetentionMs: s.versionRetentionMs,
      readUrl: s.readUrl, maxReplicaLagMs: s.maxReplicaLagMs, replicaRetryMs: s.replicaRetryMs,
    }
)).pipe(z.discriminatedUnion('engine', [DuckDbStorageConfig, PostgresStorageConfig]));

/** OTLP/HTTP exporters speak HTTP only: a file:// or grpc:// endpoint would drop every span silently. */
function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

export const SeamlessConfigSchema = z.object({
  dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
  server: z.object({
    host: z.string().min(1).default(DEFAULT_HOST),
    port: z.number().int().min(0).max(65_535).default(DEFAULT_PORT),
    headersTimeoutMs: z.number().int().min(100).default(DEFAULT_HEADERS_TIMEOUT_MS),
    requestTimeoutMs: z.number().int().min(100).default(DEFAULT_REQUEST_TIMEOUT_MS),
    keepAliveTimeoutMs: z.number().int().min(1_000).default(DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
    maxConnections: z.number().int().min(1).default(DEFAULT_MAX_CONNECTIONS),
    shutdownGraceMs: z.number().int().min(0).default(DEFAULT_SHUTDOWN_GRACE_MS),
  }).strict().superRefine((s, ctx) => {
    if (s.requestTimeoutMs < s.headersTimeoutMs) {
      ctx.addIssue({ code: 'custom', path: ['requestTimeoutMs'], message: `must be at least server.headersTimeoutMs (${s.headersTimeoutMs}): the request timeout covers the headers too` });
    }
  }).prefault({}),
  storage: StorageConfig.prefault({}),
  cache: z.object({
    enabled: z.boolean().default(true),
    // Zero would keep the cache "on" (metrics, health) while it stores nothing: cache.enabled: false is the off switch.
    maxBytes: z.number().int().min(1, 'must be a positive number of bytes; to turn the response cache off, set cache.enabled: false').default(DEFAULT_CACHE_MAX_BYTES),
    maxEntries: z.number().int().min(1, 'must be a positive number of entries; to turn the response cache off, set cache.enabled: false').default(DEFAULT_CACHE_MAX_ENTRIES),
    ttlMs: z.number().int().min(0).default(DEFAULT_CACHE_TTL_MS),
  }).strict().prefault({}),
  limits: z.object({
    maxBars: z.number().int().positive().default(DEFAULT_MAX_BARS),
    /** Admission control: bars the large reads in flight may request together (reads of at most 10,000 bars are always admitted). */
    maxInflightReadBars: z.number().int().positive().default(DEFAULT_MAX_INFLIGHT_READ_BARS),
  }).strict().prefault({}),
  auth: z.object({
    keys: z.array(ApiKeyConfig).default([]),
  }).strict().prefault({}),
  tracing: z.object({
    /** OTLP/HTTP endpoint (spans go to `<endpoint>/v1/traces`); unset: no tracing and no cost. Also OTEL_EXPORTER_OTLP_ENDPOINT. */
    endpoint: z.string().url().refine(isHttpUrl, 'must be an http:// or https:// URL (OTLP/HTTP), e.g. http://127.0.0.1:4318').optional(),
    serviceName: z.string().min(1).default('seamless'),
    /** How long spans are batched before export. */
    exportDelayMs: z.number().int().min(0).default(1_000),
  }).strict().prefault({}),
  logging: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).strict().prefault({}),
  sources: z.record(z.string().min(1), SourceConfig).default({}),
  datasets: z.array(DatasetConfig).default([]),
  /** Named universes for universe reads (`universe=NAME`): name → node ids (1 to 10,000 each). */
  universes: z.record(
    z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a universe name: letters, digits, ".", "_" or "-" (1-64)'),
    z.array(z.string().regex(/^[\x20-\x7E]{1,256}$/, 'a node id: 1-256 printable ASCII characters')).min(1, 'must list at least one node id').max(10_000, 'must list at most 10,000 node ids'),
  ).default({}),
  /** Subscriptions (GET /v1/stream): stream-config.ts. */
  stream: StreamConfig.prefault({}),
  live: z.object({
    feeds: z.record(z.string().min(1), LiveFeedConfig).default({}),
    /** Closed bars kept in memory per live dataset. */
    bufferBars: z.number().int().positive().default(DEFAULT_LIVE_BUFFER_BARS),
    /** Write closed live bars to storage (with their coverage). */
    writeThrough: z.boolean().default(true),
    flushMs: z.number().int().positive().default(DEFAULT_LIVE_FLUSH_MS),
    flushBars: z.number().int().positive().default(DEFAULT_LIVE_FLUSH_BARS),
    /** Longest gap backfilled after a reconnect or at start (its newest bars). */
    maxGapBars: z.number().int().positive().default(DEFAULT_LIVE_MAX_GAP_BARS),
    /** How long a read reaching the present waits for the newest closed live bar (an SLA `live` budget can cut it shorter). */
    waitMs: z.number().int().min(0).default(DEFAULT_LIVE_WAIT_MS),
  }).strict().prefault({}),
  seamless: z.object({
    domain: z.object({
      /** A live/shadow read whose asOf is older than one already served for its (world, node): `hold` answers it downgraded, `refuse` answers 422 domain_policy. */
      asOfRegression: z.enum(AS_OF_REGRESSION_POLICIES).default(DEFAULT_AS_OF_REGRESSION_POLICY),
    }).strict().prefault({}),
    sla: z.object({
      /** Directory of SLA policy files (`*.yml`); unset: no policies (the shipped examples are in configs/seamless/sla). */
      dir: z.string().min(1).optional(),
      /** Rollback switch: every policy runs as `dry-run` (measured and reported, never acted upon). */
      forceDryRun: z.boolean().default(false),
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
      /**
       * One shard size for every interval; unset (default): the per-interval policy (src/backfill/shard-size.ts,
       * docs/backfill-coordinator.md), with `barsPerShardByInterval` overriding its entries.
       */
      barsPerShard: z.number().int().positive().optional(),
      barsPerShardByInterval: z.record(z.string(), z.number().int().positive()).default({}).superRefine((byInterval, ctx) => {
        for (const name of Object.keys(byInterval)) {
          if (!isIntervalName(name)) ctx.addIssue({ code: 'custom', path: [name], message: `${JSON.stringify(name)} is not an interval (1s, 5s, 1m, … 1w, or a positive integer of ms)` });
        }
      }),
      /** Largest job: more bars (or shards) is refused with 400 naming `end` and the limit, before any shard is built. */
      maxBarsPerJob: z.number().int().positive().default(DEFAULT_MAX_BARS_PER_JOB),
      maxShardsPerJob: z.number().int().positive().default(DEFAULT_MAX_SHARDS_PER_JOB),
      concurrency: z.number().int().positive().default(DEFAULT_BACKFILL_CONCURRENCY),
      maxAttempts: z.number().int().positive().default(DEFAULT_BACKFILL_MAX_ATTEMPTS),
      baseDelayMs: z.number().int().min(0).default(DEFAULT_BACKFILL_BASE_DELAY_MS),
      /**
       * Rollback switch: reads prefer stored data and start no backfill (missing ranges come back
       * as a partial answer, downgraded with reason `backfill_suspended`); backfill commands are
       * refused. For riding out a coordinator or etcd outage.
       */
      suspended: z.boolean().default(false),
      /** How long the `seamless` strategy waits for a synchronous backfill before downgrading. */
      syncBudgetMs: z.number().int().positive().default(DEFAULT_SYNC_BACKFILL_BUDGET_MS),
      /**
       * Where leases live: `embedded` (the embedded database, one process), `etcd` (a cluster,
       * shared by coordinators and workers), or `memory` (leases kept in this process only, lost at exit).
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
      /**
       * Lease keys of the wire protocol that no job created (`POST /v1/leases/claim` with a new key):
       * at most `maxKeys` live at once (a new one beyond is refused, 503 `overloaded` naming the limit),
       * each deleted `graceMs` after its lease ended or it was released.
       */
      opaqueLeases: z.object({
        maxKeys: z.number().int().positive().default(DEFAULT_OPAQUE_LEASE_MAX_KEYS),
        graceMs: z.number().int().min(0).default(DEFAULT_OPAQUE_LEASE_GRACE_MS),
      }).strict().prefault({}),
      /** A `known_empty` range decided this long ago or longer is asked of the upstream again when a job wants it. */
      knownEmptyRecheckMs: z.number().int().min(0).default(DEFAULT_KNOWN_EMPTY_RECHECK_MS),
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
    /** Docs directory of the governance document; relative to dataDir unless absolute. */
    docs_dir: z.string().min(1).default(DEFAULT_REGISTRY_DOCS_DIR),
    /** With shared (PostgreSQL) storage: the bound on how stale a cached registry answer may be. */
    refresh_ms: z.number().int().min(10).max(60_000).default(DEFAULT_REGISTRY_REFRESH_MS),
  }).strict().prefault({}),
}).strict();

export type SeamlessConfigInput = z.input<typeof SeamlessConfigSchema>;
export type SeamlessConfig = Readonly<z.infer<typeof SeamlessConfigSchema>>;
export type DatasetConfig = Readonly<z.infer<typeof DatasetConfig>>;
export type SourceConfig = Readonly<z.infer<typeof SourceConfig>>;
export type ApiKeyConfig = Readonly<z.infer<typeof ApiKeyConfig>>;
export type LiveFeedConfig = Readonly<z.infer<typeof LiveFeedConfig>>;

/** Whether `name` parses as an interval (`1m`, `1h`, … or a positive integer of ms). */
function isIntervalName(name: string): boolean {
  try {
    parseInterval(name);
    return true;
  } catch (error) {
    if (isSeamlessError(error)) return false;
    throw error;
  }
}
