/**
 * Step 1 of the read path: validate and normalise a fetch request. Bad input becomes an
 * InvalidRequestError naming the field; off-grid bounds are rounded outward to the bar grid
 * and both forms are kept for the metadata.
 */
import { InvalidRequestError, InvertedRangeError, alignRange, barCount, parseInterval, parseTime } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { TraceContext } from '../../observability/index.js';

export const STRATEGIES = ['fail_fast', 'auto_backfill', 'partial_fill', 'seamless'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const DEFAULT_STRATEGY: Strategy = 'seamless';

export const DOMAINS = ['backtest', 'dryrun', 'live', 'shadow'] as const;
export type Domain = (typeof DOMAINS)[number];

export interface FetchContext {
  readonly worldId?: string;
  readonly domain?: Domain;
  /** Point in time the answer must be valid as of (epoch ms or ISO-8601). */
  readonly asOf?: string | number;
  readonly minCoverage?: number;
  readonly maxLagMs?: number;
}

export interface FetchRequest {
  readonly nodeId: string;
  /** `"1m"`, `"1h"`, … or ms. */
  readonly interval: string | number;
  /** Epoch ms or ISO-8601; the range is half-open [start, end). */
  readonly start: string | number;
  readonly end: string | number;
  readonly strategy?: Strategy;
  readonly partialOk?: boolean;
  readonly includeBuilding?: boolean;
  readonly context?: FetchContext;
  /** Abandons the wait (not the shared backfill work) when it fires. */
  readonly signal?: AbortSignal;
  /** Caller identity for logs and events (API key name, `cli`, `library`). */
  readonly requestedBy?: string;
  /** The trace this read continues (e.g. from an incoming `traceparent`). */
  readonly traceContext?: TraceContext;
  /** Daily/weekly buckets of a derived interval in this IANA time zone (resample-read.ts). */
  readonly align?: string;
  /** `none` (default), `null` or `prev`: what a missing bar becomes (resample-read.ts). */
  readonly fill?: string;
}

export interface NormalisedRequest {
  readonly nodeId: string;
  readonly intervalMs: number;
  /** As given (parsed), possibly off-grid. */
  readonly requested: TimeRange;
  /** Rounded outward to the grid. */
  readonly aligned: TimeRange;
  readonly strategy: Strategy;
  readonly partialOk: boolean;
  readonly includeBuilding: boolean;
  readonly worldId: string | undefined;
  readonly domain: Domain | undefined;
  readonly asOf: number | undefined;
  readonly requestedBy: string;
}

const PRINTABLE = /^[\x20-\x7E]{1,256}$/;

/** Checks a node id (1-256 printable ASCII characters, opaque otherwise); `field` names it in the error. */
export function validateNodeId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidRequestError(field, 'is required (e.g. "ohlcv:demo:BTC-USD")');
  if (!PRINTABLE.test(value)) throw new InvalidRequestError(field, 'must be 1-256 printable ASCII characters');
  return value;
}

export function normaliseRequest(request: FetchRequest, maxBars: number): NormalisedRequest {
  if (request === null || typeof request !== 'object') throw new InvalidRequestError('request', 'must be an object');
  const nodeId = validateNodeId(request.nodeId, 'nodeId');
  if (request.interval === undefined || request.interval === '') throw new InvalidRequestError('interval', 'is required (e.g. "1m")');
  const intervalMs = parseInterval(request.interval, 'interval');
  if (request.start === undefined || request.start === '') throw new InvalidRequestError('start', 'is required (epoch ms or ISO-8601)');
  if (request.end === undefined || request.end === '') throw new InvalidRequestError('end', 'is required (epoch ms or ISO-8601)');
  const start = parseTime(request.start, 'start');
  const end = parseTime(request.end, 'end');
  if (end <= start) throw new InvertedRangeError(start, end);
  const requested = { start, end };
  const aligned = alignRange(requested, intervalMs);
  const bars = barCount(aligned, intervalMs);
  if (bars > maxBars) {
    throw new InvalidRequestError('end', `the range holds ${bars} bars, more than the maximum of ${maxBars}; narrow it or read it in parts`, { bars, maxBars });
  }
  const strategy = request.strategy ?? DEFAULT_STRATEGY;
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new InvalidRequestError('strategy', `unknown strategy "${String(strategy)}"; one of ${STRATEGIES.join(', ')}`);
  }
  const ctx = request.context ?? {};
  if (ctx.domain !== undefined && !(DOMAINS as readonly string[]).includes(ctx.domain)) {
    throw new InvalidRequestError('domain', `unknown domain "${String(ctx.domain)}"; one of ${DOMAINS.join(', ')}`);
  }
  if (ctx.worldId !== undefined && (typeof ctx.worldId !== 'string' || !PRINTABLE.test(ctx.worldId))) {
    throw new InvalidRequestError('world', 'must be 1-256 printable ASCII characters');
  }
  return {
    nodeId,
    intervalMs,
    requested,
    aligned,
    strategy,
    partialOk: request.partialOk === true,
    includeBuilding: request.includeBuilding === true,
    worldId: ctx.worldId,
    domain: ctx.domain,
    asOf: ctx.asOf === undefined ? undefined : parseTime(ctx.asOf, 'asOf'),
    requestedBy: request.requestedBy ?? 'library',
  };
}
