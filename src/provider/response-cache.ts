/**
 * The response cache: complete, already-read stretches of a dataset ("segments"), keyed by
 * dataset, world, asOf and conformance version, bounded by bytes and entries, with a TTL.
 * A read takes what the cache has for its range (zero-copy slices) and asks storage for the
 * rest, so cache, storage and backfill can each serve part of one answer.
 *
 * LRU order is a Map's insertion order (delete + set on use): O(1) per touch, no linked list.
 */
import { allocateFrame, lowerBound } from '../core/index.js';
import type { Clock, Frame, TimeRange } from '../core/index.js';
import type { ConformanceReport } from '../conformance/index.js';

export interface CacheLimits {
  readonly maxBytes: number;
  readonly maxEntries: number;
  readonly ttlMs: number;
}

export interface CachePiece {
  readonly range: TimeRange;
  readonly frame: Frame;
  /** The segment's memo for fingerprints of exact slices. */
  readonly segment: Segment;
}

export interface CacheLookup {
  readonly pieces: readonly CachePiece[];
  /** Parts of the range the cache does not hold, sorted. */
  readonly remaining: readonly TimeRange[];
}

export interface CacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

export interface Segment {
  readonly id: number;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly frame: Frame;
  readonly bytes: number;
  readonly expiresAt: number;
  /** Fingerprints of slices already hashed, by "from:to" row index. */
  readonly fingerprints: Map<string, string>;
  /** Conformance verdicts reached on this segment's bars (read/conformance-stage.ts), by what they depend on. */
  readonly verdicts: Map<string, ConformanceReport>;
}

export interface ResponseCache {
  lookup(key: string, range: TimeRange): CacheLookup;
  /**
   * Stores a complete stretch: `frame` holds every bar there is in `range`. `since` is the
   * `epoch()` taken before the bars were read: if an invalidation of this key's dataset
   * overlapping `range` (or a clear) came after it, the bars may predate a write and nothing is
   * stored.
   */
  insert(key: string, range: TimeRange, frame: Frame, since?: number): void;
  /** Counts invalidations and clears: taken before a read of the bars it will insert. */
  epoch(): number;
  /** Drops every segment of a dataset (all worlds/asOf) overlapping `range` (all if omitted). */
  invalidate(datasetPrefix: string, range?: TimeRange): void;
  countHit(): void;
  countMiss(): void;
  stats(): CacheStats;
  clear(): void;
}

export interface ResponseCacheEvents {
  onEvict?(reason: 'ttl' | 'bytes' | 'entries' | 'invalidated' | 'replaced'): void;
  onSize?(entries: number, bytes: number): void;
}

const SEGMENT_OVERHEAD_BYTES = 256;
/** Invalidations remembered for `insert(…, since)`; an insert older than all of them is refused. */
const RECENT_INVALIDATIONS = 1_024;

interface Invalidation {
  readonly epoch: number;
  readonly prefix: string;
  readonly start: number;
  readonly end: number;
}

export function cacheKey(nodeId: string, intervalMs: number, worldId: string | undefined, asOf: number | undefined, conformanceVersion: string): string {
  return JSON.stringify([nodeId, intervalMs, worldId ?? null, asOf ?? null, conformanceVersion]);
}

/** The prefix shared by every cache key of one dataset (for invalidation). */
export function datasetKeyPrefix(nodeId: string, intervalMs: number): string {
  return JSON.stringify([nodeId, intervalMs]).slice(0, -1) + ',';
}

