// The door of config: the one place that reads YAML files and SEAMLESS_* variables.
export { DEFAULT_AS_OF_REGRESSION_POLICY, DEFAULT_LIVE_WAIT_MS, DEFAULT_MAX_INFLIGHT_READ_BARS, DEFAULT_STORAGE_VERSION_RETENTION_MS } from './config-schema.js';
export type { AsOfRegressionPolicy } from './config-schema.js';
export { loadConfig } from './load-config.js';
export { processEnvironment } from './env-overrides.js';

export type { SeamlessConfig, SeamlessConfigInput, ApiKeyConfig } from './config-schema.js';
export type { LiveFeedConfig, DuckDbStorageConfig, PostgresStorageConfig } from './config-schema.js';
export type { LoadConfigOptions } from './load-config.js';
