/**
 * Snapshot export and import. An export is a directory: one Parquet file per dataset (written by
 * DuckDB: `ts` BIGINT epoch ms, then the schema's value columns as DOUBLE, sorted by ts) and
 * `manifest.json`, the snapshot's manifest with a `files` list naming each dataset's file. Import
 * reads the files back, checks every dataset's fingerprint against the manifest (nothing is
 * stored when one differs) and stores the snapshot with its manifest unchanged, so the other
 * Seamless answers the same fingerprints.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidRequestError, fingerprintFrameAsync, frameSchemaByName } from '../../core/index.js';
import type { Frame, FrameSchema } from '../../core/index.js';
import type { SnapshotDatasetRows, SnapshotManifest } from '../../storage/index.js';
import type { SnapshotService } from './snapshot-service.js';
import { validateSnapshotName } from './snapshot-service.js';

/** Writes and reads Parquet files of frames (implemented by the DuckDB engine). */
export interface SnapshotFiles {
  writeParquet(frame: Frame, path: string): Promise<void>;
  readParquet(path: string, schema: FrameSchema): Promise<Frame>;
}

export const MANIFEST_FILE = 'manifest.json';

export interface ExportedFile {
  readonly nodeId: string;
  readonly interval: string;
  readonly file: string;
  readonly rows: number;
  readonly fingerprint: string;
}

/** What `manifest.json` holds: the manifest, plus the file of each dataset. */
export type ExportedManifest = SnapshotManifest & { readonly files: readonly ExportedFile[] };

/** `000-ohlcv_demo_BTC-USD.parquet`: the position keeps names unique, the node id (made file-safe) keeps them readable. */
export function exportedFiles(manifest: SnapshotManifest): ExportedFile[] {
  return manifest.datasets.map((d, i) => ({
    nodeId: d.nodeId, interval: d.interval, rows: d.rows, fingerprint: d.fingerprint,
    file: `${String(i).padStart(3, '0')}-${d.nodeId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}-${d.interval}.parquet`,
  }));
}

/** Writes the snapshot to `dir` (created; refused when it holds an export already). */
export async function exportSnapshot(service: SnapshotService, files: SnapshotFiles, name: string, dir: string): Promise<ExportedManifest> {
  const manifest = await service.get(name);
  if (existsSync(join(dir, MANIFEST_FILE))) throw new InvalidRequestError('dir', `${dir} already holds a ${MANIFEST_FILE}; export into an empty or new directory`);
  await mkdir(dir, { recursive: true });
  const listed = exportedFiles(manifest);
  for (let i = 0; i < listed.length; i++) {
    await files.writeParquet(await service.datasetFrame(manifest, manifest.datasets[i]), join(dir, listed[i].file));
  }
  const exported: ExportedManifest = { ...manifest, files: listed };
  // Last: a directory with a manifest.json is a complete export.
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(exported, null, 2)}\n`);
  return exported;
}

function readManifest(text: string, path: string): ExportedManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError('path', `${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const m = parsed as Partial<ExportedManifest> | null;
  if (m === null || typeof m !== 'object' || m.format !== 'seamless-snapshot/1' || !Array.isArray(m.datasets) || !Array.isArray(m.files) || m.files.length !== m.datasets.length) {
    throw new InvalidRequestError('path', `${path} is not a Seamless snapshot manifest (format seamless-snapshot/1 with datasets and files)`);
  }
  return m as ExportedManifest;
}

/** Stores the export in `dir` as a snapshot (named `name`, or as exported); every dataset's fingerprint is checked first. */
export async function importSnapshot(service: SnapshotService, files: SnapshotFiles, dir: string, name?: string): Promise<SnapshotManifest> {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new InvalidRequestError('path', `${dir} has no ${MANIFEST_FILE}: not a snapshot export`);
  const exported = readManifest(await readFile(path, 'utf8'), path);
  const { files: listed, ...stored } = exported;
  const manifest: SnapshotManifest = { ...stored, name: validateSnapshotName(name ?? stored.name) };
  const rows: SnapshotDatasetRows[] = [];
  for (let i = 0; i < manifest.datasets.length; i++) {
    const d = manifest.datasets[i];
    const schema = frameSchemaByName(d.schema);
    if (schema === undefined) throw new InvalidRequestError('path', `${path}: dataset ${d.nodeId} has unknown schema ${JSON.stringify(d.schema)}`);
    const file = join(dir, listed[i].file);
    const frame = await files.readParquet(file, schema);
    const fingerprint = await fingerprintFrameAsync(frame);
    if (fingerprint !== d.fingerprint) {
      throw new InvalidRequestError('path', `${file} does not hold what the manifest says (fingerprint ${fingerprint}, manifest ${d.fingerprint}); nothing was imported`);
    }
    rows.push({ nodeId: d.nodeId, intervalMs: d.intervalMs, frame });
  }
  await service.adopt(manifest, rows);
  return manifest;
}
