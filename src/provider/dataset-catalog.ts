/**
 * Which datasets exist: the configured ones (with their source and schema) plus any dataset
 * that only lives in storage (filled by `seamless import`), which has no upstream source.
 */
import { ALWAYS_OPEN, OHLCV_SCHEMA, calendarByName, frameSchemaByName, formatInterval, parseInterval } from '../core/index.js';
import type { FrameSchema, TradingCalendar } from '../core/index.js';
import { subjectForFrameSchema } from '../schema/index.js';
import type { BarSource } from '../sources/index.js';
import type { BarStore, DatasetKey } from '../storage/index.js';
import { indexSummaries, intervalCoverage } from './catalog-coverage.js';
import type { IntervalCoverage } from './catalog-coverage.js';

export interface DatasetDefinition {
  readonly nodeId: string;
  readonly intervals: readonly (string | number)[];
  readonly source?: string;
  readonly schema: string;
  readonly description?: string;
  readonly schemaSubject?: string;
  /** The interval coarser ones derive from (config `datasets[].baseInterval`; src/provider/read/resample-read.ts), shown by the catalog. */
  readonly baseInterval?: string | number;
  /** The dataset's calendar (config `datasets[].calendar`, validated by config; `24/7` when absent), shown by the catalog. */
  readonly calendar?: string;
}

export interface ResolvedDataset {
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
  /** Undefined for import-only datasets: nothing to backfill from. */
  readonly source: BarSource | undefined;
  readonly sourceName: string | undefined;
  readonly configured: boolean;
  /** Schema registry subject checked on reads. */
  readonly subject: string;
  /** When the market is open (docs/calendars.md); 24/7 for datasets that name none and import-only ones. */
  readonly calendar: TradingCalendar;
}

export interface DatasetListing {
  readonly nodeId: string;
  readonly intervals: string[];
  readonly intervalsMs: number[];
  readonly source: string | null;
  readonly schema: string;
  readonly schemaSubject: string;
  readonly slaPolicy: string | null;
  readonly description: string | null;
  readonly configured: boolean;
  /** Per interval: first and last bar, bars stored, known empty, failed, last write, base interval, calendar. */
  readonly coverage: readonly IntervalCoverage[];
}

export interface DatasetCatalog {
  resolve(nodeId: string, intervalMs: number): Promise<ResolvedDataset | undefined>;
  /** A configured dataset, synchronously (backfill workers look up the source of a shard). */
  configured(nodeId: string, intervalMs: number): ResolvedDataset | undefined;
  list(): Promise<DatasetListing[]>;
  /** The base interval (ms) a configured dataset derives coarser intervals from; undefined when it has none. */
  baseInterval(nodeId: string): number | undefined;
}

export function createDatasetCatalog(
  definitions: readonly DatasetDefinition[],
  sources: ReadonlyMap<string, BarSource>,
  store: BarStore,
): DatasetCatalog {
  const configured = new Map<string, ResolvedDataset>();
  const bases = new Map<string, number>();
  for (const d of definitions) {
    const schema = frameSchemaByName(d.schema) ?? OHLCV_SCHEMA;
    if (d.baseInterval !== undefined) bases.set(d.nodeId, parseInterval(d.baseInterval));
    // The base interval is readable (and backfilled) even when `intervals` does not list it.
    for (const iv of d.baseInterval === undefined ? d.intervals : [...d.intervals, d.baseInterval]) {
      const intervalMs = parseInterval(iv);
      configured.set(JSON.stringify([d.nodeId, intervalMs]), {
        dataset: { nodeId: d.nodeId, intervalMs },
        schema,
        source: d.source === undefined ? undefined : sources.get(d.source),
        sourceName: d.source,
        configured: true,
        subject: d.schemaSubject ?? subjectForFrameSchema(schema.name),
        calendar: (d.calendar === undefined ? undefined : calendarByName(d.calendar)) ?? ALWAYS_OPEN,
      });
    }
  }

  return {
    configured: (nodeId, intervalMs) => configured.get(JSON.stringify([nodeId, intervalMs])),

    baseInterval: (nodeId) => bases.get(nodeId),

    async resolve(nodeId, intervalMs) {
      const hit = configured.get(JSON.stringify([nodeId, intervalMs]));
      if (hit) return hit;
      for (const s of await store.datasets()) {
        if (s.nodeId === nodeId && s.intervalMs === intervalMs) {
          const schema = frameSchemaByName(s.schema) ?? OHLCV_SCHEMA;
          return { dataset: { nodeId, intervalMs }, schema, source: undefined, sourceName: undefined, configured: false, subject: subjectForFrameSchema(schema.name), calendar: ALWAYS_OPEN };
        }
      }
      return undefined;
    },

    async list() {
      // One summary query for every dataset of storage (coverage-summary of each engine).
      const summaries = await store.coverageSummary();
      const index = indexSummaries(summaries);
      const out: DatasetListing[] = definitions.map((d) => {
        const intervalsMs = d.intervals.map((iv) => parseInterval(iv));
        return {
          nodeId: d.nodeId,
          intervals: intervalsMs.map(formatInterval),
          intervalsMs,
          source: d.source ?? null,
          schema: d.schema,
          schemaSubject: d.schemaSubject ?? subjectForFrameSchema(d.schema),
          slaPolicy: null,
          description: d.description ?? null,
          configured: true,
          coverage: intervalCoverage(d.nodeId, intervalsMs, index, d),
        };
      });
      const extra = new Map<string, DatasetListing & { intervalsMs: number[]; intervals: string[] }>();
      for (const s of summaries) {
        if (configured.has(JSON.stringify([s.nodeId, s.intervalMs]))) continue;
        let entry = extra.get(s.nodeId);
        if (!entry) {
          entry = { nodeId: s.nodeId, intervals: [], intervalsMs: [], source: null, schema: s.schema, schemaSubject: subjectForFrameSchema(s.schema || 'ohlcv'), slaPolicy: null, description: 'imported', configured: false, coverage: [] };
          extra.set(s.nodeId, entry);
        }
        entry.intervalsMs.push(s.intervalMs);
        entry.intervals.push(formatInterval(s.intervalMs));
      }
      return [...out, ...[...extra.values()].map((e) => ({ ...e, coverage: intervalCoverage(e.nodeId, e.intervalsMs, index, {}) }))];
    },
  };
}
