/**
 * `seamless coordinator serve`: the gateway with the distributed backfill coordinator — its
 * lease store embedded (this process's database) or etcd (shared by a cluster) — serving the
 * coordinator API (leases, jobs, shards/next, shard uploads) to `seamless worker` processes.
 * `--workers 0` leaves all fetching to remote workers. Prints the URL on stdout (logs go to
 * stderr); SIGINT/SIGTERM close the gateway, then the coordinator and storage.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { InvalidRequestError } from '../../core/index.js';
import { writeLine } from '../context.js';
import { serveUntilSignal, startGateway } from '../gateway-lifecycle.js';
import type { CliContext } from '../context.js';
import { addStoreOptions, integerOption, openSeamless } from '../options.js';
import type { StoreOptions } from '../options.js';

interface CoordinatorServeOptions extends StoreOptions {
  readonly store?: 'embedded' | 'etcd';
  readonly etcdEndpoints?: readonly string[];
  readonly port?: number;
  readonly host?: string;
  readonly workers?: number;
  readonly leaseMs?: number;
}

/** `a,b,c` → endpoints, each a URL or host:port. */
function endpointList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new InvalidArgumentError('--etcd-endpoints needs at least one endpoint, e.g. http://127.0.0.1:2379');
  return list;
}

export function registerCoordinator(program: Command, ctx: CliContext): void {
  const coordinator = program.command('coordinator')
    .description('the distributed backfill coordinator service');
  const serve = coordinator.command('serve')
    .description('serve the gateway with the backfill coordinator API (leases, jobs, shards) for `seamless worker` processes')
    .addOption(new Option('--store <store>', 'lease store (default: seamless.backfill.store, embedded)').choices(['embedded', 'etcd']))
    .option('--etcd-endpoints <list>', 'etcd endpoints, comma-separated (with --store etcd), e.g. http://127.0.0.1:2379', endpointList)
    .option('--port <n>', 'port to listen on; 0 picks a free one (default: server.port, 8080)', integerOption('--port', 0, 65_535))
    .option('--host <host>', 'address to bind (default: server.host, 127.0.0.1; others need API keys)')
    .option('--workers <n>', 'shard workers inside this process; 0 leaves the fetching to `seamless worker`s (default: seamless.backfill.concurrency)', integerOption('--workers', 0, 1024))
    .option('--lease-ms <ms>', 'lease time to live in milliseconds (default: seamless.backfill.leaseMs)', integerOption('--lease-ms', 1_000, 3_600_000));
  addStoreOptions(serve).action(async (opts: CoordinatorServeOptions) => {
    const server: Record<string, unknown> = {};
    if (opts.port !== undefined) server.port = opts.port;
    if (opts.host !== undefined) server.host = opts.host;
    const backfill: Record<string, unknown> = {};
    if (opts.store !== undefined) backfill.store = opts.store;
    if (opts.etcdEndpoints !== undefined) backfill.etcd = { endpoints: [...opts.etcdEndpoints] };
    if (opts.workers !== undefined) backfill.localWorkers = opts.workers;
    if (opts.leaseMs !== undefined) backfill.leaseMs = opts.leaseMs;
    const seamless = await openSeamless(ctx, opts, { overrides: { server, seamless: { backfill } }, configuredLogLevel: true });
    const gateway = await startGateway(seamless, () => {
      if (seamless.leaseAuthority === undefined) {
        throw new InvalidRequestError('--store', 'the coordinator needs a lease store: embedded or etcd (seamless.backfill.store is memory)');
      }
    });
    const bf = seamless.config.seamless.backfill;
    const local = bf.localWorkers ?? bf.concurrency;
    const where = bf.store === 'etcd' ? `etcd ${bf.etcd.endpoints.join(',')}` : bf.store;
    writeLine(ctx.stdout, `seamless coordinator listening on ${gateway.url} (lease store ${where}, ${local} local worker${local === 1 ? '' : 's'}, lease ${bf.leaseMs} ms)`);
    writeLine(ctx.stdout, `workers: seamless worker --coordinator ${gateway.url}`);
    await serveUntilSignal(ctx, seamless, gateway);
  });
}
