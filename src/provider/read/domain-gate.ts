/**
 * Step 2 of the read pipeline: the domain gate. The request is checked against what can exist
 * and against the rules of its execution domain (`context.domain`, ARCHITECTURE.md §3 and §10):
 *
 * - any domain: `asOf` is not in the future, and the range does not start after the newest bar
 *   that exists now (the one building) — such a read can have no bar: `invalid_request`;
 * - `backtest` / `dryrun` need an immutable, reproducible answer: `asOf` is required, every bar
 *   of the range must have closed by `asOf` (no lookahead), and the still-building bar cannot
 *   be asked for — otherwise `domain_policy` (422) naming the field;
 * - `live` / `shadow` never go back in time: the newest `asOf` is tracked per (world, node) and
 *   a read with an older one is, by `seamless.domain.asOfRegression`, answered but held
 *   (`hold`, the default: `downgradeMode: hold`, reason `domain_as_of_regression`, not to be
 *   traded on) or refused (`refuse`: `domain_policy` 422 naming `asOf`, reason
 *   `as_of_regression`); either is counted in `seamless_domain_as_of_regressions_total` and logged.
 *
 * A read of a snapshot (`snapshot=NAME`) never reaches this gate: it is answered from the
 * snapshot's own immutable copy (provider/snapshots), so it is reproducible without asOf.
 *
 * The dataset's interval grid is already checked: the catalog resolves (node, interval) or the
 * read is `not_found` (validate-step.ts).
 */
import { InvalidRequestError, alignDown, formatTime } from '../../core/index.js';
import type { AsOfRegressionPolicy } from '../../config/index.js';
import type { Logger, SeamlessMetrics } from '../../observability/index.js';
import { DomainPolicyError } from '../errors.js';
import type { ReadStep } from './read-context.js';

/** The downgrade reason of a live/shadow read whose asOf is older than one already served. */
export const AS_OF_REGRESSION = 'domain_as_of_regression';
/** (world, node) pairs whose newest asOf is remembered; the least recently seen is forgotten past it. */
export const MAX_TRACKED_AS_OF = 10_000;

export interface DomainGateOptions {
  /** What a live/shadow read whose asOf went back gets (default `hold`). */
  readonly asOfRegression?: AsOfRegressionPolicy;
  readonly maxTracked?: number;
  /** Counted in `domainAsOfRegressions` and logged (warn) on every regression when given. */
  readonly metrics?: Pick<SeamlessMetrics, 'domainAsOfRegressions'>;
  readonly logger?: Logger;
}

export function createDomainGate(options: DomainGateOptions = {}): ReadStep {
  const { asOfRegression = 'hold', maxTracked = MAX_TRACKED_AS_OF, metrics, logger } = options;
  const newestAsOf = new Map<string, number>();
  return function domainGate(ctx) {
    const { req, now } = ctx;
    const building = alignDown(now, req.intervalMs);
    if (req.asOf !== undefined && req.asOf > now) {
      throw new InvalidRequestError('asOf', `is in the future (${formatTime(req.asOf)}, now is ${formatTime(now)}); an answer can only be as of a time that has passed`, { asOf: req.asOf, now });
    }
    if (req.aligned.start > building) {
      throw new InvalidRequestError('start', `is after the newest bar that exists now (${formatTime(building)}, still building): no bar of [${formatTime(req.aligned.start)}, ${formatTime(req.aligned.end)}) exists yet`, { start: req.aligned.start, newestBar: building });
    }
    const domain = req.domain;
    if (domain === 'backtest' || domain === 'dryrun') {
      if (req.asOf === undefined) {
        throw new DomainPolicyError('asOf', domain, `a ${domain} read must say what time it is as of (asOf, or as_of over HTTP), so its answer is reproducible`);
      }
      if (req.includeBuilding) {
        throw new DomainPolicyError('includeBuilding', domain, `a ${domain} read is answered from closed bars only; the still-building bar changes and cannot be asked for`);
      }
      if (req.aligned.end > req.asOf) {
        throw new DomainPolicyError('end', domain, `the range's last bar closes at ${formatTime(req.aligned.end)}, after asOf ${formatTime(req.asOf)}: a ${domain} read may only see bars that had closed by its asOf; end the range at or before it`, { end: req.aligned.end, asOf: req.asOf });
      }
      return;
    }
    if ((domain === 'live' || domain === 'shadow') && req.asOf !== undefined) {
      // Structured key: node ids may contain any separator.
      const key = JSON.stringify([req.worldId ?? '', req.nodeId]);
      const newest = newestAsOf.get(key);
      if (newest !== undefined && req.asOf < newest) {
        const world = req.worldId ?? '';
        metrics?.domainAsOfRegressions.inc({ world, domain, action: asOfRegression });
        logger?.warn({ world, domain, nodeId: req.nodeId, asOf: req.asOf, newestAsOf: newest, action: asOfRegression }, 'domain gate: asOf went back');
        if (asOfRegression === 'refuse') {
          throw new DomainPolicyError('asOf', domain, `${formatTime(req.asOf)} is older than ${formatTime(newest)}, already served to world ${JSON.stringify(world)} for this node: a ${domain} read never goes back in time (seamless.domain.asOfRegression: refuse)`, { reason: 'as_of_regression', asOf: req.asOf, newestAsOf: newest });
        }
        ctx.domainHold = AS_OF_REGRESSION;
        return;
      }
      newestAsOf.delete(key);
      newestAsOf.set(key, req.asOf);
      if (newestAsOf.size > maxTracked) {
        const oldest = newestAsOf.keys().next();
        if (oldest.done !== true) newestAsOf.delete(oldest.value);
      }
    }
  };
}
