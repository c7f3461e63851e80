/**
 * The one way Seamless opens an etcd3 client: every unary call gets a deadline (without one a
 * call in flight when the leader dies hangs indefinitely — DEPENDENCIES.md), watch streams stay
 * open, gRPC keeps the connection alive and reconnects quickly after a member restarts, and a
 * member that stops answering is skipped only briefly: its circuit breaker opens after 3
 * consecutive failures and lets a trial call through after 1 s (etcd3's default waits 5 s, so a
 * healthy cluster that just lost its leader looked unavailable for that long).
 */
import { ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';
import type { IOptions } from 'etcd3';

/** How long a member's breaker stays open before a trial call. */
export const ETCD_HALF_OPEN_AFTER_MS = 1_000;

const WATCH_BACKOFF_START_MS = 100;
const WATCH_BACKOFF_MAX_MS = 2_000;

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/** Watch reconnects back off 100 ms → 2 s (etcd3's default grows to 30 s: a slow recovery). */
export function fastWatchBackoff(durationMs = WATCH_BACKOFF_START_MS): WatchBackoff {
  return { duration: durationMs, next: () => fastWatchBackoff(Math.min(WATCH_BACKOFF_MAX_MS, durationMs * 2)) };
}

export function openEtcdClient(endpoints: readonly string[], callTimeoutMs: number, extra: Pick<NonNullable<IOptions['faultHandling']>, 'watchBackoff'> = {}): Etcd3 {
  return new Etcd3({
    hosts: [...endpoints],
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    },
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: ETCD_HALF_OPEN_AFTER_MS, breaker: new ConsecutiveBreaker(3) }),
      ...extra,
    },
  });
}
