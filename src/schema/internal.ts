// The internal door of schema, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { SHIPPED_SCHEMAS } from './shipped-schemas.js';
export { createCachedRegistryStore } from './cached-registry-store.js';
export { createMemoryRegistryStore } from './memory-registry-store.js';
export { checkCompatibility } from './compatibility.js';
export { parseSchema, bundleFingerprint, canonicalSchema, readSchemaDocument, renderSchema, schemaFingerprint } from './schema-document.js';
export { GOVERNANCE_LOG_TITLE, renderGovernanceLog } from './governance-log.js';
export { PromotionRefusedError, PromotionRequiredError, IncompatibleSchemaError, InvalidSubjectError } from './errors.js';

export type { RegistryDefaults } from './registry-context.js';
export type { ObservedColumn } from './drift-detector.js';
