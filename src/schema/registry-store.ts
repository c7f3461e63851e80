/**
 * Persistence of the schema registry. The registry owns this interface; the engines (DuckDB
 * embedded, PostgreSQL shared by many gateways) and an in-memory store (tests) implement it.
 * Every method is atomic.
 */
import type {
  AuditEntry, CompatibilityMode, Promotion, SchemaVersion, ValidationFailure, ValidationMode,
} from './schema-types.js';

export interface RegistryStore {
  /**
   * Optional, for a store other processes write too (PostgreSQL): a number that moves whenever
   * any of them changes what `subjects`, `versions`, `compatibility` or `validationMode` answer.
   * The registry's cache polls it (cached-registry-store.ts) and drops what it holds when it moved.
   */
  changeCount?(): Promise<number>;
  /**
   * Optional, for a store other processes write too: runs `task` while holding a lock every
   * process sharing the store respects, so a read-decide-write sequence (an approval, a
   * registration's compatibility check) cannot interleave with another process's. The
   * registry runs its serial sequences through it (registry-context.ts).
   */
  exclusive?<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Subjects with at least one version that is not soft-deleted, sorted; with `includeDeleted`,
   * every subject with a stored version (soft-deleted or not).
   */
  subjects(includeDeleted?: boolean): Promise<string[]>;
  /**
   * Every stored version of a subject, soft-deleted ones included (`deleted: true`), ascending;
   * empty for an unknown subject. Callers filter what they show.
   */
  versions(subject: string): Promise<SchemaVersion[]>;
  /** The first version of the subject registered with this fingerprint that is not soft-deleted, if any. */
  findByFingerprint(subject: string, fingerprint: string): Promise<SchemaVersion | undefined>;
  /** The schema text with this global id, if any. */
  schemaById(id: number): Promise<{ readonly id: number; readonly schema: string; readonly fingerprint: string } | undefined>;
  /**
   * Appends the next version of `subject`. The global id is reused when any subject already has
   * the same fingerprint, else allocated. The version number follows the highest stored one
   * (soft-deleted included). Returns the new version.
   */
  appendVersion(subject: string, schema: string, fingerprint: string, at: number): Promise<SchemaVersion>;
  /**
   * Soft-deletes (marks `deleted`) or, with `permanent`, removes these stored versions of the
   * subject; unknown numbers are ignored. Global ids and their schema texts stay (`schemaById`
   * still answers). The registry checks Confluent's preconditions before calling this.
   */
  deleteVersions(subject: string, versions: readonly number[], permanent: boolean, at: number): Promise<void>;
  /** Compatibility of a subject, or of the registry when `subject` is undefined; undefined when unset. */
  compatibility(subject: string | undefined): Promise<CompatibilityMode | undefined>;
  setCompatibility(subject: string | undefined, mode: CompatibilityMode): Promise<void>;
  /** Validation mode of a subject; undefined when unset (the configured default applies). */
  validationMode(subject: string): Promise<ValidationMode | undefined>;
  setValidationMode(subject: string, mode: ValidationMode): Promise<void>;
  savePromotion(promotion: Promotion): Promise<void>;
  promotion(id: string): Promise<Promotion | undefined>;
  /** Promotions (of one subject, or all) by `requestedAt` ascending; `savePromotion` replaces by id. */
  promotions(subject?: string): Promise<Promotion[]>;
  /** Appends to the audit log (append-only) and returns the entry with its sequence number. */
  appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry>;
  /** Audit entries (of one subject, or all) by `seq` ascending. */
  audit(subject?: string): Promise<AuditEntry[]>;
  recordValidationFailure(failure: ValidationFailure): Promise<void>;
  /** Failures of `subject` at or after `since`. */
  validationFailures(subject: string, since: number): Promise<ValidationFailure[]>;
}
