/**
 * Step 3 of the read pipeline, the response cache: what a read reuses from it (`cacheStep`: the
 * cached stretches of the closed range, clipped to what live does not answer) and what it leaves
 * there (`assembleStep`, after storage and backfill: the pieces joined into one frame, and its
 * complete parts cached — copied, so a segment never pins a whole read buffer); fingerprints
 * memoised per cached segment, and the row accounting of pieces.
 */
import { concatFrames, emptyFrame, fingerprintFrame, lowerBound, subtractRanges } from '../../core/index.js';
import type { Frame, TimeRange } from '../../core/index.js';
import type { CachePiece, ResponseCache } from '../response-cache.js';
import type { ReadStep } from './read-context.js';

/** One contiguous part of an answer and the range it vouches for. */
export interface Piece {
  readonly range: TimeRange;
  readonly frame: Frame;
}

/** Step 3: the cached stretches of the closed range that live does not answer. */
export const cacheStep: ReadStep = async (ctx, deps) => {
  const { cache, metrics } = deps;
  if (cache && ctx.remaining.length > 0) {
    // Before anything is read (strategy-runner.ts moves it to just before the storage read).
    ctx.cacheEpoch = cache.epoch();
    const hit = await ctx.trace.step('seamless.cache', (span) => {
      const found = cache.lookup(ctx.cacheKey, ctx.closed);
      span?.setAttributes({ 'seamless.cache.pieces': found.pieces.length, 'seamless.cache.remaining': found.remaining.length });
      return found;
    });
    // What live vouches for stays live's: cached stretches are clipped to what is left.
    const live = ctx.livePart;
    ctx.cachePieces = live ? clipPieces(hit.pieces, live.covered) : hit.pieces;
    ctx.remaining = live ? subtractRanges(hit.remaining, live.covered) : hit.remaining;
    for (const p of ctx.cachePieces) {
      ctx.pieces.push(p);
      ctx.counts.cache += p.frame.length;
    }
  }
  ctx.cacheHit = ctx.remaining.length === 0 && ctx.closed.end > ctx.closed.start && ctx.cachePieces.length > 0;
  if (cache) {
    if (ctx.cacheHit) cache.countHit();
    else cache.countMiss();
  }
  if (ctx.cacheHit) metrics.cacheHits.inc();
  else metrics.cacheMisses.inc();
};

/** The pieces of every source joined in time order; what this read proved complete goes to the cache. */
export const assembleStep: ReadStep = (ctx, deps) => {
  const { pieces } = ctx;
  const { schema } = ctx.resolved;
  pieces.sort((a, b) => a.range.start - b.range.start);
  const frame = pieces.length === 0 ? emptyFrame(schema) : concatFrames(schema, pieces.map((p) => p.frame));
  ctx.frame = frame;
  ctx.answer = frame;
  // Buckets the engine aggregated leave no base frame to cache (engine-resample.ts).
  if (deps.cache && ctx.remaining.length > 0 && ctx.engineBuckets === undefined) rememberComplete(deps.cache, ctx.cacheKey, ctx.remaining, ctx.missing, pieces, ctx.closed, frame, ctx.cacheEpoch);
};

/** Caches what this read proved complete: the whole answer when nothing is missing, else the complete parts. */
export function rememberComplete(
  cache: ResponseCache, key: string, remaining: readonly TimeRange[], missing: readonly TimeRange[],
  pieces: readonly Piece[], closed: TimeRange, answer: Frame, since?: number,
): void {
  if (missing.length === 0) {
    cache.insert(key, closed, answer, since);
    return;
  }
  for (const complete of subtractRanges(remaining, missing)) {
    for (const p of pieces) {
      if (p.range.start >= complete.end || p.range.end <= complete.start) continue;
      const f = p.frame;
      const part = f.slice(lowerBound(f.ts, Math.max(complete.start, p.range.start)), lowerBound(f.ts, Math.min(complete.end, p.range.end)));
      // The cache copies a view that would pin the whole read buffer (response-cache.ts ownedFrame).
      cache.insert(key, { start: Math.max(complete.start, p.range.start), end: Math.min(complete.end, p.range.end) }, part, since);
    }
  }
}

export function memoFingerprint(piece: CachePiece, frame: Frame): string {
  const seg = piece.segment;
  const from = lowerBound(seg.frame.ts, piece.range.start);
  const memoKey = `${from}:${from + frame.length}`;
  let fp = seg.fingerprints.get(memoKey);
  if (fp === undefined) {
    fp = fingerprintFrame(frame);
    if (seg.fingerprints.size < 16) seg.fingerprints.set(memoKey, fp);
  }
  return fp;
}

export function rowsIn(frame: Frame, ranges: readonly TimeRange[]): number {
  let n = 0;
  for (const r of ranges) n += lowerBound(frame.ts, r.end) - lowerBound(frame.ts, r.start);
  return n;
}

/** The parts of cached pieces outside `exclude` (ranges another source answers), as views. */
export function clipPieces(pieces: readonly CachePiece[], exclude: readonly TimeRange[]): CachePiece[] {
  if (exclude.length === 0) return [...pieces];
  const out: CachePiece[] = [];
  for (const p of pieces) {
    for (const keep of subtractRanges([p.range], exclude)) {
      const f = p.frame;
      out.push({ range: keep, frame: f.slice(lowerBound(f.ts, keep.start), lowerBound(f.ts, keep.end)), segment: p.segment });
    }
  }
  return out;
}