export function createResponseCache(limits: CacheLimits, clock: Clock, events: ResponseCacheEvents = {}): ResponseCache {
  const lru = new Map<number, Segment>();
  const byKey = new Map<string, Segment[]>();
  let nextId = 1;
  let bytes = 0;
  let hits = 0;
  let misses = 0;
  let evictions = 0;
  let epoch = 0;
  const recent: Invalidation[] = [];

  function noteInvalidation(prefix: string, range: TimeRange | undefined): void {
    epoch++;
    recent.push({ epoch, prefix, start: range?.start ?? -Infinity, end: range?.end ?? Infinity });
    if (recent.length > RECENT_INVALIDATIONS) recent.shift();
  }

  /** Whether an invalidation after `since` touched `key` over `range` (assumed when the log no longer reaches back). */
  function invalidatedSince(key: string, range: TimeRange, since: number): boolean {
    if (since >= epoch) return false;
    if (recent.length === 0 || recent[0].epoch > since + 1) return true;
    for (let i = recent.length - 1; i >= 0 && recent[i].epoch > since; i--) {
      const r = recent[i];
      if (key.startsWith(r.prefix) && r.start < range.end && r.end > range.start) return true;
    }
    return false;
  }

  function remove(seg: Segment, reason: 'ttl' | 'bytes' | 'entries' | 'invalidated' | 'replaced'): void {
    if (!lru.delete(seg.id)) return;
    bytes -= seg.bytes;
    const list = byKey.get(seg.key);
    if (list) {
      const i = list.indexOf(seg);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) byKey.delete(seg.key);
    }
    evictions++;
    events.onEvict?.(reason);
  }

  function enforceLimits(): void {
    for (const seg of lru.values()) {
      if (bytes <= limits.maxBytes && lru.size <= limits.maxEntries) break;
      remove(seg, bytes > limits.maxBytes ? 'bytes' : 'entries');
    }
    events.onSize?.(lru.size, bytes);
  }

  return {
    lookup(key, range) {
      const list = byKey.get(key);
      if (!list || list.length === 0) return { pieces: [], remaining: [range] };
      const now = clock.now();
      const pieces: CachePiece[] = [];
      const remaining: TimeRange[] = [];
      let cursor = range.start;
      // Segments are sorted by start and disjoint.
      for (let i = 0; i < list.length && cursor < range.end; ) {
        const seg = list[i];
        if (seg.expiresAt <= now) {
          remove(seg, 'ttl');
          continue; // the list shrank; same index now holds the next segment
        }
        i++;
        if (seg.end <= cursor) continue;
        if (seg.start >= range.end) break;
        if (seg.start > cursor) remaining.push({ start: cursor, end: seg.start });
        const from = Math.max(cursor, seg.start);
        const to = Math.min(range.end, seg.end);
        const f = seg.frame;
        pieces.push({ range: { start: from, end: to }, frame: f.slice(lowerBound(f.ts, from), lowerBound(f.ts, to)), segment: seg });
        lru.delete(seg.id);
        lru.set(seg.id, seg);
        cursor = to;
      }
      if (cursor < range.end) remaining.push({ start: cursor, end: range.end });
      return { pieces, remaining };
    },

    insert(key, range, given, since) {
      if (limits.maxEntries === 0 || limits.maxBytes === 0 || range.end <= range.start) return;
      if (since !== undefined && invalidatedSince(key, range, since)) return;
      const frame = ownedFrame(given);
      const segBytes = frame.byteLength + SEGMENT_OVERHEAD_BYTES;
      if (segBytes > limits.maxBytes) return;
      let list = byKey.get(key);
      if (!list) {
        list = [];
        byKey.set(key, list);
      }
      // A new segment replaces whatever it overlaps, keeping the list disjoint.
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i];
        if (s.start < range.end && s.end > range.start) remove(s, 'replaced');
      }
      list = byKey.get(key) ?? [];
      if (!byKey.has(key)) byKey.set(key, list);
      const seg: Segment = {
        id: nextId++, key, start: range.start, end: range.end, frame, bytes: segBytes,
        expiresAt: clock.now() + limits.ttlMs, fingerprints: new Map(), verdicts: new Map(),
      };
      let at = list.length;
      while (at > 0 && list[at - 1].start > seg.start) at--;
      list.splice(at, 0, seg);
      lru.set(seg.id, seg);
      bytes += segBytes;
      enforceLimits();
    },

    epoch: () => epoch,

    invalidate(datasetPrefix, range) {
      noteInvalidation(datasetPrefix, range);
      for (const [key, list] of [...byKey]) {
        if (!key.startsWith(datasetPrefix)) continue;
        for (const seg of [...list]) {
          if (!range || (seg.start < range.end && seg.end > range.start)) remove(seg, 'invalidated');
        }
      }
      events.onSize?.(lru.size, bytes);
    },

    countHit() { hits++; },
    countMiss() { misses++; },

    stats() {
      return { entries: lru.size, bytes, hits, misses, evictions };
    },

    clear() {
      noteInvalidation('', undefined);
      for (const seg of [...lru.values()]) remove(seg, 'invalidated');
    },
  };
}

/**
 * `frame` itself when its columns hold about what they show, else a copy: a view into a larger
 * read (one dataset of a universe answer's shared columns, a slice of a long read) would keep the
 * whole buffer alive while the cache charges only the view's bytes.
 */
export function ownedFrame(frame: Frame): Frame {
  const buffers = new Set<ArrayBufferLike>([frame.ts.buffer]);
  for (const v of frame.values) buffers.add(v.buffer);
  let held = 0;
  for (const b of buffers) held += b.byteLength;
  if (held <= 2 * frame.byteLength + PINNED_SLACK_BYTES) return frame;
  const out = allocateFrame(frame.schema, frame.length);
  out.ts.set(frame.ts);
  for (let c = 0; c < frame.values.length; c++) (out.values[c] as Float64Array).set(frame.values[c]);
  return out;
}

/** Buffers this much larger than a frame are not worth a copy (a small read's own slack). */
const PINNED_SLACK_BYTES = 64 * 1024;
