/**
 * The SLA policy file format (ARCHITECTURE.md §6): one policy per YAML file, validated once by
 * this zod schema at the edge (`loadSlaPolicies`). Inner code receives the frozen `SlaPolicy`.
 */
import { z } from 'zod';
import { INTERVAL_NAMES } from '../core/index.js';

/** What a policy does to a read it finds in violation when it is enforced. */
export const DEFAULT_ON_VIOLATION = 'partial';
/** Share of reads that must stay within budget; drives the burn-rate alerts. */
export const DEFAULT_SLA_OBJECTIVE = 0.99;
/** Objectives below this cannot fire the fast-burn alert (14.4 × error budget would exceed 100 %). */
export const MIN_SLA_OBJECTIVE = 0.95;
export const MAX_SLA_OBJECTIVE = 0.9999;
/** Longest accepted budget: 10 minutes, the deadline histogram's largest bucket (alerts need a bucket ≥ the budget). */
export const MAX_BUDGET_MS = 600_000;

export const BUDGET_PHASES = ['storage', 'backfill', 'live', 'total'] as const;
export type BudgetPhase = (typeof BUDGET_PHASES)[number];
/** The per-phase budgets only (the total bounds them all). */
export type ReadPhase = Exclude<BudgetPhase, 'total'>;

const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PRINTABLE = /^[\x20-\x7E]{1,256}$/;
const URL_OR_PATH = /^(https?:\/\/\S+|[^\s:]\S*)$/;
const INTERVALS = Object.keys(INTERVAL_NAMES) as [string, ...string[]];

const budgetMs = z.number().int().positive().max(MAX_BUDGET_MS);
const text = z.string().trim().min(1);

export const SlaPolicySchema = z.object({
  name: z.string().regex(POLICY_NAME, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  match: z.object({
    node: z.string().regex(PRINTABLE, 'must be a glob of 1-256 printable ASCII characters ("*" any run, "?" one character)'),
    interval: z.enum(INTERVALS).optional(),
  }).strict(),
  mode: z.enum(['dry-run', 'enforced']),
  budgets: z.object({
    storage: budgetMs.optional(),
    backfill: budgetMs.optional(),
    live: budgetMs.optional(),
    total: budgetMs.optional(),
  }).strict(),
  freshness: z.object({ maxLagMs: z.number().int().positive() }).strict().optional(),
  coverage: z.object({ minRatio: z.number().min(0).max(1) }).strict().optional(),
  maxSyncGapBars: z.number().int().nonnegative().optional(),
  recovery: z.object({ maxBackfillMs: z.number().int().positive() }).strict().optional(),
  onViolation: z.enum(['fail', 'partial', 'hold']).default(DEFAULT_ON_VIOLATION),
  objective: z.number().min(MIN_SLA_OBJECTIVE).max(MAX_SLA_OBJECTIVE).default(DEFAULT_SLA_OBJECTIVE),
  owner: text,
  runbook: z.string().regex(URL_OR_PATH, 'must be an http(s) URL or a path without spaces'),
  escalation: text,
}).strict();

export type SlaPolicySpec = Readonly<z.infer<typeof SlaPolicySchema>>;
export type SlaMode = SlaPolicySpec['mode'];
export type OnViolation = SlaPolicySpec['onViolation'];

/** A validated policy, frozen, with where it came from and its interval in ms. */
export interface SlaPolicy extends SlaPolicySpec {
  /** The file it was read from (or a label such as `<inline>`). */
  readonly source: string;
  /** `match.interval` in ms; undefined matches every interval. */
  readonly intervalMs: number | undefined;
}
