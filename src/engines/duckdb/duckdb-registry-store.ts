/**
 * The schema registry's RegistryStore in the embedded DuckDB database. Writes run on the
 * database's write queue, one transaction each; reads run on the reader connection, one
 * statement each (so every method is atomic). Tables (migration 4): `schemas`,
 * `subject_versions`, `registry_config`, `subject_modes`, `promotions`, `audit_log`,
 * `validation_failures` (migration 8 adds `subject_versions.deleted_at_ms`, the soft delete). The
 * audit log is append-only: this file holds no UPDATE or DELETE of it.
 */
import type {
  AuditEntry, CompatibilityMode, Promotion, RegistryStore, SchemaVersion, ValidationFailure, ValidationMode,
} from '../../schema/index.js';
import type { DatabaseHandle } from './duckdb-database.js';
import {
  jsonArrayOf, numberOf, optionalNumber, optionalText, stringArrayOf, textOf,
} from './row-values.js';

const VERSION_COLUMNS = 'v.subject, v.version, v.schema_id, v.schema, s.fingerprint, v.registered_at_ms::DOUBLE, v.deleted_at_ms IS NOT NULL';
const VERSIONS_SQL = `SELECT ${VERSION_COLUMNS} FROM subject_versions v JOIN schemas s ON s.id = v.schema_id
  WHERE v.subject = $1 ORDER BY v.version`;
// The first live version of the subject with that fingerprint (a subject may re-register one later).
const BY_FINGERPRINT_SQL = `SELECT ${VERSION_COLUMNS} FROM subject_versions v JOIN schemas s ON s.id = v.schema_id
  WHERE v.subject = $1 AND s.fingerprint = $2 AND v.deleted_at_ms IS NULL ORDER BY v.version LIMIT 1`;

const PROMOTION_COLUMNS = `id, subject, version, requested_by, change_request, requested_at_ms::DOUBLE, approvals::VARCHAR,
  state, decided_at_ms::DOUBLE`;
// An upsert keeps the row's seq, so a re-saved promotion keeps its place.
const PROMOTION_ORDER = 'ORDER BY requested_at_ms, seq';

const AUDIT_COLUMNS = `seq::DOUBLE, at_ms::DOUBLE, action, subject, version, bundle_sha, approvers::VARCHAR, change_request,
  canary_window_ms::DOUBLE, canary_failures::DOUBLE, actor, detail`;

/** The registry store of an open database; it shares the database's connections and write queue. */
export function registryStoreOn(db: DatabaseHandle): RegistryStore {
  return new DuckDbRegistryStore(db);
}

class DuckDbRegistryStore implements RegistryStore {
  readonly #db: DatabaseHandle;

  constructor(db: DatabaseHandle) {
    this.#db = db;
  }

