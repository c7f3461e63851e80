/**
 * The schema registry's RegistryStore in PostgreSQL (migration 9), shared by every gateway on the
 * database. Reads are one statement each. Every write that changes what a registry cache holds
 * is one transaction that first bumps `registry_changes.seq`: that row lock is held until commit,
 * so the registry writes of all gateways run one at a time — a global id or a version number is
 * never handed out twice — and the counter tells other gateways' caches that something moved
 * (`changeCount`, polled by src/schema/cached-registry-store.ts). The audit log is append-only:
 * this file holds no UPDATE or DELETE of it.
 */
import type { PoolClient } from 'pg';
import { InternalError } from '../../core/index.js';
import type {
  AuditEntry, CompatibilityMode, Promotion, RegistryStore, SchemaVersion, ValidationFailure, ValidationMode,
} from '../../schema/index.js';
import type { PgDatabase } from './postgres-database.js';
import { jsonStrings, toAuditEntry, toPromotion, toSchemaVersion } from './postgres-registry-rows.js';
import type { AuditRow, PromotionRow, VersionRow } from './postgres-registry-rows.js';

/** Locks the counter row until commit (registry writes serialise) and moves the counter. */
const BUMP_SQL = 'UPDATE registry_changes SET seq = seq + 1 WHERE id = 1';
const CHANGES_SQL = 'SELECT seq::float8 AS seq FROM registry_changes WHERE id = 1';
/** The session advisory lock of `exclusive` (an arbitrary constant: "seamless registry"). */
const EXCLUSIVE_LOCK_KEY = 0x5ea3_7e61;
/** registry_config's key of the registry-wide setting (no subject is empty). */
const GLOBAL_KEY = '';

const VERSION_COLUMNS = `v.subject, v.version, v.schema_id::float8 AS id, v.schema, s.fingerprint,
  v.registered_at_ms::float8 AS registered_at, v.deleted_at_ms IS NOT NULL AS deleted`;
const VERSIONS_SQL = `SELECT ${VERSION_COLUMNS} FROM registry_subject_versions v JOIN registry_schemas s ON s.id = v.schema_id
  WHERE v.subject = $1 ORDER BY v.version`;
// The first live version of the subject with that fingerprint (a subject may re-register one later).
const BY_FINGERPRINT_SQL = `SELECT ${VERSION_COLUMNS} FROM registry_subject_versions v JOIN registry_schemas s ON s.id = v.schema_id
  WHERE v.subject = $1 AND s.fingerprint = $2 AND v.deleted_at_ms IS NULL ORDER BY v.version LIMIT 1`;
const PROMOTION_COLUMNS = `id, subject, version, requested_by, change_request, requested_at_ms::float8 AS requested_at, approvals,
  state, decided_at_ms::float8 AS decided_at`;
// An upsert keeps the row's seq, so a re-saved promotion keeps its place.
const PROMOTION_ORDER = 'ORDER BY requested_at_ms, seq';
const AUDIT_COLUMNS = `seq::float8 AS seq, at_ms::float8 AS at, action, subject, version, bundle_sha, approvers, change_request,
  canary_window_ms::float8 AS canary_window_ms, canary_failures::float8 AS canary_failures, actor, detail`;

export function createPgRegistryStore(db: PgDatabase): RegistryStore {
  return new PgRegistryStore(db);
}

