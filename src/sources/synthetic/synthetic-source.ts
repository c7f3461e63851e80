/**
 * The synthetic source: deterministic OHLCV demo data for any dataset, any range, on demand.
 * See random-walk.ts for the walk and defects.ts for the defective mode.
 */
import {
  AbortedError, delay, InvalidRequestError, InvertedRangeError, OHLCV_SCHEMA, allocateFrame, alignUp, normaliseRanges,
} from '../../core/index.js';
import type { Frame, TimeRange, TradingCalendar } from '../../core/index.js';
import type { BarSource, SourceBatch, SourceRequest } from '../bar-source.js';
import { applyDefects } from './defects.js';
import { hashAt, hashString, mixInteger, unit } from './hash-rng.js';
import { createRandomWalk } from './random-walk.js';
import type { WalkColumns } from './random-walk.js';

export const DEFAULT_SYNTHETIC_SEED = 42;
export const DEFAULT_SYNTHETIC_BASE_PRICE = 100;
/** Standard deviation of the one-day log return (3 %). */
export const DEFAULT_SYNTHETIC_VOLATILITY = 0.03;
/** The most bars one fetch may produce (about 95 years of 1m bars): guards memory. */
export const MAX_SYNTHETIC_BARS_PER_FETCH = 50_000_000;

export interface SyntheticSourceOptions {
  /** Seed of every draw (a safe integer; default 42). Same seed, same bars. */
  readonly seed?: number;
  /** Simulated upstream latency per fetch call, in ms: fixed, or uniform in [min, max]. Default 0. */
  readonly latencyMs?: number | { readonly min: number; readonly max: number };
  /** `weekends`: bars whose UTC day is Saturday or Sunday are not produced but reported as knownEmpty. */
  readonly knownEmpty?: 'weekends' | 'none';
  /** Bars only in this calendar's open sessions; its closed bars are reported as knownEmpty (with `weekends`, both). */
  readonly calendar?: TradingCalendar;
  /** Injects the deterministic defects of defects.ts (gap, duplicate, NaN close, high below close). */
  readonly defects?: boolean;
  /** Price level the walk wanders around (> 0; default 100). */
  readonly basePrice?: number;
  /** Standard deviation of the one-day log return (≥ 0; default 0.03). */
  readonly volatility?: number;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday, so the first UTC Saturday starts at day 2. */
const FIRST_SATURDAY_MS = 2 * DAY_MS;
const WEEKEND_MS = 2 * DAY_MS;
const LATENCY_STREAM = 200;

interface ResolvedOptions {
  readonly seedKey: number;
  readonly latencyMin: number;
  readonly latencyMax: number;
  readonly weekends: boolean;
  readonly calendar: TradingCalendar | undefined;
  readonly defects: boolean;
  readonly basePrice: number;
  readonly volatility: number;
}

class SyntheticSource implements BarSource {
  readonly name = 'synthetic';
  readonly schema = OHLCV_SCHEMA;
  readonly #o: ResolvedOptions;

  constructor(options: ResolvedOptions) {
    this.#o = options;
  }

