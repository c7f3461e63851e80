/**
 * The registry's model. A Seamless schema is a JSON Schema document (a restricted subset, so any
 * Confluent-compatible client can parse it as `schemaType: "JSON"`) describing one row of a
 * dataset: an object whose properties are the columns, each with a field type:
 *
 *   float64    {"type": "number"}
 *   int64      {"type": "integer"}
 *   string     {"type": "string"}
 *   bool       {"type": "boolean"}
 *   timestamp  {"type": "integer", "$comment": "timestamp-millis"} (epoch ms, UTC; a comment, not
 *              `format`, because strict validators such as ajv reject unknown formats)
 *   enum       {"enum": ["a", "b"]}                                 (string symbols)
 *
 * Nullability: `"type": ["number", "null"]` (or an enum including null). Columns listed in
 * `required` must be present in a payload; others may be absent. `title` names the schema.
 */

export type FieldType = 'float64' | 'int64' | 'string' | 'bool' | 'timestamp' | 'enum';

export interface SchemaField {
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  /** Whether a payload must carry the column. */
  readonly required: boolean;
  /** For `enum`: the allowed symbols. */
  readonly symbols?: readonly string[];
}

export interface ParsedSchema {
  readonly title: string;
  readonly fields: readonly SchemaField[];
}

export const COMPATIBILITY_MODES = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const;
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityMode = 'BACKWARD';

export const VALIDATION_MODES = ['canary', 'strict'] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

/** One registered version of a subject. */
export interface SchemaVersion {
  readonly subject: string;
  readonly version: number;
  /** Global id, shared by every subject that registered the same canonical schema. */
  readonly id: number;
  /** The schema text as registered. */
  readonly schema: string;
  /** `sha256:` of the canonical form. */
  readonly fingerprint: string;
  readonly registeredAt: number;
  /** Soft-deleted (Confluent `DELETE` without `permanent`): hidden unless asked for with `deleted=true`. */
  readonly deleted: boolean;
}

export interface CompatibilityResult {
  readonly compatible: boolean;
  /** Each incompatibility in words, e.g. `field "volume" changed type from float64 to string`. */
  readonly messages: readonly string[];
}

export type PromotionState = 'pending' | 'approved' | 'rejected';

export interface Promotion {
  readonly id: string;
  readonly subject: string;
  readonly version: number;
  readonly requestedBy: string;
  readonly changeRequest: string;
  readonly requestedAt: number;
  readonly approvals: readonly { readonly identity: string; readonly at: number }[];
  readonly state: PromotionState;
  readonly decidedAt: number | undefined;
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: number;
  readonly action: 'promotion' | 'mode_change' | 'register' | 'config_change' | 'delete';
  readonly subject: string;
  readonly version: number | undefined;
  /** SHA-256 over every schema of the subject (the "bundle"), in version order. */
  readonly bundleSha: string;
  readonly approvers: readonly string[];
  readonly changeRequest: string | undefined;
  readonly canaryWindowMs: number | undefined;
  readonly canaryFailures: number | undefined;
  readonly actor: string;
  readonly detail: string;
}

/** A recorded validation failure (canary or strict), kept for the promotion window check. */
export interface ValidationFailure {
  readonly subject: string;
  readonly mode: ValidationMode;
  readonly at: number;
  readonly messages: readonly string[];
}
