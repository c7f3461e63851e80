/**
 * Snapshots (issue 16): named, immutable copies of datasets over a range. `create` reads each
 * dataset through the normal read path (conformance applies; strategy `fail_fast` or `seamless`),
 * then stores the rows and the manifest in ONE storage transaction: a failure anywhere (a read
 * refused, the process killed) leaves no snapshot at all. `read` answers from the snapshot's own
 * copy only — never live, backfill, the cache or the bar tables — so the same request returns
 * the same bytes (the same fingerprint) for ever, whatever happens to the data later. Such a read
 * satisfies the reproducibility rule of the backtest/dryrun domains without `asOf`.
 */
import {
  InvalidRequestError, NotFoundError, fingerprintFrameAsync, formatInterval, frameSchemaByName, lowerBound, parseInterval, parseTime,
} from '../../core/index.js';
import type { Clock, Frame, FrameSchema } from '../../core/index.js';
import type { Logger } from '../../observability/index.js';
import { DuplicateSnapshotError } from '../../storage/index.js';
import type { BarStore, SnapshotDatasetManifest, SnapshotDatasetRows, SnapshotManifest, SnapshotStore } from '../../storage/index.js';
import type { FetchRequest } from '../read/fetch-request.js';
import type { FetchResult } from '../read/read-metadata.js';
import { datasetManifest, snapshotFingerprint } from './snapshot-manifest.js';

/** At most this many datasets in one snapshot (400 naming `nodes` beyond). */
export const MAX_SNAPSHOT_DATASETS = 100;
export const SNAPSHOT_STRATEGIES = ['fail_fast', 'seamless'] as const;
export type SnapshotStrategy = (typeof SNAPSHOT_STRATEGIES)[number];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface CreateSnapshotCommand {
  readonly name: string;
  readonly nodes: readonly string[];
  readonly interval: string | number;
  readonly start: string | number;
  readonly end: string | number;
  /** Default `fail_fast`: the snapshot holds what is stored now; `seamless` backfills what is missing first. */
  readonly strategy?: SnapshotStrategy;
  /** The API key name, `cli` or `library`. */
  readonly createdBy: string;
}

export interface SnapshotReadRequest {
  readonly name: string;
  readonly nodeId: string;
  readonly interval: string | number;
  /** Default: the snapshot's start / end. */
  readonly start?: string | number;
  readonly end?: string | number;
}

/** What a snapshot read says about its answer (the gateway sends it as the read's metadata). */
export interface SnapshotReadMetadata {
  readonly snapshot: string;
  readonly snapshotFingerprint: string;
  readonly createdAt: number;
  readonly nodeId: string;
  readonly interval: string;
  readonly intervalMs: number;
  readonly range: { readonly start: number; readonly end: number };
  readonly rows: number;
  readonly fingerprint: string;
  readonly coverageRatio: number;
  readonly cacheHit: false;
  readonly conformanceReportUri: string | null;
}

export interface SnapshotService {
  create(command: CreateSnapshotCommand): Promise<SnapshotManifest>;
  list(): Promise<SnapshotManifest[]>;
  /** NotFoundError naming `field` (default `name`) when there is none. */
  get(name: string, field?: string): Promise<SnapshotManifest>;
  read(request: SnapshotReadRequest): Promise<{ readonly frame: Frame; readonly metadata: SnapshotReadMetadata }>;
  /** The rows of one dataset of the manifest, whole. */
  datasetFrame(manifest: SnapshotManifest, dataset: SnapshotDatasetManifest): Promise<Frame>;
  /** Stores an exported snapshot as it was made (manifest kept, rows checked against it by the caller). */
  adopt(manifest: SnapshotManifest, datasets: readonly SnapshotDatasetRows[]): Promise<void>;
  delete(name: string): Promise<void>;
}

export interface SnapshotServiceDeps {
  readonly store: SnapshotStore;
  /** For the coverage write times a snapshot pins while bars are not versioned. */
  readonly bars: Pick<BarStore, 'datedCoverage'>;
  fetch(request: FetchRequest): Promise<FetchResult>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export function validateSnapshotName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidRequestError(field, 'must be 1 to 128 letters, digits, dots, dashes or underscores, starting with a letter or digit');
  }
  return name;
}

