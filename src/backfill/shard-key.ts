/**
 * Shard keys are structured (a JSON array), never colon-joined, because node ids may contain
 * ':' and '/'. The same dataset and aligned range always give the same key.
 */
import type { TimeRange } from '../core/index.js';
import type { DatasetKey } from '../storage/index.js';

export function shardKey(dataset: DatasetKey, range: TimeRange): string {
  return JSON.stringify(['shard', dataset.nodeId, dataset.intervalMs, range.start, range.end]);
}
