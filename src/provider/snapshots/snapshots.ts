/**
 * The snapshot feature as the façade offers it (the gateway's and CLI's `seamless.snapshots`):
 * the service (create, list, show, read, delete) and its files (export, import, one dataset's
 * Parquet for a download), on one snapshot store and one Parquet writer.
 */
import { NotFoundError } from '../../core/index.js';
import type { SnapshotManifest } from '../../storage/index.js';
import { createSnapshotService } from './snapshot-service.js';
import type { SnapshotService, SnapshotServiceDeps } from './snapshot-service.js';
import { exportSnapshot, exportedFiles, importSnapshot } from './snapshot-files.js';
import type { ExportedFile, ExportedManifest, SnapshotFiles } from './snapshot-files.js';

export interface Snapshots extends Omit<SnapshotService, 'datasetFrame' | 'adopt'> {
  /** Writes the snapshot to `dir`: one Parquet file per dataset and manifest.json. */
  exportTo(name: string, dir: string): Promise<ExportedManifest>;
  /** Stores the export in `dir` (as `name`, or its own name); fingerprints are checked first. */
  importFrom(dir: string, name?: string): Promise<SnapshotManifest>;
  /** The manifest and the file of each dataset, as an export would write them. */
  exportListing(name: string): Promise<{ readonly manifest: SnapshotManifest; readonly files: readonly ExportedFile[] }>;
  /** Writes the Parquet file `file` (a name of exportListing) of snapshot `name` to `path`. */
  writeExportFile(name: string, file: string, path: string): Promise<void>;
}

export function createSnapshots(deps: SnapshotServiceDeps & { readonly files: SnapshotFiles }): Snapshots {
  const service = createSnapshotService(deps);
  return {
    create: (command) => service.create(command),
    list: () => service.list(),
    get: (name, field) => service.get(name, field),
    read: (request) => service.read(request),
    delete: (name) => service.delete(name),
    exportTo: (name, dir) => exportSnapshot(service, deps.files, name, dir),
    importFrom: (dir, name) => importSnapshot(service, deps.files, dir, name),
    async exportListing(name) {
      const manifest = await service.get(name);
      return { manifest, files: exportedFiles(manifest) };
    },
    async writeExportFile(name, file, path) {
      const manifest = await service.get(name);
      const index = exportedFiles(manifest).findIndex((f) => f.file === file);
      if (index < 0) throw new NotFoundError('snapshot file', `${name}/${file}`, { field: 'file' });
      await deps.files.writeParquet(await service.datasetFrame(manifest, manifest.datasets[index]), path);
    },
  };
}
