/**
 * Snapshots over HTTP: POST /v1/snapshots (scope `backfill`: it reads, and may backfill, then
 * writes a copy), GET /v1/snapshots and /v1/snapshots/:name (scope `read`), GET
 * /v1/snapshots/:name/export (the manifest and a download URL per dataset) and
 * /v1/snapshots/:name/export/:file (that dataset's Parquet, written by DuckDB into a temporary
 * directory, streamed, then removed), DELETE /v1/snapshots/:name (scope `admin`). Reads by name
 * are GET /v1/bars?snapshot=NAME (bars-route.ts). The work is the façade's (provider/snapshots).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError } from '../../core/index.js';
import { MAX_SNAPSHOT_DATASETS, SNAPSHOT_STRATEGIES } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { callerName } from '../auth.js';
import { bodyObject, stringField, typedRoutes } from '../route-schemas.js';

export type SnapshotDeps = Pick<Seamless, 'snapshots'>;

const stringOrNumber = z.custom<string | number>((v) => (typeof v === 'string' && v !== '') || typeof v === 'number', {
  error: (issue) => (issue.input === undefined || issue.input === null || issue.input === '' ? 'is required' : 'must be a string or a number'),
});

const CreateSnapshot = bodyObject({
  name: stringField(128, 'is required (the snapshot name, e.g. q1-2024)'),
  nodes: z.array(z.string().min(1, { error: 'must be non-empty node ids' }), { error: 'must be an array of node ids' })
    .max(MAX_SNAPSHOT_DATASETS, { error: `at most ${MAX_SNAPSHOT_DATASETS} datasets per snapshot` }).optional(),
  node: stringField(512),
  interval: stringOrNumber,
  start: stringOrNumber,
  end: stringOrNumber,
  strategy: z.enum(SNAPSHOT_STRATEGIES, { error: `must be one of ${SNAPSHOT_STRATEGIES.join(', ')}` }).optional(),
});

const NameParams = z.object({ name: z.string() });
const FileParams = z.object({ name: z.string(), file: z.string() });

export function snapshotRoutes(app: FastifyInstance, seamless: SnapshotDeps): void {
  const { snapshots } = seamless;
  typedRoutes(app, (scope) => {
    scope.post('/v1/snapshots', { config: { scope: 'backfill' }, schema: { body: CreateSnapshot } }, async (request, reply) => {
      const { name, nodes, node, interval, start, end, strategy } = request.body;
      if (nodes !== undefined && node !== undefined) throw new InvalidRequestError('node', 'give nodes or node, not both');
      const list = nodes ?? (node !== undefined ? [node] : []);
      const manifest = await snapshots.create({ name, nodes: list, interval, start, end, ...(strategy !== undefined ? { strategy } : {}), createdBy: callerName(request) });
      return reply.code(201).send({ snapshot: manifest });
    });

    scope.get('/v1/snapshots', { config: { scope: 'read' } }, async () => ({ snapshots: await snapshots.list() }));

    scope.get('/v1/snapshots/:name', { config: { scope: 'read' }, schema: { params: NameParams } }, async (request) =>
      ({ snapshot: await snapshots.get(request.params.name) }));

    scope.get('/v1/snapshots/:name/export', { config: { scope: 'read' }, schema: { params: NameParams } }, async (request) => {
      const { manifest, files } = await snapshots.exportListing(request.params.name);
      const base = `/v1/snapshots/${encodeURIComponent(manifest.name)}/export/`;
      return { manifest: { ...manifest, files }, downloads: files.map((f) => ({ ...f, url: base + encodeURIComponent(f.file) })) };
    });

    scope.get('/v1/snapshots/:name/export/:file', { config: { scope: 'read' }, schema: { params: FileParams } }, async (request, reply) => {
      const { name, file } = request.params;
      const dir = await mkdtemp(join(tmpdir(), 'seamless-export-'));
      const path = join(dir, 'dataset.parquet');
      try {
        await snapshots.writeExportFile(name, file, path);
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
      const stream = createReadStream(path);
      // The temporary file goes once the answer is sent or the client left.
      stream.on('close', () => {
        rm(dir, { recursive: true, force: true }).catch((err: unknown) => request.log.warn({ err, dir }, 'snapshot export: temporary directory not removed'));
      });
      reply.header('content-disposition', `attachment; filename="${file.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
      return reply.type('application/vnd.apache.parquet').send(stream);
    });

    scope.delete('/v1/snapshots/:name', { config: { scope: 'admin' }, schema: { params: NameParams } }, async (request) => {
      await snapshots.delete(request.params.name);
      return { deleted: request.params.name };
    });
  });
}