  async fetch(request: SourceRequest): Promise<SourceBatch> {
    const { nodeId, intervalMs, range, signal } = request;
    checkRequest(nodeId, intervalMs, range);
    const key = mixInteger(mixInteger(this.#o.seedKey, hashString(nodeId)), intervalMs);
    await this.#latency(key, range.start, signal);
    if (signal?.aborted === true) throw new AbortedError(signal.reason);

    const knownEmpty = closedRanges(this.#o, range, intervalMs);
    const walk = createRandomWalk({ key, intervalMs, basePrice: this.#o.basePrice, dailyVolatility: this.#o.volatility });
    let rows = (range.end - range.start) / intervalMs;
    for (const e of knownEmpty) rows -= (e.end - e.start) / intervalMs;
    let frame: Frame = allocateFrame(OHLCV_SCHEMA, rows);
    const [open, high, low, close, volume] = frame.values as Float64Array[];
    const out: WalkColumns = { ts: frame.ts, open, high, low, close, volume };
    // Fill the runs between known-empty ranges.
    let at = 0;
    let from = range.start;
    for (let i = 0; i <= knownEmpty.length; i++) {
      const to = i < knownEmpty.length ? knownEmpty[i].start : range.end;
      walk.fill(from / intervalMs, to / intervalMs, out, at);
      at += (to - from) / intervalMs;
      if (i < knownEmpty.length) from = knownEmpty[i].end;
    }
    if (this.#o.defects) frame = applyDefects(frame, key, intervalMs, range);
    return { frame, knownEmpty };
  }

  /** Waits the simulated latency; rejects with AbortedError as soon as `signal` fires. */
  #latency(key: number, start: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(new AbortedError(signal.reason));
    const { latencyMin, latencyMax } = this.#o;
    if (latencyMax === 0) return Promise.resolve();
    const ms = latencyMin + (latencyMax - latencyMin) * unit(hashAt(key, start, LATENCY_STREAM));
    return delay(ms, signal);
  }
}

/**
 * Creates the synthetic source (name `synthetic`, OHLCV). The same (seed, nodeId, interval, ts)
 * always gives the same bar, whatever range is requested.
 *
 * @example
 * const source = createSyntheticSource({ seed: 7, knownEmpty: 'weekends' });
 * const { frame, knownEmpty } = await source.fetch({ nodeId: 'ohlcv:demo:ACME', intervalMs: 86_400_000, range: { start: 0, end: 30 * 86_400_000 } });
 */
export function createSyntheticSource(options: SyntheticSourceOptions = {}): BarSource {
  return new SyntheticSource(resolveOptions(options));
}

function resolveOptions(o: SyntheticSourceOptions): ResolvedOptions {
  const seed = o.seed ?? DEFAULT_SYNTHETIC_SEED;
  if (!Number.isSafeInteger(seed)) throw new InvalidRequestError('seed', `must be a safe integer, got ${seed}`, { value: seed });
  let latencyMin = 0;
  let latencyMax = 0;
  if (typeof o.latencyMs === 'number') {
    latencyMin = latencyMax = o.latencyMs;
  } else if (o.latencyMs !== undefined) {
    latencyMin = o.latencyMs.min;
    latencyMax = o.latencyMs.max;
  }
  if (!isNonNegativeFinite(latencyMin) || !isNonNegativeFinite(latencyMax)) {
    throw new InvalidRequestError('latencyMs', `must be finite and ≥ 0, got ${JSON.stringify(o.latencyMs)}`);
  }
  if (latencyMin > latencyMax) {
    throw new InvalidRequestError('latencyMs', `min (${latencyMin}) must not exceed max (${latencyMax})`);
  }
  const knownEmpty = o.knownEmpty ?? 'none';
  if (knownEmpty !== 'none' && knownEmpty !== 'weekends') {
    throw new InvalidRequestError('knownEmpty', `must be "weekends" or "none", got ${JSON.stringify(knownEmpty)}`);
  }
  const basePrice = o.basePrice ?? DEFAULT_SYNTHETIC_BASE_PRICE;
  if (!(Number.isFinite(basePrice) && basePrice > 0)) {
    throw new InvalidRequestError('basePrice', `must be a finite number > 0, got ${basePrice}`);
  }
  const volatility = o.volatility ?? DEFAULT_SYNTHETIC_VOLATILITY;
  if (!isNonNegativeFinite(volatility)) {
    throw new InvalidRequestError('volatility', `must be a finite number ≥ 0, got ${volatility}`);
  }
  return Object.freeze({
    seedKey: mixInteger(0x5eed, seed),
    latencyMin,
    latencyMax,
    weekends: knownEmpty === 'weekends',
    calendar: o.calendar,
    defects: o.defects === true,
    basePrice,
    volatility,
  });
}

function isNonNegativeFinite(x: number): boolean {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function checkRequest(nodeId: string, intervalMs: number, range: TimeRange): void {
  if (typeof nodeId !== 'string' || nodeId.length === 0) throw new InvalidRequestError('nodeId', 'must be a non-empty string');
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new InvalidRequestError('interval', `must be a positive integer number of ms, got ${intervalMs}`);
  }
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
    throw new InvalidRequestError('range', `bounds must be integer epoch ms, got [${start}, ${end})`);
  }
  if (end < start) throw new InvertedRangeError(start, end);
  if (start % intervalMs !== 0 || end % intervalMs !== 0) {
    throw new InvalidRequestError('range', `[${start}, ${end}) is not aligned to the ${intervalMs} ms grid`);
  }
  if ((end - start) / intervalMs > MAX_SYNTHETIC_BARS_PER_FETCH) {
    throw new InvalidRequestError('range', `asks for ${(end - start) / intervalMs} bars; at most ${MAX_SYNTHETIC_BARS_PER_FETCH} per fetch`);
  }
}

/** What the source answers known empty: UTC weekends and/or the calendar's closed bars, in normal form. */
function closedRanges(o: ResolvedOptions, range: TimeRange, intervalMs: number): TimeRange[] {
  const weekends = o.weekends ? weekendRanges(range, intervalMs) : [];
  if (o.calendar === undefined || o.calendar.alwaysOpen) return weekends;
  const closed = o.calendar.closedRanges(range, intervalMs);
  return weekends.length === 0 ? closed : normaliseRanges([...weekends, ...closed]);
}

/**
 * The known-empty ranges of `range` when weekends are closed: for each UTC weekend
 * [Saturday 00:00, Monday 00:00), the grid bars that open inside it. Ascending, aligned,
 * adjacent ones merged (possible for intervals longer than the five weekdays).
 */
export function weekendRanges(range: TimeRange, intervalMs: number): TimeRange[] {
  const out: { start: number; end: number }[] = [];
  let s = FIRST_SATURDAY_MS + Math.floor((range.start - FIRST_SATURDAY_MS) / WEEK_MS) * WEEK_MS;
  for (; s < range.end; s += WEEK_MS) {
    const a = alignUp(Math.max(s, range.start), intervalMs);
    const b = Math.min(alignUp(s + WEEKEND_MS, intervalMs), range.end);
    if (a >= b) continue;
    const last = out.length > 0 ? out[out.length - 1] : undefined;
    if (last !== undefined && last.end === a) last.end = b;
    else out.push({ start: a, end: b });
  }
  return out;
}
