// The internal door of config, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { DEMO_SOURCES, demoConfig } from './demo-config.js';
export { ENV_KEYS } from './env-overrides.js';
export { DEFAULT_PORT, SeamlessConfigSchema } from './config-schema.js';
