/**
 * The one way Seamless opens an etcd3 client: every unary call gets a deadline (without one a
 * call in flight when the leader dies hangs indefinitely — DEPENDENCIES.md), watch streams stay
 * open, and gRPC keeps the connection alive and reconnects quickly after a member restarts.
 */
import { Etcd3 } from 'etcd3';
import type { IOptions } from 'etcd3';

export function openEtcdClient(endpoints: readonly string[], callTimeoutMs: number, extra: Pick<IOptions, 'faultHandling'> = {}): Etcd3 {
  return new Etcd3({
    hosts: [...endpoints],
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    },
    ...extra,
  });
}
