/**
 * Step 7 of the read path: the conformance pipeline on the assembled frame, with the registry
 * schema of the dataset's subject, the ingest findings (in force) inside the range, the
 * regression digest against the dataset's newest report over an overlapping range, archiving
 * of reports with findings, metrics, and the decision to serve, block (blocking mode) or reject
 * (strict schema).
 */
import { randomUUID } from 'node:crypto';
import { formatInterval, subtractRanges } from '../../core/index.js';
import type { Clock, Frame, FrameSchema, TimeRange } from '../../core/index.js';
import {
  blockingDecision, frameToRawBatch, mergeIngestFindings, regressionDigest,
} from '../../conformance/index.js';
import type { ConformanceMode, ConformancePipeline, ConformanceReport, ReportArchive } from '../../conformance/index.js';
import type { Logger, SeamlessMetrics } from '../../observability/index.js';
import type { DriftDetector, SchemaRegistry, ValidationTarget } from '../../schema/index.js';
import { ConformanceBlockedError, SchemaValidationError } from '../errors.js';
import type { FindingsIndex } from '../findings-index.js';
import { withCalendarClosed } from './calendar-coverage.js';
import type { QualityBounds } from './engine-resample.js';
import type { DataProviderDeps, ReadContext, ReadStep } from './read-context.js';

export interface ConformanceStageDeps {
  readonly pipeline: ConformancePipeline;
  readonly mode: ConformanceMode;
  readonly registry: SchemaRegistry;
  readonly drift: DriftDetector;
  readonly archive: ReportArchive;
  readonly findings: FindingsIndex;
  readonly clock: Clock;
  readonly metrics: SeamlessMetrics;
  readonly logger: Logger;
  /** The pipeline's price-jump and stale-run bounds; absent: every read is checked on its frame. */
  readonly quality?: QualityBounds;
}

export interface ConformanceInput {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly frameSchema: FrameSchema;
  readonly subject: string;
  readonly frame: Frame;
  readonly closed: TimeRange;
  readonly knownEmpty: readonly TimeRange[];
  readonly partialOk: boolean;
  /** The read's `as_of`: the ingest findings reported are those in force at that time. */
  readonly asOf?: number;
  /**
   * Verdicts already reached on these very bars (a response-cache segment's memo): a clean
   * verdict under the same registry version, known-empty ranges and range is served from it
   * instead of re-running the pipeline (see `createConformanceStage`).
   */
  readonly verdicts?: Map<string, ConformanceReport>;
}

export interface ConformanceOutcome {
  readonly frame: Frame;
  readonly report: ConformanceReport;
}

export type ConformanceStage = ((input: ConformanceInput) => Promise<ConformanceOutcome>) & {
  /**
   * For a read whose rows the engine aggregated (engine-resample.ts): the quality bounds the
   * bars are judged by, when only the bars could make a finding (no registry schema to check, no
   * ingest finding in the range); undefined: the read needs its frame and the full check.
   */
  readonly withoutFrame?: (input: FramelessInput, judge: boolean) => Promise<QualityBounds | undefined>;
};

export interface FramelessInput {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly subject: string;
  readonly frameSchema: FrameSchema;
  readonly closed: TimeRange;
}

/**
 * Whether the schema rollup finds nothing in ANY float64 frame of storage (ts and the frame's
 * columns, all float64) against `target` (schema-rollup.ts): each frame column's field is
 * float64, and every other field is optional. No target: the frame schema, always passed.
 */
function passesAnyFloatFrame(target: ValidationTarget | undefined, frameSchema: FrameSchema): boolean {
  if (target === undefined) return true;
  const columns = new Set(frameSchema.columns.map((c) => c.name));
  for (const f of target.schema.fields) {
    if (f.name === 'ts') continue;
    if (columns.has(f.name) ? f.type !== 'float64' : f.required) return false;
  }
  return true;
}

/** Verdicts memoised per cache segment (a segment is read under a few ranges at most). */
const MAX_VERDICTS = 16;

export const REPORT_URI_PREFIX = 'qmtl://observability/seamless/';

