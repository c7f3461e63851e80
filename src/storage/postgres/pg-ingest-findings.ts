/**
 * Conformance's IngestFindingStore on PostgreSQL (migration 4): row-level findings met while
 * storing upstream batches, append-only. A batch is checked whole before any SQL and inserted by
 * one statement (arrays unnested server side), in its own transaction or in the transaction of
 * the bar write that carried it.
 */
import type { PoolClient } from 'pg';
import type { IngestFinding, IngestFindingStore } from '../../conformance/index.js';
import { validateDataset, validateFindings, validateRange } from '../write-validation.js';
import type { PgDatabase } from './pg-database.js';

/** Findings per INSERT: bounds the parameter arrays of one statement. */
const ROWS_PER_INSERT = 10_000;

const INSERT = `INSERT INTO ingest_findings (node_id, interval_ms, flag, ts, count, at_ms, detail)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])`;

const SELECT = `SELECT flag, ts::float8 AS ts, count::float8 AS count, at_ms::float8 AS at_ms, detail FROM ingest_findings
  WHERE node_id = $1 AND interval_ms = $2 AND ts >= $3 AND ts < $4
  ORDER BY ts, id`;

interface FindingRecord {
  readonly flag: IngestFinding['flag'];
  readonly ts: number;
  readonly count: number;
  readonly at_ms: number;
  readonly detail: string;
}

/** Inserts already validated findings, inside the caller's transaction. */
export async function insertFindings(client: PoolClient, findings: readonly IngestFinding[]): Promise<void> {
  for (let from = 0; from < findings.length; from += ROWS_PER_INSERT) {
    const to = Math.min(findings.length, from + ROWS_PER_INSERT);
    const nodes: string[] = [];
    const intervals: number[] = [];
    const flags: string[] = [];
    const ts: number[] = [];
    const counts: number[] = [];
    const at: number[] = [];
    const details: string[] = [];
    for (let i = from; i < to; i++) {
      const f = findings[i];
      nodes.push(f.nodeId);
      intervals.push(f.intervalMs);
      flags.push(f.flag);
      ts.push(f.ts);
      counts.push(f.count);
      at.push(f.at);
      details.push(f.detail);
    }
    await client.query({ name: 'seamless_findings_insert', text: INSERT, values: [nodes, intervals, flags, ts, counts, at, details] });
  }
}

export function createPgIngestFindingStore(db: PgDatabase): IngestFindingStore {
  return new PgIngestFindingStore(db);
}

class PgIngestFindingStore implements IngestFindingStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async appendFindings(findings: readonly IngestFinding[]): Promise<void> {
    this.#db.assertOpen('findings.append');
    validateFindings(findings);
    if (findings.length === 0) return;
    await this.#db.transact('findings.append', (client) => insertFindings(client, findings));
  }

  async findings(nodeId: string, intervalMs: number, start: number, end: number): Promise<IngestFinding[]> {
    this.#db.assertOpen('findings.read');
    validateDataset({ nodeId, intervalMs });
    validateRange({ start, end });
    if (end === start) return [];
    return await this.#db.query('findings.read', async (client) => {
      const result = await client.query<FindingRecord>({ name: 'seamless_findings_select', text: SELECT, values: [nodeId, intervalMs, start, end] });
      const out: IngestFinding[] = [];
      for (const r of result.rows) {
        // Only known flags are ever inserted (validateFinding).
        out.push({ nodeId, intervalMs, flag: r.flag, ts: r.ts, count: r.count, at: r.at_ms, detail: r.detail });
      }
      return out;
    });
  }
}
