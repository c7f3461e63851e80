/**
 * The version of the conformance pipeline's semantics: what a read's answer looks like after the
 * pipeline ran on it (which rows it drops, casts or sorts, which flags it raises and at what level,
 * what blocks). The read path puts it in every response cache key, so an answer checked under
 * other rules is never served.
 *
 * Bump it (c1 → c2 …) in the same change as any edit that alters an answer or a report of the
 * same bars: a new or renamed flag, a level change in flags.ts, a changed judgement order in the
 * temporal rollup, a new cast, a changed blocking decision. Refactors that change nothing
 * observable keep it. Never reuse an old value. The history is in src/conformance/README.md.
 */
export const CONFORMANCE_VERSION = 'c1';
