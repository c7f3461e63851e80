/**
 * Conformance's IngestFindingStore on PostgreSQL (migrations 4 and 5): row-level findings met
 * while storing upstream batches. Rows are never deleted; the one change a row ever gets is
 * `superseded_at_ms`, set by the bar write that replaced the rows it describes. A batch is checked whole before any SQL and inserted by
 * one statement (arrays unnested server side), in its own transaction or in the transaction of
 * the bar write that carried it.
 */
import type { PoolClient } from 'pg';
import type { IngestFinding, IngestFindingStore, RecordedFinding } from '../../conformance/index.js';
import type { TimeRange } from '../../core/index.js';
import type { DatasetKey } from '../../storage/index.js';
import { validateDataset, validateFindings, validateRange } from '../../storage/index.js';
import type { PgDatabase } from './postgres-database.js';
import { rangeArrays } from './range-arrays.js';

/** Findings per INSERT: bounds the parameter arrays of one statement. */
const ROWS_PER_INSERT = 10_000;

const INSERT = `INSERT INTO ingest_findings (node_id, interval_ms, flag, ts, count, at_ms, detail)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])`;

const SELECT = `SELECT flag, ts::float8 AS ts, count::float8 AS count, at_ms::float8 AS at_ms, detail,
  superseded_at_ms::float8 AS superseded_at_ms FROM ingest_findings
  WHERE node_id = $1 AND interval_ms = $2 AND ts >= $3 AND ts < $4`;
const IN_FORCE = `${SELECT} AND superseded_at_ms IS NULL ORDER BY ts, id`;
const HISTORY = `${SELECT} ORDER BY ts, id`;
/** One statement for all of a write's claims (ranges unnested server side). */
const SUPERSEDE = `UPDATE ingest_findings f SET superseded_at_ms = $1
  FROM unnest($4::bigint[], $5::bigint[]) AS r(start_ms, end_ms)
  WHERE f.node_id = $2 AND f.interval_ms = $3 AND f.ts >= r.start_ms AND f.ts < r.end_ms AND f.superseded_at_ms IS NULL`;

/** Marks the findings in force inside `ranges` superseded at `at`, inside the caller's (bar write) transaction. */
export async function supersedeFindings(client: PoolClient, dataset: DatasetKey, ranges: readonly TimeRange[], at: number): Promise<void> {
  if (ranges.length === 0) return;
  const { starts, ends } = rangeArrays(ranges);
  await client.query({ name: 'seamless_findings_supersede', text: SUPERSEDE, values: [at, dataset.nodeId, dataset.intervalMs, starts, ends] });
}

interface FindingRecord {
  readonly flag: IngestFinding['flag'];
  readonly ts: number;
  readonly count: number;
  readonly at_ms: number;
  readonly detail: string;
  readonly superseded_at_ms: number | null;
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
    const rows = await this.#select('seamless_findings_select', IN_FORCE, nodeId, intervalMs, start, end);
    const out: IngestFinding[] = [];
    // Only known flags are ever inserted (validateFinding).
    for (const r of rows) out.push({ nodeId, intervalMs, flag: r.flag, ts: r.ts, count: r.count, at: r.at_ms, detail: r.detail });
    return out;
  }

  async history(nodeId: string, intervalMs: number, start: number, end: number): Promise<RecordedFinding[]> {
    const rows = await this.#select('seamless_findings_history', HISTORY, nodeId, intervalMs, start, end);
    const out: RecordedFinding[] = [];
    for (const r of rows) out.push({ nodeId, intervalMs, flag: r.flag, ts: r.ts, count: r.count, at: r.at_ms, detail: r.detail, supersededAt: r.superseded_at_ms });
    return out;
  }

  async #select(name: string, text: string, nodeId: string, intervalMs: number, start: number, end: number): Promise<FindingRecord[]> {
    this.#db.assertOpen('findings.read');
    validateDataset({ nodeId, intervalMs });
    validateRange({ start, end });
    if (end === start) return [];
    return await this.#db.query('findings.read', async (client) => {
      const result = await client.query<FindingRecord>({ name, text, values: [nodeId, intervalMs, start, end] });
      return result.rows;
    });
  }
}
