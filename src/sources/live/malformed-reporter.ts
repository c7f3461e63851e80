/**
 * Counts malformed messages (every one, through the feed's hooks) and logs them without letting
 * a flood of bad messages flood the log: the first at once, then at most one line per
 * `intervalMs`, carrying how many were not logged since.
 */
import type { LiveFeedHooks, LiveFeedLog } from './live-feed.js';

/** A log line quotes at most this much of the message. */
const SAMPLE_CHARS = 200;

export interface MalformedReporter {
  report(reason: string, message: string): void;
}

export function createMalformedReporter(
  feed: string, log: LiveFeedLog | undefined, hooks: LiveFeedHooks | undefined, now: () => number, intervalMs = 1_000,
): MalformedReporter {
  let lastLogAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return {
    report(reason, message) {
      hooks?.onMessage?.('malformed');
      if (!log) return;
      const t = now();
      if (t - lastLogAt < intervalMs) {
        suppressed++;
        return;
      }
      lastLogAt = t;
      const sample = message.length > SAMPLE_CHARS ? `${message.slice(0, SAMPLE_CHARS)}…` : message;
      log.warn({ feed, reason, sample, suppressed }, 'live feed: malformed message skipped');
      suppressed = 0;
    },
  };
}
