/**
 * The repair audit record as engines store it: one row per purge, built in the purge's
 * transaction and read back by `BarStore.repairAudit`. Shared so both engines write and read
 * the same fields the same way.
 */
import { InternalError } from '../core/index.js';
import type { CoverageState, RepairAction, RepairAuditEntry } from './bar-store.js';
import { ALL_BAR_TABLES } from './bar-tables.js';
import type { BarTable } from './bar-tables.js';

/** The bar table holding a dataset of frame schema `name` (the dataset row's schema). */
export function barTableNamed(name: string): BarTable | undefined {
  return ALL_BAR_TABLES.find((t) => t.schema === name);
}

/** An audit row's columns as the engines select them (numbers already converted). */
export interface RepairAuditRow {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly start: number;
  readonly end: number;
  readonly rowsRemoved: number;
  readonly findingsRetired: number;
  /** The JSON column: text (DuckDB) or already parsed (PostgreSQL jsonb). */
  readonly coverageRemoved: unknown;
}

export function repairAuditEntry(row: RepairAuditRow): RepairAuditEntry {
  const action = repairAction(row.action);
  const raw: unknown = typeof row.coverageRemoved === 'string' ? JSON.parse(row.coverageRemoved) : row.coverageRemoved;
  const bars: Record<CoverageState, number> = { stored: 0, known_empty: 0, failed: 0 };
  if (typeof raw === 'object' && raw !== null) {
    for (const state of ['stored', 'known_empty', 'failed'] as const) {
      const n = (raw as Record<string, unknown>)[state];
      if (typeof n === 'number') bars[state] = n;
    }
  }
  return Object.freeze({
    id: row.id, at: row.at, actor: row.actor, action, nodeId: row.nodeId, intervalMs: row.intervalMs,
    start: row.start, end: row.end, rowsRemoved: row.rowsRemoved, findingsRetired: row.findingsRetired, coverageRemoved: Object.freeze(bars),
  });
}

function repairAction(value: string): RepairAction {
  if (value === 'purge' || value === 'force_backfill') return value;
  throw new InternalError(`repair_audit row has unknown action ${JSON.stringify(value)}`);
}
