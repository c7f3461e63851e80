/**
 * `seamless snapshot create|list|show|export|import|delete`: named, immutable snapshots
 * (docs/snapshots.md). Embedded they open the data directory; with --url the gateway does the
 * work (POST/GET/DELETE /v1/snapshots). `export` writes a directory (one Parquet file per dataset
 * and manifest.json) — through a gateway it downloads the files the export listing names;
 * `import` stores such a directory as a snapshot of this instance (embedded only).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidRequestError, formatTime } from '../../core/index.js';
import { MANIFEST_FILE, SNAPSHOT_STRATEGIES } from '../../provider/index.js';
import type { ExportedFile, SnapshotStrategy } from '../../provider/index.js';
import type { SnapshotManifest } from '../../storage/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, addStoreOptions, gatewayClient, withSeamless } from '../options.js';
import type { RemoteOptions, StoreOptions } from '../options.js';
import type { SnapshotDeps } from '../command-deps.js';
import { confirmDestructive } from '../confirm.js';

interface CreateOptions extends RemoteOptions {
  readonly node: readonly string[];
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  readonly strategy?: SnapshotStrategy;
  readonly json?: boolean;
}

type Remote<T> = T & { url: string };
const isRemote = <T extends RemoteOptions>(opts: T): opts is Remote<T> => opts.url !== undefined;

function summary(m: SnapshotManifest): string {
  const rows = m.datasets.reduce((n, d) => n + d.rows, 0);
  return `${m.name}: ${m.datasets.length} datasets, ${rows} rows, ${m.interval} [${formatTime(m.start)}, ${formatTime(m.end)}), ` +
    `by ${m.createdBy} at ${formatTime(m.createdAt)}, ${m.fingerprint}`;
}

function print(ctx: CliContext, manifest: SnapshotManifest, json: boolean | undefined): void {
  if (json === true) writeLine(ctx.stdout, JSON.stringify(manifest));
  else {
    writeLine(ctx.stdout, summary(manifest));
    for (const d of manifest.datasets) writeLine(ctx.stdout, `  ${d.nodeId} ${d.interval}: ${d.rows} rows, coverage ${d.coverage.ratio}, ${d.fingerprint}`);
  }
}

export function registerSnapshot(program: Command, ctx: CliContext): void {
  const snapshot = program.command('snapshot').description('named, immutable snapshots of datasets: create, list, show, export (Parquet), import, delete');

  const create = snapshot.command('create <name>')
    .description('read datasets over [start, end) through the read path and keep an immutable copy named <name>')
    .requiredOption('--node <id>', 'dataset node id; repeat it for many', (value: string, previous: string[]) => [...previous, value], [])
    .requiredOption('--interval <interval>', 'bar interval, e.g. 1m')
    .requiredOption('--start <time>', 'range start (epoch ms or ISO-8601), inclusive')
    .requiredOption('--end <time>', 'range end (epoch ms or ISO-8601), exclusive')
    .option('--strategy <strategy>', `how the datasets are read: ${SNAPSHOT_STRATEGIES.join(' (default), ')} (backfills what is missing first)`)
    .option('--json', 'print the manifest as JSON');
  addRemoteOptions(create).action(async (name: string, opts: CreateOptions) => {
    const command = { name, nodes: opts.node, interval: opts.interval, start: opts.start, end: opts.end, ...(opts.strategy !== undefined ? { strategy: opts.strategy } : {}) };
    const manifest = isRemote(opts)
      ? (await gatewayClient(ctx, opts).postJson<{ snapshot: SnapshotManifest }>('/v1/snapshots', command)).snapshot
      : await withSeamless(ctx, opts, (s: SnapshotDeps) => s.snapshots.create({ ...command, createdBy: 'cli' }));
    print(ctx, manifest, opts.json);
  });

  const list = snapshot.command('list').description('the snapshots, newest first').option('--json', 'print the manifests as JSON');
  addRemoteOptions(list).action(async (opts: RemoteOptions & { json?: boolean }) => {
    const all = isRemote(opts)
      ? (await gatewayClient(ctx, opts).getJson<{ snapshots: SnapshotManifest[] }>('/v1/snapshots')).snapshots
      : await withSeamless(ctx, opts, (s: SnapshotDeps) => s.snapshots.list());
    if (opts.json === true) writeLine(ctx.stdout, JSON.stringify(all));
    else if (all.length === 0) writeLine(ctx.stdout, 'no snapshots');
    else for (const m of all) writeLine(ctx.stdout, summary(m));
  });

  const show = snapshot.command('show <name>').description('a snapshot\'s manifest').option('--json', 'print the manifest as JSON');
  addRemoteOptions(show).action(async (name: string, opts: RemoteOptions & { json?: boolean }) => {
    const manifest = isRemote(opts)
      ? (await gatewayClient(ctx, opts).getJson<{ snapshot: SnapshotManifest }>(`/v1/snapshots/${encodeURIComponent(name)}`)).snapshot
      : await withSeamless(ctx, opts, (s: SnapshotDeps) => s.snapshots.get(name));
    print(ctx, manifest, opts.json);
  });

  const exp = snapshot.command('export <name> <dir>').description('write the snapshot to <dir>: one Parquet file per dataset and manifest.json');
  addRemoteOptions(exp).action(async (name: string, dir: string, opts: RemoteOptions) => {
    if (isRemote(opts)) {
      if (existsSync(join(dir, MANIFEST_FILE))) throw new InvalidRequestError('dir', `${dir} already holds a ${MANIFEST_FILE}; export into an empty or new directory`);
      const client = gatewayClient(ctx, opts);
      const listing = await client.getJson<{ manifest: SnapshotManifest & { files: ExportedFile[] }; downloads: (ExportedFile & { url: string })[] }>(`/v1/snapshots/${encodeURIComponent(name)}/export`);
      await mkdir(dir, { recursive: true });
      for (const d of listing.downloads) await writeFile(join(dir, d.file), await client.getBytes(d.url));
      await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(listing.manifest, null, 2)}\n`);
      writeLine(ctx.stdout, `exported ${summary(listing.manifest)} to ${dir}`);
      return;
    }
    const exported = await withSeamless(ctx, opts, (s: SnapshotDeps) => s.snapshots.exportTo(name, dir));
    writeLine(ctx.stdout, `exported ${summary(exported)} to ${dir}`);
  });

  const imp = snapshot.command('import <dir>').description('store an exported snapshot (a directory with manifest.json) in this data directory; fingerprints are checked first')
    .option('--name <name>', 'store it under another name');
  addStoreOptions(imp).action(async (dir: string, opts: StoreOptions & { name?: string }) => {
    const manifest = await withSeamless(ctx, opts, (s: SnapshotDeps) => s.snapshots.importFrom(dir, opts.name));
    writeLine(ctx.stdout, `imported ${summary(manifest)}`);
  });

  const del = snapshot.command('delete <name>').description('delete a snapshot (admin)').option('--yes', 'do not ask for confirmation (required without a terminal)');
  addRemoteOptions(del).action(async (name: string, opts: RemoteOptions & { yes?: boolean }) => {
    await confirmDestructive(ctx, opts.yes, `Delete snapshot ${name}: its copy of the data and its manifest go for good.`);
    if (isRemote(opts)) await gatewayClient(ctx, opts).deleteJson(`/v1/snapshots/${encodeURIComponent(name)}`);
    else await withSeamless(ctx, opts, (s: SnapshotDeps) => s.snapshots.delete(name));
    writeLine(ctx.stdout, `deleted snapshot ${name}`);
  });
}
