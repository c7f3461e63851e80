/**
 * The pruning of superseded bar versions (`storage.versionRetentionMs`, docs/storage.md#versions):
 * once at start and then on an unref'd timer, the bar store drops history rows superseded before
 * now minus the retention and records that horizon; as_of reads older than it are refused from
 * then on (`as_of_beyond_retention`). A failed prune is logged and retried on the next tick:
 * nothing is lost by pruning late.
 */
import type { Clock } from '../core/index.js';
import type { Logger } from '../observability/index.js';
import type { BarStore } from '../storage/index.js';

/** The longest wait between two prunes. */
export const MAX_PRUNE_INTERVAL_MS = 3_600_000;

export interface VersionPrunerDeps {
  readonly store: BarStore;
  readonly clock: Clock;
  readonly retentionMs: number;
  readonly logger: Logger;
}

/** Starts pruning; the returned function stops the timer and waits for a prune in flight (the resource stack calls it before the store closes). */
export function startVersionPruner(deps: VersionPrunerDeps): () => Promise<void> {
  const { store, clock, retentionMs, logger } = deps;
  const prune = store.pruneVersions;
  if (prune === undefined) return () => Promise.resolve();
  let running: Promise<void> | undefined;
  const tick = (): void => {
    if (running !== undefined) return;
    const horizon = clock.now() - retentionMs;
    running = prune.call(store, horizon)
      .then((dropped) => {
        if (dropped > 0) logger.info({ horizon, dropped }, 'pruned superseded bar versions');
      }, (error: unknown) => {
        logger.warn({ err: error, horizon }, 'pruning superseded bar versions failed; retried on the next tick');
      })
      .finally(() => { running = undefined; });
  };
  tick();
  const timer = setInterval(tick, Math.min(MAX_PRUNE_INTERVAL_MS, Math.max(1_000, Math.floor(retentionMs / 10))));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