export function reportUri(nodeId: string, reportId: string): string {
  return `${REPORT_URI_PREFIX}${encodeURIComponent(nodeId)}/${reportId}`;
}

export function createConformanceStage(deps: ConformanceStageDeps): ConformanceStage {
  const { pipeline, registry, metrics } = deps;
  const log = deps.logger;

  const runConformance = async function runConformance(input: ConformanceInput): Promise<ConformanceOutcome> {
    const now = deps.clock.now();
    const labels = { node_id: input.nodeId, interval: formatInterval(input.intervalMs) };
    // Strict checks the approved version; a newer version awaiting promotion is checked too (below).
    const plan = await registry.validationPlan(input.subject);
    const latest = plan.primary;
    const validationMode = latest?.mode;
    const ingest = input.asOf === undefined
      ? await deps.findings.range(input.nodeId, input.intervalMs, input.closed.start, input.closed.end)
      : await deps.findings.rangeAsOf(input.nodeId, input.intervalMs, input.closed.start, input.closed.end, input.asOf);
    // A cache hit on bars already checked: the cached verdict, when nothing it depends on changed
    // (the bars are the segment's, which writes invalidate; the registry version, the known-empty
    // ranges and the range are in the key; reports with ingest findings or a candidate version
    // are not memoised). Skips the pipeline's passes, the archive lookup and drift observation:
    // most of a cache hit's cost (bench/provider/fixed-cost.bench.ts).
    const memoKey = input.verdicts && plan.candidate === undefined ? verdictKey(input, latest) : undefined;
    const memo = memoKey === undefined ? undefined : input.verdicts?.get(memoKey);
    if (memo !== undefined && ingest.length === 0) return serve(memo, input, labels, input.frame);
    const batch = frameToRawBatch(input.frame);
    const checkAgainst = (target: ValidationTarget | undefined) => pipeline.check({
      nodeId: input.nodeId,
      intervalMs: input.intervalMs,
      frameSchema: input.frameSchema,
      ...(target ? { registry: { subject: input.subject, version: target.version.version, schema: target.schema, mode: target.mode } } : {}),
      batch,
      expected: input.closed,
      knownEmpty: input.knownEmpty,
      now,
      origin: 'read',
      mode: deps.mode,
    });
    const result = checkAgainst(latest);
    let report = result.report;
    if (ingest.length > 0) report = mergeIngestFindings(report, ingest);

    if (latest) {
      const observed: { name: string; kind: 'float64' }[] = [];
      for (const name of batch.columns.keys()) observed.push({ name, kind: 'float64' });
      if (deps.drift.observe(input.subject, observed, latest.schema).drifted) metrics.schemaDrift.inc({ subject: input.subject });
    }

    if (Object.keys(report.flags).length > 0) report = await archive(report, labels);
    countFindings(report, labels);

    if (plan.candidate) {
      // The candidate is canary: its failures are recorded and counted, never blocking.
      const candidate = checkAgainst(plan.candidate).schemaViolations;
      if (candidate.length > 0) {
        metrics.schemaValidationFailures.inc({ subject: input.subject, mode: 'canary' });
        await registry.recordValidation(input.subject, 'canary', candidate);
        log.warn({ subject: input.subject, mode: 'canary', version: plan.candidate.version.version, violations: candidate }, 'schema validation failed against the version awaiting promotion');
      }
    }
    if (result.schemaViolations.length > 0 && latest && validationMode) {
      metrics.schemaValidationFailures.inc({ subject: input.subject, mode: validationMode });
      await registry.recordValidation(input.subject, validationMode, result.schemaViolations);
      log.warn({ subject: input.subject, mode: validationMode, violations: result.schemaViolations, reportUri: report.uri }, 'schema validation failed');
      if (validationMode === 'strict') {
        metrics.conformanceBlocked.inc(labels);
        throw new SchemaValidationError(input.subject, latest.version.version, result.schemaViolations, report);
      }
    }
    block(report, input, labels);
    // Memoised only when the pipeline served the bars as they are (a clean frame is its own answer).
    if (memoKey !== undefined && ingest.length === 0 && result.frame === input.frame && result.schemaViolations.length === 0 && (input.verdicts?.size ?? 0) < MAX_VERDICTS) {
      input.verdicts?.set(memoKey, report);
    }
    return { frame: result.frame, report };
  };
  const quality = deps.quality;
  if (quality === undefined) return runConformance;
  // A read without a frame (engine-resample.ts) can be judged clean only when nothing but the
  // bars could make a finding: registry schemas (primary and candidate) that a float64 frame of
  // storage passes whatever its values, and no ingest finding in the range. `judge`: this is the
  // read's check, so schema drift is observed as the full check observes it.
  const withoutFrame = async (input: FramelessInput, judge: boolean): Promise<QualityBounds | undefined> => {
    const plan = await registry.validationPlan(input.subject);
    if (!passesAnyFloatFrame(plan.primary, input.frameSchema) || !passesAnyFloatFrame(plan.candidate, input.frameSchema)) return undefined;
    const ingest = await deps.findings.range(input.nodeId, input.intervalMs, input.closed.start, input.closed.end);
    if (ingest.length > 0) return undefined;
    if (judge && plan.primary) {
      const observed = [{ name: 'ts', kind: 'float64' as const }, ...input.frameSchema.columns.map((c) => ({ name: c.name, kind: 'float64' as const }))];
      if (deps.drift.observe(input.subject, observed, plan.primary.schema).drifted) metrics.schemaDrift.inc({ subject: input.subject });
    }
    return quality;
  };
  return Object.assign(runConformance, { withoutFrame });

  /** A memoised verdict: its counters again (each read is counted), then serve or block as a fresh check would. */
  function serve(report: ConformanceReport, input: ConformanceInput, labels: { node_id: string; interval: string }, frame: Frame): ConformanceOutcome {
    countFindings(report, labels);
    block(report, input, labels);
    return { frame, report };
  }

  function countFindings(report: ConformanceReport, labels: { node_id: string; interval: string }): void {
    for (const [flag, count] of Object.entries(report.flags)) {
      if (count !== undefined && count > 0) metrics.conformanceFlags.inc({ ...labels, flag_type: flag }, count);
    }
    if (report.warnings.length > 0) metrics.conformanceWarnings.inc(labels, report.warnings.length);
  }

  function block(report: ConformanceReport, input: ConformanceInput, labels: { node_id: string; interval: string }): void {
    const decision = blockingDecision(report, { partialOk: input.partialOk });
    if (decision.block) {
      metrics.conformanceBlocked.inc(labels);
      log.info({ nodeId: input.nodeId, interval: labels.interval, reasons: decision.reasons, reportUri: report.uri }, 'read blocked by conformance');
      throw new ConformanceBlockedError(report, decision.reasons);
    }
  }

  /**
   * Archives a report with findings, with its regression digest. When the dataset's newest
   * report covers the same range with the same counts, that report is the answer again and
   * nothing new is appended (a repeated read is not a new finding).
   */
  async function archive(report: ConformanceReport, labels: { node_id: string; interval: string }): Promise<ConformanceReport> {
    // Like with like: the newest report of the dataset whose range overlaps this one.
    const previous = await deps.archive.latest(report.nodeId, report.intervalMs, report.range);
    if (previous && sameFindings(previous, report)) return { ...report, id: previous.id, uri: previous.uri, regression: previous.regression };
    const id = randomUUID();
    const digest = regressionDigest(report, previous);
    const archived: ConformanceReport = { ...report, id, uri: reportUri(report.nodeId, id), regression: digest };
    await deps.archive.append(archived);
    metrics.conformanceReportsArchived.inc(labels);
    if (digest.regressed) {
      metrics.conformanceRegressions.inc(labels);
      log.warn({ nodeId: report.nodeId, reportUri: archived.uri, newFlags: digest.newFlags, increased: digest.increased }, 'conformance regression');
    }
    return archived;
  }
}