class PgRegistryStore implements RegistryStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async changeCount(): Promise<number> {
    const rows = await this.#rows<{ seq: number }>('registry.changeCount', CHANGES_SQL, []);
    return rows.length === 0 ? 0 : rows[0].seq;
  }

  async subjects(includeDeleted = false): Promise<string[]> {
    const where = includeDeleted ? '' : ' WHERE deleted_at_ms IS NULL';
    const rows = await this.#rows<{ subject: string }>('registry.subjects', `SELECT DISTINCT subject FROM registry_subject_versions${where} ORDER BY subject`, []);
    const out: string[] = [];
    for (const row of rows) out.push(row.subject);
    return out;
  }

  async versions(subject: string): Promise<SchemaVersion[]> {
    const rows = await this.#rows<VersionRow>('registry.versions', VERSIONS_SQL, [subject]);
    const out: SchemaVersion[] = [];
    for (const row of rows) out.push(toSchemaVersion(row));
    return out;
  }

  async findByFingerprint(subject: string, fingerprint: string): Promise<SchemaVersion | undefined> {
    const rows = await this.#rows<VersionRow>('registry.findByFingerprint', BY_FINGERPRINT_SQL, [subject, fingerprint]);
    return rows.length === 0 ? undefined : toSchemaVersion(rows[0]);
  }

  async schemaById(id: number): Promise<{ readonly id: number; readonly schema: string; readonly fingerprint: string } | undefined> {
    // Absence is a value: an id no schema can have is simply not found.
    if (!Number.isSafeInteger(id)) return undefined;
    const rows = await this.#rows<{ id: number; schema: string; fingerprint: string }>(
      'registry.schemaById', 'SELECT id::float8 AS id, schema, fingerprint FROM registry_schemas WHERE id = $1', [id],
    );
    return rows.length === 0 ? undefined : { id: rows[0].id, schema: rows[0].schema, fingerprint: rows[0].fingerprint };
  }

  appendVersion(subject: string, schema: string, fingerprint: string, at: number): Promise<SchemaVersion> {
    return this.#write('registry.appendVersion', async (client) => {
      // Another gateway may have registered the same schema under the subject since this one
      // looked (both saw none): under the lock, the first registration stands and is returned.
      const again = await client.query<VersionRow>(BY_FINGERPRINT_SQL, [subject, fingerprint]);
      if (again.rows.length > 0) return toSchemaVersion(again.rows[0]);
      const existing = await client.query<{ id: number }>('SELECT id::float8 AS id FROM registry_schemas WHERE fingerprint = $1', [fingerprint]);
      let id: number;
      if (existing.rows.length > 0) {
        // Global ids are per canonical schema: every subject registering it shares the first id.
        id = existing.rows[0].id;
      } else {
        // Allocated under the registry_changes row lock, so ids are dense and never raced.
        const next = await client.query<{ id: number }>('SELECT (coalesce(max(id), 0) + 1)::float8 AS id FROM registry_schemas');
        id = next.rows[0].id;
        await client.query('INSERT INTO registry_schemas (id, fingerprint, schema) VALUES ($1, $2, $3)', [id, fingerprint, schema]);
      }
      const last = await client.query<{ v: number }>(
        'SELECT coalesce(max(version), 0) + 1 AS v FROM registry_subject_versions WHERE subject = $1', [subject],
      );
      const version = last.rows[0].v;
      await client.query(
        'INSERT INTO registry_subject_versions (subject, version, schema_id, schema, registered_at_ms) VALUES ($1, $2, $3, $4, $5)',
        [subject, version, id, schema, at],
      );
      return { subject, version, id, schema, fingerprint, registeredAt: at, deleted: false };
    });
  }

  deleteVersions(subject: string, versions: readonly number[], permanent: boolean, at: number): Promise<void> {
    return this.#write('registry.deleteVersions', async (client) => {
      if (permanent) {
        await client.query('DELETE FROM registry_subject_versions WHERE subject = $1 AND version = ANY($2::int[])', [subject, [...versions]]);
      } else {
        await client.query(
          'UPDATE registry_subject_versions SET deleted_at_ms = $3 WHERE subject = $1 AND version = ANY($2::int[]) AND deleted_at_ms IS NULL',
          [subject, [...versions], at],
        );
      }
    });
  }

  async compatibility(subject: string | undefined): Promise<CompatibilityMode | undefined> {
    const rows = await this.#rows<{ compatibility: string }>(
      'registry.compatibility', 'SELECT compatibility FROM registry_config WHERE subject = $1', [subject ?? GLOBAL_KEY],
    );
    // Only ever written through setCompatibility's typed parameter.
    return rows.length === 0 ? undefined : rows[0].compatibility as CompatibilityMode;
  }

  setCompatibility(subject: string | undefined, mode: CompatibilityMode): Promise<void> {
    return this.#write('registry.setCompatibility', async (client) => {
      await client.query(
        'INSERT INTO registry_config (subject, compatibility) VALUES ($1, $2) ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility',
        [subject ?? GLOBAL_KEY, mode],
      );
    });
  }

  async validationMode(subject: string): Promise<ValidationMode | undefined> {
    const rows = await this.#rows<{ mode: string }>('registry.validationMode', 'SELECT mode FROM registry_subject_modes WHERE subject = $1', [subject]);
    // Only ever written through setValidationMode's typed parameter.
    return rows.length === 0 ? undefined : rows[0].mode as ValidationMode;
  }

  setValidationMode(subject: string, mode: ValidationMode): Promise<void> {
    return this.#write('registry.setValidationMode', async (client) => {
      await client.query(
        'INSERT INTO registry_subject_modes (subject, mode) VALUES ($1, $2) ON CONFLICT (subject) DO UPDATE SET mode = excluded.mode',
        [subject, mode],
      );
    });
  }

  savePromotion(p: Promotion): Promise<void> {
    return this.#write('registry.savePromotion', async (client) => {
      const approvals: { identity: string; at: number }[] = [];
      for (const a of p.approvals) approvals.push({ identity: a.identity, at: a.at });
      await client.query(
        `INSERT INTO registry_promotions (id, subject, version, requested_by, change_request, requested_at_ms, approvals, state, decided_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
         ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, version = excluded.version,
           requested_by = excluded.requested_by, change_request = excluded.change_request,
           requested_at_ms = excluded.requested_at_ms, approvals = excluded.approvals, state = excluded.state,
           decided_at_ms = excluded.decided_at_ms`,
        [p.id, p.subject, p.version, p.requestedBy, p.changeRequest, p.requestedAt, JSON.stringify(approvals), p.state, p.decidedAt ?? null],
      );
    });
  }

  async promotion(id: string): Promise<Promotion | undefined> {
    const rows = await this.#rows<PromotionRow>('registry.promotion', `SELECT ${PROMOTION_COLUMNS} FROM registry_promotions WHERE id = $1`, [id]);
    return rows.length === 0 ? undefined : toPromotion(rows[0]);
  }

  async promotions(subject?: string): Promise<Promotion[]> {
    const rows = subject === undefined
      ? await this.#rows<PromotionRow>('registry.promotions', `SELECT ${PROMOTION_COLUMNS} FROM registry_promotions ${PROMOTION_ORDER}`, [])
      : await this.#rows<PromotionRow>('registry.promotions', `SELECT ${PROMOTION_COLUMNS} FROM registry_promotions WHERE subject = $1 ${PROMOTION_ORDER}`, [subject]);
    const out: Promotion[] = [];
    for (const row of rows) out.push(toPromotion(row));
    return out;
  }

  appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry> {
    return this.#write('registry.appendAudit', async (client) => {
      const result = await client.query<{ seq: number }>(
        `INSERT INTO registry_audit_log (at_ms, action, subject, version, bundle_sha, approvers, change_request, canary_window_ms,
           canary_failures, actor, detail)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11) RETURNING seq::float8 AS seq`,
        [
          entry.at, entry.action, entry.subject, entry.version ?? null, entry.bundleSha, JSON.stringify([...entry.approvers]),
          entry.changeRequest ?? null, entry.canaryWindowMs ?? null, entry.canaryFailures ?? null, entry.actor, entry.detail,
        ],
      );
      return {
        seq: result.rows[0].seq, at: entry.at, action: entry.action, subject: entry.subject, version: entry.version, bundleSha: entry.bundleSha,
        approvers: [...entry.approvers], changeRequest: entry.changeRequest, canaryWindowMs: entry.canaryWindowMs,
        canaryFailures: entry.canaryFailures, actor: entry.actor, detail: entry.detail,
      };
    });
  }

  async audit(subject?: string): Promise<AuditEntry[]> {
    const rows = subject === undefined
      ? await this.#rows<AuditRow>('registry.audit', `SELECT ${AUDIT_COLUMNS} FROM registry_audit_log ORDER BY seq`, [])
      : await this.#rows<AuditRow>('registry.audit', `SELECT ${AUDIT_COLUMNS} FROM registry_audit_log WHERE subject = $1 ORDER BY seq`, [subject]);
    const out: AuditEntry[] = [];
    for (const row of rows) out.push(toAuditEntry(row));
    return out;
  }

  async recordValidationFailure(failure: ValidationFailure): Promise<void> {
    // Not a registry change (no cache holds failures), so no counter bump: canary reads never queue on the lock.
    await this.#db.query('registry.recordValidationFailure', async (client) => {
      await client.query(
        'INSERT INTO registry_validation_failures (subject, mode, at_ms, messages) VALUES ($1, $2, $3, $4::jsonb)',
        [failure.subject, failure.mode, failure.at, JSON.stringify([...failure.messages])],
      );
    });
  }

  async validationFailures(subject: string, since: number): Promise<ValidationFailure[]> {
    const rows = await this.#rows<{ subject: string; mode: string; at: number; messages: unknown }>(
      'registry.validationFailures',
      // id: the table is append-only, so it is arrival order among failures of one ms.
      `SELECT subject, mode, at_ms::float8 AS at, messages FROM registry_validation_failures
       WHERE subject = $1 AND at_ms >= $2 ORDER BY at_ms, id`,
      [subject, since],
    );
    const out: ValidationFailure[] = [];
    for (const row of rows) {
      // Only ever written through recordValidationFailure's typed parameter.
      out.push({ subject: row.subject, mode: row.mode as ValidationMode, at: row.at, messages: jsonStrings(row.messages, 'registry_validation_failures.messages') });
    }
    return out;
  }

  /**
   * Runs `task` holding a session advisory lock on one pooled connection (the task's own calls
   * use others). A task's failure is handed back after the unlock, never retried; if the lock's
   * connection is lost after the task ran, its session (and lock) ended with it and the retry
   * returns. An unlock that fails otherwise destroys the connection, which releases the lock.
   */
  async exclusive<T>(task: () => Promise<T>): Promise<T> {
    let outcome: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown } | undefined;
    await this.#db.query('registry.exclusive', async (client, broken) => {
      if (outcome !== undefined) return;
      await client.query('SELECT pg_advisory_lock($1)', [EXCLUSIVE_LOCK_KEY]);
      try {
        outcome = { ok: true, value: await task() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      try {
        await client.query('SELECT pg_advisory_unlock($1)', [EXCLUSIVE_LOCK_KEY]);
      } catch (error) {
        broken();
        throw error;
      }
    });
    if (outcome === undefined) throw new InternalError('registry.exclusive: the locked task did not run');
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  async #rows<R extends Record<string, unknown>>(operation: string, text: string, values: readonly unknown[]): Promise<R[]> {
    return await this.#db.query(operation, async (client) => (await client.query<R>(text, [...values])).rows);
  }

  #write<T>(operation: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#db.transact(operation, async (client) => {
      await client.query(BUMP_SQL);
      return await fn(client);
    });
  }
}
