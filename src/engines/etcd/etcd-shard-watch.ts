/**
 * One etcd watcher on the `shards/` prefix per store, fanned out to `watch()` listeners.
 *
 * States: idle (no listeners, no watcher) → watching (etcd3 Watcher attached) → idle when the last
 * listener leaves or the hub closes. While watching, etcd3's watch manager reconnects the stream by
 * itself after a member dies (resuming from the last seen revision, so no put is missed); we log
 * `disconnected` / `connected`. A watcher etcd cancels (e.g. its revision was compacted) emits
 * `error`: we log it and attach a fresh watcher from the current revision after a short delay —
 * changes in between are lost to listeners, which is why listeners treat changes as hints and read
 * the store for truth. No error here is ever thrown at the event loop: a listener that throws is
 * logged and the others still run; a malformed value is logged and skipped.
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { Logger } from '../../observability/index.js';
import type { ShardChange } from '../../backfill/index.js';
import { decodeShard } from './etcd-records.js';

export interface ShardWatchHub {
  subscribe(listener: (change: ShardChange) => void): () => void;
  close(): Promise<void>;
}

const REATTACH_DELAY_MS = 500;
/** close() does not wait longer than this for etcd to confirm the cancel (the stream may be down). */
const CANCEL_WAIT_MS = 1_000;

/**
 * `seenRevision` is the newest etcd revision the store has observed in any response (0 when none):
 * a new watcher starts right after it, so a listener sees every change newer than the store's last
 * read or write, even one made before etcd registered the watch.
 */
export function createShardWatchHub(client: Etcd3, shardsPrefix: string, logger: Logger, seenRevision: () => number): ShardWatchHub {
  const listeners = new Set<(change: ShardChange) => void>();
  let watcher: Watcher | undefined;
  let reattach: NodeJS.Timeout | undefined;
  let closed = false;

  const onPut = (kv: IKeyValue): void => {
    const where = kv.key.toString('utf8');
    let change: ShardChange;
    try {
      const shard = decodeShard(kv.value, where);
      change = { key: shard.key, shard };
    } catch (error) {
      logger.warn({ err: error, key: where }, 'etcd shard watch: skipping malformed value');
      return;
    }
    for (const listener of listeners) {
      try {
        listener(change);
      } catch (error) {
        logger.error({ err: error, key: change.key }, 'etcd shard watch: listener threw');
      }
    }
  };

  const detach = (w: Watcher): Promise<void> => {
    w.removeAllListeners('put');
    const cancelled = w.cancel().catch((error: unknown) => {
      logger.warn({ err: error }, 'etcd shard watch: cancel failed');
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, CANCEL_WAIT_MS); });
    return Promise.race([cancelled, timeout]).finally(() => clearTimeout(timer));
  };

  const attach = (resume: boolean): void => {
    const builder = client.watch().prefix(shardsPrefix).only('put');
    const revision = seenRevision();
    if (resume && revision > 0) builder.startRevision(String(revision + 1));
    const w = builder.watcher();
    watcher = w;
    w.on('put', onPut);
    w.on('connected', () => logger.debug({ prefix: shardsPrefix }, 'etcd shard watch: connected'));
    w.on('disconnected', (error: unknown) => logger.warn({ err: error, prefix: shardsPrefix }, 'etcd shard watch: disconnected; etcd3 reconnects'));
    w.on('error', (error: unknown) => {
      logger.error({ err: error, prefix: shardsPrefix }, 'etcd shard watch: watcher cancelled by etcd; re-attaching');
      if (watcher !== w) return;
      watcher = undefined;
      void detach(w);
      reattach = setTimeout(() => {
        reattach = undefined;
        if (!closed && listeners.size > 0 && watcher === undefined) attach(false);
      }, REATTACH_DELAY_MS);
    });
  };

  const stop = async (): Promise<void> => {
    if (reattach !== undefined) clearTimeout(reattach);
    reattach = undefined;
    const w = watcher;
    watcher = undefined;
    if (w !== undefined) await detach(w);
  };

  return {
    subscribe(listener) {
      if (closed) return () => undefined;
      listeners.add(listener);
      if (watcher === undefined && reattach === undefined) attach(true);
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        void stop();
      };
    },
    async close() {
      closed = true;
      listeners.clear();
      await stop();
    },
  };
}