/** What a memoised verdict depends on besides the bars: the range, the known-empty ranges and the registry version checked. */
function verdictKey(input: ConformanceInput, target: ValidationTarget | undefined): string {
  let key = `${input.closed.start}:${input.closed.end}|${target ? `${target.version.version}:${target.mode}` : '-'}|`;
  for (const r of input.knownEmpty) key += `${r.start}:${r.end},`;
  return key;
}

function sameFindings(a: ConformanceReport, b: ConformanceReport): boolean {
  if (a.range.start !== b.range.start || a.range.end !== b.range.end || a.rowsIn !== b.rowsIn) return false;
  const ka = Object.keys(a.flags);
  if (ka.length !== Object.keys(b.flags).length) return false;
  for (const k of ka) if (a.flags[k as keyof typeof a.flags] !== b.flags[k as keyof typeof b.flags]) return false;
  return true;
}

/**
 * Step 7 as a step of the read pipeline. Known-empty ranges are never gaps; nor are the ranges
 * the answer reports as missing (a partial answer says so in its metadata: that is coverage,
 * not a defect of the bars). Bars the upstream was asked for and answered without are gaps of
 * the data, though. Coverage comes from the coverage step (or the strategy's re-read after a
 * backfill); only a read that live and the cache answered whole reads it here, once.
 */
