// The door of schema: schema documents, compatibility, the registry and its governance,
// the drift detector, the shipped schemas and the in-memory registry store.
export { COMPATIBILITY_MODES, DEFAULT_COMPATIBILITY, VALIDATION_MODES } from './schema-types.js';
export {
  SchemaDocumentError, InvalidSubjectError, IncompatibleSchemaError, PromotionRequiredError, PromotionRefusedError, DeleteRefusedError,
  GovernanceDocumentError,
} from './errors.js';
export { parseSchema, readSchemaDocument, canonicalSchema, schemaFingerprint, bundleFingerprint, renderSchema } from './schema-document.js';
export { checkCompatibility } from './compatibility.js';
export { createSchemaRegistry } from './schema-registry.js';
export { GLOBAL_CONFIG_SUBJECT, MAX_SUBJECT_LENGTH } from './registry-context.js';
export { REQUIRED_APPROVALS } from './governance.js';
export { renderGovernanceLog, renderGovernanceHeader, renderGovernanceEntry, GOVERNANCE_LOG_TITLE } from './governance-log.js';
export { createGovernanceDocument, GOVERNANCE_DOCUMENT_PATH } from './governance-document.js';
export { createDriftDetector } from './drift-detector.js';
export { SHIPPED_SCHEMAS, SHIPPED_SCHEMA_ACTOR, registerShippedSchemas, subjectForFrameSchema } from './shipped-schemas.js';
export { createMemoryRegistryStore } from './memory-registry-store.js';
export { createCachedRegistryStore } from './cached-registry-store.js';

export type {
  FieldType, SchemaField, ParsedSchema, CompatibilityMode, ValidationMode, SchemaVersion, CompatibilityResult,
  PromotionState, Promotion, AuditEntry, ValidationFailure,
} from './schema-types.js';
export type { RegistryStore } from './registry-store.js';
export type { PromotionRefusal, DeleteRefusal } from './errors.js';
export type { SchemaDocument } from './schema-document.js';
export type { SchemaRegistry, SchemaRegistryOptions, VersionRef, ListOptions } from './schema-registry.js';
export type { RegistryDefaults } from './registry-context.js';
export type { Governance, PromotionRequest, ValidationPlan, ValidationTarget } from './governance.js';
export type { GovernanceDocument } from './governance-document.js';
export type { DriftDetector, DriftReport, ObservedColumn, ObservedKind } from './drift-detector.js';
export type { ShippedSchema, ShippedSubject } from './shipped-schemas.js';
