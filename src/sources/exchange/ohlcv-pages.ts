/**
 * The edge between our half-open ranges and an exchange's candle API, done once, here.
 *
 * A request `[start, end)` on an `interval` grid becomes pages `fetchOHLCV(since, limit)`: the
 * exchange answers the earliest bars whose open time is ≥ `since`, at most `limit` of them,
 * ascending, the last possibly still building. We ask `since = cursor` (aligned) and
 * `limit = min(pageLimit, bars left before end)`, so a page never reaches past `end` when the
 * market is dense; bars at or after `end` — or not closed yet (`ts + interval > now`) — are
 * dropped. The window a page fully answers is `[since, last bar + interval)` when the page is
 * full, and all of `[since, end)` when it is short or empty (the exchange had nothing more) or
 * when it already reached past `end`. Every grid slot of an answered window without a bar is
 * `knownEmpty` (a halt, a quiet market, before the listing). Slots past the last closed bar are
 * neither returned nor reported empty: they are not history yet.
 *
 * Rows are ccxt's `[ts, open, high, low, close, volume]` arrays; they are copied once into the
 * frame's typed columns at the end (missing values become NaN for conformance to flag).
 */
import { OHLCV_SCHEMA, alignDown, allocateFrame } from '../../core/index.js';
import type { Frame, TimeRange } from '../../core/index.js';
import { ExchangeRequestError } from '../errors.js';

/** One ccxt OHLCV row: open time (ms), open, high, low, close, volume; values may be missing. */
export type OhlcvRow = readonly (number | undefined)[];

/** Fetches the earliest bars with open time ≥ `since`, at most `limit` (one exchange request). */
export type PageFetcher = (since: number, limit: number) => Promise<readonly OhlcvRow[]>;

export interface PagePlan {
  /** Aligned half-open range [start, end). */
  readonly range: TimeRange;
  readonly intervalMs: number;
  /** Now (epoch ms): bars with ts + interval > now are still building and never returned. */
  readonly now: number;
  /** Most bars asked per request (≤ the exchange's maximum, or a short page would lie). */
  readonly pageLimit: number;
  /** Names the exchange in errors. */
  readonly exchange: string;
}

export interface PagedBars {
  readonly frame: Frame;
  readonly knownEmpty: TimeRange[];
  /** Requests made. */
  readonly pages: number;
}

/** The end of the history that is closed at `now`: every bar with ts < this has closed. */
export function closedEnd(now: number, intervalMs: number): number {
  return alignDown(now, intervalMs);
}

/** The request for the page starting at the aligned `cursor` of a range ending at `end`. */
export function pageRequest(cursor: number, end: number, intervalMs: number, pageLimit: number): { since: number; limit: number } {
  return { since: cursor, limit: Math.min(pageLimit, (end - cursor) / intervalMs) };
}

/** Pages through `plan.range` until it is covered (or proven empty) and returns its closed bars. */
export async function fetchPaged(plan: PagePlan, fetchPage: PageFetcher): Promise<PagedBars> {
  const { range, intervalMs, pageLimit } = plan;
  const end = Math.min(range.end, closedEnd(plan.now, intervalMs));
  const rows: OhlcvRow[] = [];
  const empty = new EmptyRanges();
  let cursor = range.start;
  let pages = 0;
  while (cursor < end) {
    const { since, limit } = pageRequest(cursor, end, intervalMs, pageLimit);
    const page = sortedByTime(await fetchPage(since, limit));
    pages++;
    let expected = cursor;
    let reachedEnd = false;
    for (let i = 0; i < page.length; i++) {
      const ts = page[i][0];
      if (ts === undefined || !Number.isFinite(ts) || ts < cursor) continue;
      const slot = alignDown(ts, intervalMs);
      if (slot >= end) { reachedEnd = true; break; }
      if (slot > expected) empty.add(expected, slot);
      rows.push(page[i]);
      if (slot + intervalMs > expected) expected = slot + intervalMs;
    }
    if (reachedEnd || page.length < limit) {
      // Nothing more before `end`: the exchange answered past it, or had no more bars at all.
      if (expected < end) empty.add(expected, end);
      break;
    }
    if (expected <= cursor) {
      throw new ExchangeRequestError(plan.exchange, 'bad_response', `a full page of ${page.length} bars from ${since} held no bar at or after it`, { retryable: false });
    }
    cursor = expected;
  }
  return { frame: toFrame(rows), knownEmpty: empty.ranges, pages };
}

/** The page itself when ascending (the usual case), else a sorted copy. */
function sortedByTime(page: readonly OhlcvRow[]): readonly OhlcvRow[] {
  for (let i = 1; i < page.length; i++) {
    if ((page[i][0] ?? Number.NaN) < (page[i - 1][0] ?? Number.NaN)) {
      return [...page].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    }
  }
  return page;
}

/** Ascending, merged empty ranges. */
class EmptyRanges {
  readonly ranges: { start: number; end: number }[] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const last = this.ranges.length > 0 ? this.ranges[this.ranges.length - 1] : undefined;
    if (last !== undefined && last.end === start) last.end = end;
    else this.ranges.push({ start, end });
  }
}

function toFrame(rows: readonly OhlcvRow[]): Frame {
  const frame = allocateFrame(OHLCV_SCHEMA, rows.length);
  const ts = frame.ts;
  const [open, high, low, close, volume] = frame.values;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    ts[i] = r[0] ?? Number.NaN;
    open[i] = r[1] ?? Number.NaN;
    high[i] = r[2] ?? Number.NaN;
    low[i] = r[3] ?? Number.NaN;
    close[i] = r[4] ?? Number.NaN;
    volume[i] = r[5] ?? Number.NaN;
  }
  return frame;
}
