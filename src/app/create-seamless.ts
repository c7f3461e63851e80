/**
 * `createSeamless`: one Seamless instance from its configuration. The configuration and SLA
 * policy files are validated before anything is opened; open-instance.ts then opens every part on
 * one `ResourceStack`, so a failure at any stage closes exactly what was opened, in reverse, and
 * `close()` is the same unwinding. The instance serves reads, coverage, backfills, imports,
 * reports and health from those parts (seamless-facade.ts).
 */
import { ResourceStack, systemClock } from '../core/index.js';
import type { Clock } from '../core/index.js';
import type { BackfillCoordinator, BackfillEvent, JobStatus } from '../backfill/index.js';
import { loadConfig } from '../config/index.js';
import type { LoadConfigOptions, SeamlessConfigInput } from '../config/index.js';
import { createLogger } from '../observability/index.js';
import type { Logger } from '../observability/index.js';
import type { ImportReport } from '../sources/index.js';
import { asDryRun, loadSlaPolicies } from '../sla/index.js';
import type { SeamlessApi } from '../gateway/index.js';
import type { CacheStats, LiveHub } from '../provider/index.js';
import { checkBackfillTopology } from './compose-backfill.js';
import { openInstance } from './open-instance.js';
import { seamlessFacade } from './seamless-facade.js';

export interface CreateSeamlessOptions {
  /** A YAML file path, a configuration object, or nothing for the embedded defaults. */
  readonly config?: string | SeamlessConfigInput;
  /** Applied on top (CLI flags). */
  readonly overrides?: LoadConfigOptions['overrides'];
  readonly env?: LoadConfigOptions['env'];
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * One Seamless instance: what the gateway serves (`SeamlessApi`) plus what only the library and
 * the CLI use.
 */
export interface Seamless extends SeamlessApi {
  readonly dataDir: string;
  /** The backfill coordinator reads use. */
  readonly coordinator: BackfillCoordinator;
  /** Live feeds of the datasets configured with `live:`; undefined when none is. */
  readonly live: LiveHub | undefined;
  waitBackfill(id: string, signal?: AbortSignal): Promise<JobStatus>;
  subscribe(listener: (event: BackfillEvent) => void): () => void;
  import(options: { path: string; nodeId: string; interval: string | number; format?: 'csv' | 'parquet'; schema?: string }): Promise<ImportReport>;
  cacheStats(): CacheStats | undefined;
  close(): Promise<void>;
}

export async function createSeamless(options: CreateSeamlessOptions = {}): Promise<Seamless> {
  const { config, dataDir, coordinatorKey } = loadConfig({
    ...(typeof options.config === 'string' ? { file: options.config } : {}),
    ...(typeof options.config === 'object' ? { input: options.config } : {}),
    overrides: options.overrides,
    env: options.env,
  });
  // Contradictory topologies and bad policy files are refused here, before anything is opened.
  checkBackfillTopology(config);
  const loadedPolicies = config.seamless.sla.dir ? loadSlaPolicies(config.seamless.sla.dir) : undefined;
  // The rollback switch seamless.sla.forceDryRun: every policy measures, none acts.
  const slaPolicies = loadedPolicies && config.seamless.sla.forceDryRun ? asDryRun(loadedPolicies) : loadedPolicies;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logging.level });
  const resources = new ResourceStack();
  // Registered first, so it runs last: the logs of every close are flushed.
  resources.defer(() => logger.flush?.());
  try {
    const parts = await openInstance(config, dataDir, { clock, logger, coordinatorKey, slaPolicies }, resources);
    return seamlessFacade(config, dataDir, logger, parts, () => resources.disposeAsync());
  } catch (error) {
    // Unwinds what the start opened; a failing close is logged, the start's failure is what is thrown.
    await resources.disposeAsync().catch((closeError: unknown) => {
      logger.error({ err: closeError }, 'closing what a failed start had opened failed');
    });
    throw error;
  }
}