export const conformanceStep: ReadStep = async (ctx, deps) => {
  const stage = deps.conformance;
  if (!stage) return;
  const { req, resolved, closed } = ctx;
  if (ctx.engineBuckets !== undefined) {
    // Proved clean when the engine read (engine-resample.ts); judged again now, as the full check would be.
    if (await stage.withoutFrame?.({ nodeId: req.nodeId, intervalMs: req.intervalMs, subject: resolved.subject, frameSchema: resolved.schema, closed }, true) !== undefined) {
      await ctx.trace.step('seamless.conformance', (s) => s?.setAttributes({ 'seamless.conformance.flags': '', 'seamless.conformance.report': '' }));
      ctx.conformance = { flags: {}, warnings: [], reportUri: null };
      return;
    }
    // A registry schema or an ingest finding arrived since: the rows, and the full check.
    ctx.frame = await deps.store.read(resolved.dataset, resolved.schema, closed);
    ctx.engineBuckets = undefined;
  }
  const knownEmpty = await conformanceKnownEmpty(ctx, deps);
  const frame = ctx.frame;
  // A whole cache hit from one segment: the verdicts reached on that segment's bars.
  const hit = ctx.cacheHit && ctx.cachePieces.length === 1 && ctx.counts.live === 0 ? ctx.cachePieces[0] : undefined;
  const verdicts = hit && hit.frame === frame && hit.range.start === closed.start && hit.range.end === closed.end ? hit.segment.verdicts : undefined;
  const checked = await ctx.trace.step('seamless.conformance', async (s) => {
    const out = await stage({
      nodeId: req.nodeId, intervalMs: req.intervalMs, frameSchema: resolved.schema, subject: resolved.subject,
      frame, closed, knownEmpty, partialOk: req.partialOk, ...(verdicts ? { verdicts } : {}), ...(req.asOf !== undefined ? { asOf: req.asOf } : {}),
    });
    s?.setAttributes({ 'seamless.conformance.flags': Object.keys(out.report.flags).join(','), 'seamless.conformance.report': out.report.uri ?? '' });
    return out;
  });
  ctx.answer = checked.frame;
  ctx.conformance = { flags: checked.report.flags, warnings: checked.report.warnings, reportUri: checked.report.uri };
};

/**
 * The ranges conformance must not call gaps: the missing ranges the answer reports (less those an
 * upstream answered without), and the known-empty coverage.
 */
export async function conformanceKnownEmpty(ctx: ReadContext, deps: DataProviderDeps): Promise<TimeRange[]> {
  const { req, resolved, closed, missing, upstreamGaps } = ctx;
  const ranges = ctx.coverage ?? withCalendarClosed(await deps.store.coverage(resolved.dataset, closed), closed, resolved.calendar, req.intervalMs);
  const knownEmpty = upstreamGaps.length === 0 ? [...missing] : subtractRanges(missing, upstreamGaps);
  for (const c of ranges) if (c.state === 'known_empty') knownEmpty.push(c);
  return knownEmpty;
}
