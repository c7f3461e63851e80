// The door of config: the one place that reads YAML files and SEAMLESS_* variables.
export {
  SeamlessConfigSchema, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_DATA_DIR, DEFAULT_MAX_BARS, DEFAULT_BARS_PER_SHARD, DEFAULT_LIVE_WAIT_MS,
  DEFAULT_MAX_INFLIGHT_READ_BARS, DEFAULT_MAX_BARS_PER_JOB, DEFAULT_MAX_SHARDS_PER_JOB,
} from './config-schema.js';
export { loadConfig, DEFAULT_CONFIG_FILE } from './load-config.js';
export { demoConfig, DEMO_DATASETS } from './demo-config.js';
export { ENV_KEYS, applyEnvOverrides, processEnvironment } from './env-overrides.js';

export type { SeamlessConfig, SeamlessConfigInput, DatasetConfig, SourceConfig, ApiKeyConfig } from './config-schema.js';
export type { LiveFeedConfig, DuckDbStorageConfig, PostgresStorageConfig } from './config-schema.js';
export type { LoadConfigOptions, LoadedConfig } from './load-config.js';
