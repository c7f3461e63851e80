/**
 * `SEAMLESS_*` environment overrides. Each variable maps to one config key; values are read as
 * YAML scalars (`9090` is a number, `true` a boolean). An unknown SEAMLESS_ variable is an
 * error naming it, so a typo never silently does nothing.
 */
import { parse as parseYamlScalar } from 'yaml';
import { InvalidRequestError } from '../core/index.js';

export const ENV_KEYS: Readonly<Record<string, string>> = Object.freeze({
  SEAMLESS_DATA_DIR: 'dataDir',
  SEAMLESS_HOST: 'server.host',
  SEAMLESS_PORT: 'server.port',
  SEAMLESS_STORAGE_ENGINE: 'storage.engine',
  SEAMLESS_STORAGE_PATH: 'storage.path',
  SEAMLESS_STORAGE_URL: 'storage.url',
  SEAMLESS_STORAGE_READ_URL: 'storage.readUrl',
  SEAMLESS_CACHE_ENABLED: 'cache.enabled',
  SEAMLESS_CACHE_MAX_BYTES: 'cache.maxBytes',
  SEAMLESS_CACHE_MAX_ENTRIES: 'cache.maxEntries',
  SEAMLESS_CACHE_TTL_MS: 'cache.ttlMs',
  SEAMLESS_MAX_BARS: 'limits.maxBars',
  SEAMLESS_LOG_LEVEL: 'logging.level',
  SEAMLESS_TRACING_ENDPOINT: 'tracing.endpoint',
  SEAMLESS_SLA_DIR: 'seamless.sla.dir',
  SEAMLESS_SLA_FORCE_DRY_RUN: 'seamless.sla.forceDryRun',
  SEAMLESS_CONFORMANCE_MODE: 'seamless.conformance.mode',
  SEAMLESS_CONFORMANCE_ENABLED: 'seamless.conformance.enabled',
  SEAMLESS_SCHEMA_VALIDATION_MODE: 'schema_registry.validation_mode',
  SEAMLESS_SCHEMA_COMPATIBILITY: 'schema_registry.compatibility',
  SEAMLESS_BACKFILL_ENDPOINT: 'seamless.backfill.endpoint',
  SEAMLESS_BACKFILL_BARS_PER_SHARD: 'seamless.backfill.barsPerShard',
  SEAMLESS_BACKFILL_CONCURRENCY: 'seamless.backfill.concurrency',
  SEAMLESS_BACKFILL_MAX_ATTEMPTS: 'seamless.backfill.maxAttempts',
  SEAMLESS_BACKFILL_SYNC_BUDGET_MS: 'seamless.backfill.syncBudgetMs',
  SEAMLESS_BACKFILL_STORE: 'seamless.backfill.store',
  SEAMLESS_BACKFILL_LEASE_MS: 'seamless.backfill.leaseMs',
  SEAMLESS_BACKFILL_LOCAL_WORKERS: 'seamless.backfill.localWorkers',
  SEAMLESS_BACKFILL_SUSPENDED: 'seamless.backfill.suspended',
});

/** Variables that are read elsewhere and are not config keys. */
const NON_KEY_VARS = new Set(['SEAMLESS_CONFIG', 'SEAMLESS_API_KEY', 'SEAMLESS_DEBUG']);

/**
 * The environment of this process (the one read of `process.env` in Seamless: only config reads
 * it). The CLI passes it to `loadConfig` and reads SEAMLESS_API_KEY and SEAMLESS_DEBUG from it.
 */
export function processEnvironment(): Readonly<Record<string, string | undefined>> {
  return process.env;
}

/** Applies the overrides found in `env` onto `target` (a plain object tree), in place. */
export function applyEnvOverrides(target: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): string[] {
  const applied: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('SEAMLESS_') || NON_KEY_VARS.has(name)) continue;
    const raw = env[name];
    if (raw === undefined) continue;
    const path = ENV_KEYS[name];
    if (path === undefined) {
      throw new InvalidRequestError(name, `unknown environment variable; known: ${[...Object.keys(ENV_KEYS), ...NON_KEY_VARS].join(', ')}`);
    }
    setPath(target, path.split('.'), parseScalar(raw));
    applied.push(name);
  }
  return applied;
}

function parseScalar(raw: string): unknown {
  try {
    const value: unknown = parseYamlScalar(raw);
    return value === null || typeof value === 'object' ? raw : value;
  } catch {
    // Not a YAML scalar (e.g. contains ': '): the raw string is what the user meant.
    return raw;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[path[i]] = {};
    node = node[path[i]] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}
