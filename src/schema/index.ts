// The door of schema: schema documents, compatibility, the registry and its governance,
// the drift detector, the shipped schemas and the in-memory registry store.
export { COMPATIBILITY_MODES, VALIDATION_MODES } from './schema-types.js';
export { SchemaDocumentError } from './errors.js';
export { createSchemaRegistry } from './schema-registry.js';
export { REQUIRED_APPROVALS } from './governance.js';
export { createGovernanceDocument, GOVERNANCE_DOCUMENT_PATH } from './governance-document.js';
export { createDriftDetector } from './drift-detector.js';
export { registerShippedSchemas, subjectForFrameSchema } from './shipped-schemas.js';

export type {
  SchemaField, ParsedSchema, CompatibilityMode, ValidationMode, SchemaVersion, CompatibilityResult, Promotion, AuditEntry,
  ValidationFailure,
} from './schema-types.js';
export type { RegistryStore } from './registry-store.js';
export type { SchemaRegistry, VersionRef, ListOptions } from './schema-registry.js';
export type { ValidationTarget } from './governance.js';
export type { DriftDetector } from './drift-detector.js';
