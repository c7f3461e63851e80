/**
 * Opens the etcd engine through its descriptor (src/engines/etcd `etcdEngine`) when the backfill
 * topology uses it — `seamless.backfill.store: etcd` with the coordinator in this process — on
 * the instance's ResourceStack: the cluster lease store (compose-backfill.ts) and the shared
 * upstream budget store (compose-sources.ts), closed when the stack unwinds. A remote coordinator
 * (`seamless.backfill.endpoint` a URL) or another lease store opens nothing, and does not even load
 * the engine: its module (etcd3 and gRPC, ~30 MB resident) is imported only when it is used.
 */
import type { ResourceStack } from '../core/index.js';
import type { SeamlessConfig } from '../config/index.js';
import type { EtcdEngineParts } from '../engines/etcd/index.js';
import type { EngineContext } from '../storage/index.js';

export async function openEtcdEngine(
  backfill: SeamlessConfig['seamless']['backfill'], resources: ResourceStack, context: EngineContext,
): Promise<EtcdEngineParts | undefined> {
  if (backfill.endpoint !== 'embedded' || backfill.store !== 'etcd') return undefined;
  const { endpoints, prefix, callTimeoutMs } = backfill.etcd;
  const { etcdEngine } = await import('../engines/etcd/index.js');
  return etcdEngine.open({ endpoints, prefix, callTimeoutMs, opaqueGraceMs: backfill.opaqueLeases.graceMs }, resources, context);
}