export function createSnapshotService(deps: SnapshotServiceDeps): SnapshotService {
  const { store } = deps;

  async function get(name: string, field = 'name'): Promise<SnapshotManifest> {
    const manifest = await store.get(validateSnapshotName(name, field));
    if (manifest === undefined) throw new NotFoundError('snapshot', name, { field });
    return manifest;
  }

  async function datasetFrame(manifest: SnapshotManifest, d: SnapshotDatasetManifest): Promise<Frame> {
    const schema: FrameSchema | undefined = frameSchemaByName(d.schema);
    const frame = schema === undefined ? undefined : await store.readDataset(manifest.name, d.nodeId, d.intervalMs, schema);
    if (frame === undefined) throw new NotFoundError('snapshot dataset', `${manifest.name} ${d.nodeId} ${d.interval}`, { field: 'node' });
    return frame;
  }

  return {
    async create(command) {
      const name = validateSnapshotName(command.name);
      const nodes = command.nodes;
      if (!Array.isArray(nodes) || nodes.length === 0) throw new InvalidRequestError('nodes', 'give at least one dataset node id (nodes, or node)');
      if (nodes.length > MAX_SNAPSHOT_DATASETS) throw new InvalidRequestError('nodes', `at most ${MAX_SNAPSHOT_DATASETS} datasets per snapshot, got ${nodes.length}`);
      if (new Set(nodes).size !== nodes.length) throw new InvalidRequestError('nodes', 'names a dataset more than once');
      const strategy = command.strategy ?? 'fail_fast';
      if (!(SNAPSHOT_STRATEGIES as readonly string[]).includes(strategy)) throw new InvalidRequestError('strategy', `must be one of ${SNAPSHOT_STRATEGIES.join(', ')}`);
      const intervalMs = parseInterval(command.interval, 'interval');
      const start = parseTime(command.start, 'start');
      const end = parseTime(command.end, 'end');
      if (end <= start) throw new InvalidRequestError('end', `must be after start (${start})`, { start, end });
      // Refused before any read; checked again in the write's transaction (a concurrent create).
      if (await store.get(name) !== undefined) throw new DuplicateSnapshotError(name);
      const datasets: SnapshotDatasetManifest[] = [];
      const rows: SnapshotDatasetRows[] = [];
      let range = { start, end };
      for (const nodeId of nodes) {
        const { frame, metadata } = await deps.fetch({ nodeId, interval: command.interval, start, end, strategy, requestedBy: command.createdBy });
        range = metadata.alignedRange;
        const dated = await deps.bars.datedCoverage({ nodeId, intervalMs }, metadata.alignedRange);
        datasets.push(await datasetManifest(nodeId, intervalMs, frame, metadata, dated));
        rows.push({ nodeId, intervalMs, frame });
      }
      const manifest: SnapshotManifest = {
        format: 'seamless-snapshot/1', name, createdAt: deps.clock.now(), createdBy: command.createdBy,
        interval: formatInterval(intervalMs), intervalMs, start: range.start, end: range.end, strategy,
        fingerprint: snapshotFingerprint(datasets), datasets,
      };
      await store.create(manifest, rows);
      deps.logger.info({ snapshot: name, datasets: datasets.length, rows: rows.reduce((n, r) => n + r.frame.length, 0), by: command.createdBy }, 'snapshot created');
      return manifest;
    },

    list: () => store.list(),
    get,
    datasetFrame,

    async read(request) {
      const manifest = await get(request.name, 'snapshot');
      const intervalMs = parseInterval(request.interval, 'interval');
      const d = manifest.datasets.find((x) => x.nodeId === request.nodeId && x.intervalMs === intervalMs);
      if (d === undefined) {
        const held = manifest.datasets.map((x) => `${x.nodeId} ${x.interval}`).join(', ');
        throw new NotFoundError('snapshot dataset', `${request.nodeId} ${formatInterval(intervalMs)}`, { field: manifest.datasets.some((x) => x.nodeId === request.nodeId) ? 'interval' : 'node', snapshot: manifest.name, held });
      }
      const start = request.start === undefined ? manifest.start : parseTime(request.start, 'start');
      const end = request.end === undefined ? manifest.end : parseTime(request.end, 'end');
      if (start < manifest.start || start >= manifest.end) {
        throw new InvalidRequestError('start', `is outside snapshot ${manifest.name}'s range [${manifest.start}, ${manifest.end})`, { snapshotStart: manifest.start, snapshotEnd: manifest.end });
      }
      if (end <= start || end > manifest.end) {
        throw new InvalidRequestError('end', `must be after start and at most snapshot ${manifest.name}'s end ${manifest.end}`, { snapshotStart: manifest.start, snapshotEnd: manifest.end });
      }
      const whole = await datasetFrame(manifest, d);
      const frame = start === manifest.start && end === manifest.end ? whole : whole.slice(lowerBound(whole.ts, start), lowerBound(whole.ts, end));
      const fingerprint = frame === whole ? d.fingerprint : await fingerprintFrameAsync(frame);
      return {
        frame,
        metadata: {
          snapshot: manifest.name, snapshotFingerprint: manifest.fingerprint, createdAt: manifest.createdAt,
          nodeId: d.nodeId, interval: d.interval, intervalMs: d.intervalMs, range: { start, end }, rows: frame.length, fingerprint,
          coverageRatio: d.coverage.ratio, cacheHit: false, conformanceReportUri: d.conformanceReportUri,
        },
      };
    },

    adopt: (manifest, datasets) => store.create(manifest, datasets),

    async delete(name) {
      if (!(await store.delete(validateSnapshotName(name)))) throw new NotFoundError('snapshot', name, { field: 'name' });
      deps.logger.info({ snapshot: name }, 'snapshot deleted');
    },
  };
}