  subjects(includeDeleted = false): Promise<string[]> {
    return this.#db.query('registry.subjects', async (conn) => {
      const where = includeDeleted ? '' : ' WHERE deleted_at_ms IS NULL';
      const rows = (await conn.runAndReadAll(`SELECT DISTINCT subject FROM subject_versions${where} ORDER BY subject`)).getRowsJS();
      const out: string[] = [];
      for (const row of rows) out.push(textOf(row[0]));
      return out;
    });
  }

  versions(subject: string): Promise<SchemaVersion[]> {
    return this.#db.query('registry.versions', async (conn) => {
      const rows = (await conn.runAndReadAll(VERSIONS_SQL, [subject])).getRowsJS();
      const out: SchemaVersion[] = [];
      for (const row of rows) out.push(toSchemaVersion(row));
      return out;
    });
  }

  findByFingerprint(subject: string, fingerprint: string): Promise<SchemaVersion | undefined> {
    return this.#db.query('registry.findByFingerprint', async (conn) => {
      const rows = (await conn.runAndReadAll(BY_FINGERPRINT_SQL, [subject, fingerprint])).getRowsJS();
      return rows.length === 0 ? undefined : toSchemaVersion(rows[0]);
    });
  }

  schemaById(id: number): Promise<{ readonly id: number; readonly schema: string; readonly fingerprint: string } | undefined> {
    return this.#db.query('registry.schemaById', async (conn) => {
      // Absence is a value: an id no schema can have is simply not found.
      if (!Number.isSafeInteger(id)) return undefined;
      const rows = (await conn.runAndReadAll('SELECT id, schema, fingerprint FROM schemas WHERE id = $1::BIGINT', [id])).getRowsJS();
      if (rows.length === 0) return undefined;
      return { id: numberOf(rows[0][0]), schema: textOf(rows[0][1]), fingerprint: textOf(rows[0][2]) };
    });
  }

  appendVersion(subject: string, schema: string, fingerprint: string, at: number): Promise<SchemaVersion> {
    return this.#db.transact('registry.appendVersion', async (conn) => {
      const existing = (await conn.runAndReadAll('SELECT id FROM schemas WHERE fingerprint = $1', [fingerprint])).getRowsJS();
      let id: number;
      if (existing.length > 0) {
        // Global ids are per canonical schema: every subject registering it shares the first id.
        id = numberOf(existing[0][0]);
      } else {
        // Allocated inside the transaction behind the one write queue, so ids are dense and never raced.
        const next = await conn.runAndReadAll('SELECT coalesce(max(id), 0) + 1 FROM schemas');
        id = numberOf(next.getRowsJS()[0][0]);
        await conn.run('INSERT INTO schemas (id, fingerprint, schema) VALUES ($1, $2, $3)', [id, fingerprint, schema]);
      }
      const last = await conn.runAndReadAll('SELECT coalesce(max(version), 0) + 1 FROM subject_versions WHERE subject = $1', [subject]);
      const version = numberOf(last.getRowsJS()[0][0]);
      await conn.run(
        'INSERT INTO subject_versions (subject, version, schema_id, schema, registered_at_ms) VALUES ($1, $2, $3, $4, $5::BIGINT)',
        [subject, version, id, schema, at],
      );
      return { subject, version, id, schema, fingerprint, registeredAt: at, deleted: false };
    });
  }

  deleteVersions(subject: string, versions: readonly number[], permanent: boolean, at: number): Promise<void> {
    return this.#db.transact('registry.deleteVersions', async (conn) => {
      for (const version of versions) {
        // deleted_at_ms is no key column, so the soft delete is an in-place update.
        if (permanent) await conn.run('DELETE FROM subject_versions WHERE subject = $1 AND version = $2', [subject, version]);
        else await conn.run('UPDATE subject_versions SET deleted_at_ms = $3::BIGINT WHERE subject = $1 AND version = $2 AND deleted_at_ms IS NULL', [subject, version, at]);
      }
    });
  }

  compatibility(subject: string | undefined): Promise<CompatibilityMode | undefined> {
    return this.#db.query('registry.compatibility', async (conn) => {
      const rows = (await conn.runAndReadAll(
        'SELECT compatibility FROM registry_config WHERE subject IS NOT DISTINCT FROM $1::VARCHAR', [subject ?? null],
      )).getRowsJS();
      // Only ever written through setCompatibility's typed parameter.
      return rows.length === 0 ? undefined : textOf(rows[0][0]) as CompatibilityMode;
    });
  }

  setCompatibility(subject: string | undefined, mode: CompatibilityMode): Promise<void> {
    return this.#db.transact('registry.setCompatibility', async (conn) => {
      // UPDATE, then INSERT when nothing matched: ON CONFLICT cannot target the NULL (global) row.
      const updated = await conn.run(
        'UPDATE registry_config SET compatibility = $2 WHERE subject IS NOT DISTINCT FROM $1::VARCHAR', [subject ?? null, mode],
      );
      if (updated.rowsChanged === 0) {
        await conn.run('INSERT INTO registry_config (subject, compatibility) VALUES ($1::VARCHAR, $2)', [subject ?? null, mode]);
      }
    });
  }

  validationMode(subject: string): Promise<ValidationMode | undefined> {
    return this.#db.query('registry.validationMode', async (conn) => {
      const rows = (await conn.runAndReadAll('SELECT mode FROM subject_modes WHERE subject = $1', [subject])).getRowsJS();
      // Only ever written through setValidationMode's typed parameter.
      return rows.length === 0 ? undefined : textOf(rows[0][0]) as ValidationMode;
    });
  }

  setValidationMode(subject: string, mode: ValidationMode): Promise<void> {
    return this.#db.transact('registry.setValidationMode', async (conn) => {
      await conn.run(
        'INSERT INTO subject_modes (subject, mode) VALUES ($1, $2) ON CONFLICT (subject) DO UPDATE SET mode = excluded.mode',
        [subject, mode],
      );
    });
  }

  savePromotion(p: Promotion): Promise<void> {
    return this.#db.transact('registry.savePromotion', async (conn) => {
      const approvals: { identity: string; at: number }[] = [];
      for (const a of p.approvals) approvals.push({ identity: a.identity, at: a.at });
      await conn.run(
        `INSERT INTO promotions (id, subject, version, requested_by, change_request, requested_at_ms, approvals, state, decided_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6::BIGINT, $7, $8, $9::BIGINT)
         ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, version = excluded.version,
           requested_by = excluded.requested_by, change_request = excluded.change_request,
           requested_at_ms = excluded.requested_at_ms, approvals = excluded.approvals, state = excluded.state,
           decided_at_ms = excluded.decided_at_ms`,
        [p.id, p.subject, p.version, p.requestedBy, p.changeRequest, p.requestedAt, JSON.stringify(approvals), p.state, p.decidedAt ?? null],
      );
    });
  }

  promotion(id: string): Promise<Promotion | undefined> {
    return this.#db.query('registry.promotion', async (conn) => {
      const rows = (await conn.runAndReadAll(`SELECT ${PROMOTION_COLUMNS} FROM promotions WHERE id = $1`, [id])).getRowsJS();
      return rows.length === 0 ? undefined : toPromotion(rows[0]);
    });
  }

  promotions(subject?: string): Promise<Promotion[]> {
    return this.#db.query('registry.promotions', async (conn) => {
      const result = subject === undefined
        ? await conn.runAndReadAll(`SELECT ${PROMOTION_COLUMNS} FROM promotions ${PROMOTION_ORDER}`)
        : await conn.runAndReadAll(`SELECT ${PROMOTION_COLUMNS} FROM promotions WHERE subject = $1 ${PROMOTION_ORDER}`, [subject]);
      const out: Promotion[] = [];
      for (const row of result.getRowsJS()) out.push(toPromotion(row));
      return out;
    });
  }

  appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry> {
    return this.#db.transact('registry.appendAudit', async (conn) => {
      const result = await conn.runAndReadAll(
        `INSERT INTO audit_log (at_ms, action, subject, version, bundle_sha, approvers, change_request, canary_window_ms,
           canary_failures, actor, detail)
         VALUES ($1::BIGINT, $2, $3, $4, $5, $6, $7, $8::BIGINT, $9::BIGINT, $10, $11) RETURNING seq::DOUBLE`,
        [
          entry.at, entry.action, entry.subject, entry.version ?? null, entry.bundleSha, JSON.stringify([...entry.approvers]),
          entry.changeRequest ?? null, entry.canaryWindowMs ?? null, entry.canaryFailures ?? null, entry.actor, entry.detail,
        ],
      );
      const seq = numberOf(result.getRowsJS()[0][0]);
      return {
        seq, at: entry.at, action: entry.action, subject: entry.subject, version: entry.version, bundleSha: entry.bundleSha,
        approvers: [...entry.approvers], changeRequest: entry.changeRequest, canaryWindowMs: entry.canaryWindowMs,
        canaryFailures: entry.canaryFailures, actor: entry.actor, detail: entry.detail,
      };
    });
  }

  audit(subject?: string): Promise<AuditEntry[]> {
    return this.#db.query('registry.audit', async (conn) => {
      const result = subject === undefined
        ? await conn.runAndReadAll(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq`)
        : await conn.runAndReadAll(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE subject = $1 ORDER BY seq`, [subject]);
      const out: AuditEntry[] = [];
      for (const row of result.getRowsJS()) out.push(toAuditEntry(row));
      return out;
    });
  }

  recordValidationFailure(failure: ValidationFailure): Promise<void> {
    return this.#db.transact('registry.recordValidationFailure', async (conn) => {
      await conn.run(
        'INSERT INTO validation_failures (subject, mode, at_ms, messages) VALUES ($1, $2, $3::BIGINT, $4)',
        [failure.subject, failure.mode, failure.at, JSON.stringify([...failure.messages])],
      );
    });
  }

  validationFailures(subject: string, since: number): Promise<ValidationFailure[]> {
    return this.#db.query('registry.validationFailures', async (conn) => {
      const rows = (await conn.runAndReadAll(
        // rowid: the table is append-only, so it is arrival order among failures of one ms.
        `SELECT subject, mode, at_ms::DOUBLE, messages::VARCHAR FROM validation_failures
         WHERE subject = $1 AND at_ms >= $2::DOUBLE ORDER BY at_ms, rowid`,
        [subject, since],
      )).getRowsJS();
      const out: ValidationFailure[] = [];
      for (const row of rows) {
        out.push({
          subject: textOf(row[0]),
          // Only ever written through recordValidationFailure's typed parameter.
          mode: textOf(row[1]) as ValidationMode,
          at: numberOf(row[2]),
          messages: stringArrayOf(row[3], 'validation_failures.messages'),
        });
      }
      return out;
    });
  }
}

