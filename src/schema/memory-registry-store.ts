/**
 * An in-memory `RegistryStore` (tests, `:memory:` setups). Global ids are allocated per
 * distinct fingerprint and shared by every subject that registers it, as the DuckDB store does.
 */
import type { RegistryStore } from './registry-store.js';
import type { AuditEntry, CompatibilityMode, Promotion, SchemaVersion, ValidationFailure, ValidationMode } from './schema-types.js';

/** Compatibility key of the registry-wide setting (a subject cannot be named this way: it is empty). */
const GLOBAL_KEY = '';

export function createMemoryRegistryStore(): RegistryStore {
  const versionsBySubject = new Map<string, SchemaVersion[]>();
  const idByFingerprint = new Map<string, number>();
  const schemaByIdMap = new Map<number, { readonly id: number; readonly schema: string; readonly fingerprint: string }>();
  const compatibility = new Map<string, CompatibilityMode>();
  const modes = new Map<string, ValidationMode>();
  const promotions = new Map<string, Promotion>();
  const auditLog: AuditEntry[] = [];
  const failures: ValidationFailure[] = [];

  return {
    async subjects(includeDeleted = false) {
      const out: string[] = [];
      for (const [subject, list] of versionsBySubject) if (list.some((v) => includeDeleted || !v.deleted)) out.push(subject);
      return out.sort();
    },
    async versions(subject) {
      return [...(versionsBySubject.get(subject) ?? [])];
    },
    async findByFingerprint(subject, fingerprint) {
      return versionsBySubject.get(subject)?.find((v) => v.fingerprint === fingerprint && !v.deleted);
    },
    async schemaById(id) {
      return schemaByIdMap.get(id);
    },
    async appendVersion(subject, schema, fingerprint, at) {
      let id = idByFingerprint.get(fingerprint);
      if (id === undefined) {
        id = idByFingerprint.size + 1;
        idByFingerprint.set(fingerprint, id);
        schemaByIdMap.set(id, Object.freeze({ id, schema, fingerprint }));
      }
      const list = versionsBySubject.get(subject) ?? [];
      const next = (list.at(-1)?.version ?? 0) + 1;
      const version: SchemaVersion = Object.freeze({ subject, version: next, id, schema, fingerprint, registeredAt: at, deleted: false });
      list.push(version);
      versionsBySubject.set(subject, list);
      return version;
    },
    async deleteVersions(subject, numbers, permanent) {
      const list = versionsBySubject.get(subject);
      if (list === undefined) return;
      const kept: SchemaVersion[] = [];
      for (const v of list) {
        if (!numbers.includes(v.version)) kept.push(v);
        else if (!permanent) kept.push(Object.freeze({ ...v, deleted: true }));
      }
      if (kept.length === 0) versionsBySubject.delete(subject);
      else versionsBySubject.set(subject, kept);
    },
    async compatibility(subject) {
      return compatibility.get(subject ?? GLOBAL_KEY);
    },
    async setCompatibility(subject, mode) {
      compatibility.set(subject ?? GLOBAL_KEY, mode);
    },
    async validationMode(subject) {
      return modes.get(subject);
    },
    async setValidationMode(subject, mode) {
      modes.set(subject, mode);
    },
    async savePromotion(promotion) {
      promotions.set(promotion.id, Object.freeze({ ...promotion, approvals: Object.freeze([...promotion.approvals]) }));
    },
    async promotion(id) {
      return promotions.get(id);
    },
    async promotions(subject) {
      const all = [...promotions.values()].filter((p) => subject === undefined || p.subject === subject);
      return all.sort((a, b) => a.requestedAt - b.requestedAt);
    },
    async appendAudit(entry) {
      const saved: AuditEntry = Object.freeze({ ...entry, seq: auditLog.length + 1, approvers: Object.freeze([...entry.approvers]) });
      auditLog.push(saved);
      return saved;
    },
    async audit(subject) {
      return auditLog.filter((e) => subject === undefined || e.subject === subject);
    },
    async recordValidationFailure(failure) {
      failures.push(Object.freeze({ ...failure, messages: Object.freeze([...failure.messages]) }));
    },
    async validationFailures(subject, since) {
      return failures.filter((f) => f.subject === subject && f.at >= since);
    },
  };
}
