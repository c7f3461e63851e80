/**
 * Which subscriptions of a WebSocket feed a message belongs to, in time independent of how many
 * there are. Each subscription's match rules (`mapping.match`: paths and the values they must hold)
 * are a key; subscriptions with the same rule paths share one table from key to subscriptions, so
 * a message costs one walk of those paths and one lookup per distinct set of paths (one, for a
 * feed whose subscriptions share one mapping), where testing every subscription's rules cost a
 * walk per subscription: ~0.7 ms per message with 1,000 subscriptions
 * (bench/gateway/stream-fanout-sockets.bench.ts). The answer is the one `matches` gives, in
 * the order subscriptions were added within each set of paths.
 */
import { compilePaths, matchKeyOf } from './message-mapping.js';
import type { MatchKey, Segments } from './message-mapping.js';

export interface MessageRouter<E> {
  add(entry: E, key: MatchKey): void;
  remove(entry: E): void;
  /** The entries whose rules `message` (parsed JSON) meets. */
  route(message: unknown): E[];
  readonly size: number;
}

interface Table<E> {
  readonly paths: Segments[];
  readonly byKey: Map<string, Set<E>>;
}

export function createMessageRouter<E>(): MessageRouter<E> {
  /** One table per distinct list of rule paths (joined by NUL: paths never hold one). */
  const tables = new Map<string, Table<E>>();
  const placed = new Map<E, { readonly table: string; readonly key: string }>();

  return {
    add(entry, key) {
      const id = key.paths.join('\u0000');
      let table = tables.get(id);
      if (table === undefined) tables.set(id, (table = { paths: compilePaths(key.paths), byKey: new Map() }));
      let set = table.byKey.get(key.key);
      if (set === undefined) table.byKey.set(key.key, (set = new Set()));
      set.add(entry);
      placed.set(entry, { table: id, key: key.key });
    },
    remove(entry) {
      const at = placed.get(entry);
      if (at === undefined) return;
      placed.delete(entry);
      const table = tables.get(at.table);
      const set = table?.byKey.get(at.key);
      if (table === undefined || set === undefined) return;
      set.delete(entry);
      if (set.size > 0) return;
      table.byKey.delete(at.key);
      if (table.byKey.size === 0) tables.delete(at.table);
    },
    route(message) {
      const out: E[] = [];
      for (const table of tables.values()) {
        const key = matchKeyOf(message, table.paths);
        if (key === undefined) continue;
        const set = table.byKey.get(key);
        if (set !== undefined) for (const e of set) out.push(e);
      }
      return out;
    },
    get size() { return placed.size; },
  };
}