type Row = readonly unknown[];

function toSchemaVersion(row: Row): SchemaVersion {
  return {
    subject: textOf(row[0]),
    version: numberOf(row[1]),
    id: numberOf(row[2]),
    schema: textOf(row[3]),
    fingerprint: textOf(row[4]),
    registeredAt: numberOf(row[5]),
    deleted: row[6] === true,
  };
}

function toPromotion(row: Row): Promotion {
  const approvals: { identity: string; at: number }[] = [];
  for (const a of jsonArrayOf(row[6], 'promotions.approvals')) {
    const identity: unknown = Reflect.get(Object(a), 'identity');
    const at: unknown = Reflect.get(Object(a), 'at');
    approvals.push({ identity: String(identity), at: Number(at) });
  }
  return {
    id: textOf(row[0]),
    subject: textOf(row[1]),
    version: numberOf(row[2]),
    requestedBy: textOf(row[3]),
    changeRequest: textOf(row[4]),
    requestedAt: numberOf(row[5]),
    approvals,
    // Only ever written through savePromotion's typed parameter.
    state: textOf(row[7]) as Promotion['state'],
    decidedAt: optionalNumber(row[8]),
  };
}

function toAuditEntry(row: Row): AuditEntry {
  return {
    seq: numberOf(row[0]),
    at: numberOf(row[1]),
    // Only ever written through appendAudit's typed parameter.
    action: textOf(row[2]) as AuditEntry['action'],
    subject: textOf(row[3]),
    version: optionalNumber(row[4]),
    bundleSha: textOf(row[5]),
    approvers: stringArrayOf(row[6], 'audit_log.approvers'),
    changeRequest: optionalText(row[7]),
    canaryWindowMs: optionalNumber(row[8]),
    canaryFailures: optionalNumber(row[9]),
    actor: textOf(row[10]),
    detail: textOf(row[11]),
  };
}
