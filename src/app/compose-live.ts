/**
 * Builds the live hub from the configuration: one feed per entry of `live.feeds` that a dataset
 * uses (`datasets[].live`), one subscription per (dataset, interval), gap backfills through the
 * coordinator with the dataset's configured source. Undefined when no dataset is live.
 */
import type { BackfillCoordinator } from '../backfill/index.js';
import type { Clock, TimeRange } from '../core/index.js';
import { parseInterval } from '../core/index.js';
import type { LiveFeedConfig, SeamlessConfig } from '../config/index.js';
import type { Logger, SeamlessMetrics } from '../observability/index.js';
import { createCcxtProFeed, createWebSocketFeed } from '../sources/index.js';
import type { LiveFeed, LiveFeedCommonOptions } from '../sources/index.js';
import type { BarStore, DatasetKey } from '../storage/index.js';
import { createLiveHub } from '../provider/index.js';
import type { DatasetCatalog, GapRecovery, LiveDatasetSpec, LiveHub } from '../provider/index.js';

export interface LiveDeps {
  readonly config: SeamlessConfig['live'];
  readonly datasets: SeamlessConfig['datasets'];
  readonly catalog: DatasetCatalog;
  readonly store: BarStore;
  readonly coordinator: BackfillCoordinator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: SeamlessMetrics;
  /** `seamless.backfill.suspended`: gaps are reported, never backfilled. */
  readonly backfillSuspended?: boolean;
  readonly onWritten?: (dataset: DatasetKey, range: TimeRange) => void;
  readonly onGapRecovered?: (dataset: DatasetKey, recovery: GapRecovery) => void;
}

export function composeLive(d: LiveDeps): LiveHub | undefined {
  const specs: LiveDatasetSpec[] = [];
  for (const ds of d.datasets) {
    if (ds.live === undefined) continue;
    for (const iv of ds.intervals) {
      const intervalMs = parseInterval(iv);
      const resolved = d.catalog.configured(ds.nodeId, intervalMs);
      if (!resolved) continue;
      specs.push({ dataset: resolved.dataset, schema: resolved.schema, feed: ds.live, symbol: ds.liveSymbol ?? ds.nodeId });
    }
  }
  if (specs.length === 0) return undefined;

  const feeds = new Map<string, LiveFeed>();
  for (const name of new Set(specs.map((s) => s.feed))) {
    const config = d.config.feeds[name];
    feeds.set(name, buildFeed(name, config, d));
  }
  return createLiveHub({
    feeds, datasets: specs, store: d.store, clock: d.clock, logger: d.logger, metrics: d.metrics,
    bufferBars: d.config.bufferBars, writeThrough: d.config.writeThrough, flushMs: d.config.flushMs, flushBars: d.config.flushBars,
    maxGapBars: d.config.maxGapBars,
    backfill(dataset, ranges) {
      if (d.backfillSuspended === true) return undefined;
      const resolved = d.catalog.configured(dataset.nodeId, dataset.intervalMs);
      if (!resolved?.source) return undefined;
      const job = d.coordinator.submit({ target: { dataset, schema: resolved.schema, source: resolved.source }, ranges, requestedBy: 'live' });
      return { id: job.id, done: job.done };
    },
    ...(d.onWritten ? { onWritten: d.onWritten } : {}),
    ...(d.onGapRecovered ? { onGapRecovered: d.onGapRecovered } : {}),
  });
}

function buildFeed(name: string, config: LiveFeedConfig, d: LiveDeps): LiveFeed {
  // Metric children resolved once per feed: the hooks run per message.
  const outcome = {
    bar: d.metrics.liveMessages.labels({ feed: name, outcome: 'bar' }),
    ignored: d.metrics.liveMessages.labels({ feed: name, outcome: 'ignored' }),
    malformed: d.metrics.liveMessages.labels({ feed: name, outcome: 'malformed' }),
  };
  const reconnects = d.metrics.liveReconnects.labels({ feed: name });
  const common: LiveFeedCommonOptions = {
    name, reconnect: config.reconnect, closeGraceMs: config.closeGraceMs, clock: d.clock, log: d.logger,
    hooks: { onMessage: (o) => outcome[o].inc(), onReconnect: () => reconnects.inc() },
  };
  switch (config.kind) {
    case 'websocket':
      return createWebSocketFeed({ ...common, url: config.url, mapping: config.mapping, idleTimeoutMs: config.idleTimeoutMs, ...(config.subscribe !== undefined ? { subscribe: config.subscribe } : {}) });
    case 'ccxt-pro':
      return createCcxtProFeed({
        ...common, exchange: config.exchange, marketType: config.marketType,
        ...(config.wsUrl !== undefined ? { wsUrl: config.wsUrl } : {}),
        ...(config.markets !== undefined ? { markets: config.markets } : {}),
      });
    default: {
      const never: never = config;
      return never;
    }
  }
}
