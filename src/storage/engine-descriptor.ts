/**
 * `EngineDescriptor`: how a storage technology plugs in (STYLE.md §4, like a Kysely dialect). Each
 * folder of src/engines exports one descriptor from its index.ts; the composition root picks one
 * by `storage.engine` in an exhaustive switch and asks it to `open` what it provides (bar store,
 * lease store, registry store, report archive, ingest findings, upstream budgets: each engine
 * names its own `Provides` type from the ports of the folders it serves).
 *
 * `open` registers the close of everything it opens on `resources` as it opens it, so a failure
 * half-way through unwinds exactly what was opened and the root's close is the same unwinding.
 */
import type { Clock, ResourceStack } from '../core/index.js';

/** What every engine may use besides its own configuration. */
export interface EngineContext {
  readonly clock: Clock;
  /** The instance's data directory: where an engine keeps local files given by relative path. */
  readonly dataDir: string;
  /** Where an engine with read replicas reports its routing (the app turns it into metrics); optional. */
  readonly readRouting?: ReadRoutingObserver;
}

/** Reads routed between a primary and a standby (`target`: `standby` or `primary`, `reason` why), and the standby's lag. */
export interface ReadRoutingObserver {
  read(target: 'standby' | 'primary', reason: string): void;
  /** Seconds behind the primary at the last probe; NaN while the standby is down. */
  lag(seconds: number): void;
}

export interface EngineDescriptor<TKind extends string, TConfig, TProvides> {
  /** The `storage.engine` value (or other config key) that selects this engine. */
  readonly kind: TKind;
  open(config: TConfig, resources: ResourceStack, context: EngineContext): Promise<TProvides>;
}
