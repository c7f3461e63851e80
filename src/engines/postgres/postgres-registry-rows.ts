/**
 * Rows of the registry tables (selected by postgres-registry-store.ts, bigint columns cast to
 * float8, JSONB parsed by pg) as the registry's records. A malformed JSON column is a
 * StorageEngineError naming it, never a silently wrong record.
 */
import type { AuditEntry, Promotion, SchemaVersion } from '../../schema/index.js';
import { StorageEngineError } from '../../storage/index.js';
import { ENGINE } from './postgres-errors.js';

export interface VersionRow extends Record<string, unknown> {
  subject: string; version: number; id: number; schema: string; fingerprint: string; registered_at: number; deleted: boolean;
}
export interface PromotionRow extends Record<string, unknown> {
  id: string; subject: string; version: number; requested_by: string; change_request: string; requested_at: number;
  approvals: unknown; state: string; decided_at: number | null;
}
export interface AuditRow extends Record<string, unknown> {
  seq: number; at: number; action: string; subject: string; version: number | null; bundle_sha: string; approvers: unknown;
  change_request: string | null; canary_window_ms: number | null; canary_failures: number | null; actor: string; detail: string;
}

export function toSchemaVersion(row: VersionRow): SchemaVersion {
  return {
    subject: row.subject, version: row.version, id: row.id, schema: row.schema, fingerprint: row.fingerprint,
    registeredAt: row.registered_at, deleted: row.deleted,
  };
}

export function toPromotion(row: PromotionRow): Promotion {
  if (!Array.isArray(row.approvals)) throw malformed('registry_promotions.approvals');
  const approvals: { identity: string; at: number }[] = [];
  for (const a of row.approvals as unknown[]) {
    const identity: unknown = Reflect.get(Object(a), 'identity');
    const at: unknown = Reflect.get(Object(a), 'at');
    if (typeof identity !== 'string' || typeof at !== 'number') throw malformed('registry_promotions.approvals');
    approvals.push({ identity, at });
  }
  return {
    id: row.id, subject: row.subject, version: row.version, requestedBy: row.requested_by, changeRequest: row.change_request,
    requestedAt: row.requested_at, approvals,
    // Only ever written through savePromotion's typed parameter.
    state: row.state as Promotion['state'],
    decidedAt: row.decided_at ?? undefined,
  };
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq, at: row.at,
    // Only ever written through appendAudit's typed parameter.
    action: row.action as AuditEntry['action'],
    subject: row.subject, version: row.version ?? undefined, bundleSha: row.bundle_sha,
    approvers: jsonStrings(row.approvers, 'registry_audit_log.approvers'),
    changeRequest: row.change_request ?? undefined, canaryWindowMs: row.canary_window_ms ?? undefined,
    canaryFailures: row.canary_failures ?? undefined, actor: row.actor, detail: row.detail,
  };
}

/** A JSONB array of strings. */
export function jsonStrings(value: unknown, column: string): string[] {
  if (!Array.isArray(value)) throw malformed(column);
  const out: string[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'string') throw malformed(column);
    out.push(item);
  }
  return out;
}

function malformed(column: string): StorageEngineError {
  return new StorageEngineError(ENGINE, 'registry.read', `${column} is malformed`);
}
