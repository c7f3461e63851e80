/**
 * Hands an event to every listener of a coordinator; a listener that throws is logged and the
 * others still hear the event (a broken subscriber never stops backfill).
 */
import type { Logger } from '../observability/index.js';

export function notifyListeners<E>(listeners: Iterable<(event: E) => void>, event: E, logger: Logger): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (error) {
      logger.error({ err: error }, 'backfill event listener threw');
    }
  }
}
