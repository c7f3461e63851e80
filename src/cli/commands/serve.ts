/**
 * `seamless serve`: the HTTP gateway over an embedded Seamless. Prints the URL and an example
 * request on stdout (logs go to stderr); SIGINT/SIGTERM close the gateway, then storage.
 */
import type { Command } from 'commander';
import { writeLine } from '../context.js';
import { serveUntilSignal, startGateway } from '../gateway-lifecycle.js';
import type { CliContext } from '../context.js';
import { addStoreOptions, integerOption, openSeamless } from '../options.js';
import type { ServeExampleDeps } from '../command-deps.js';
import type { StoreOptions } from '../options.js';

interface ServeOptions extends StoreOptions {
  readonly port?: number;
  readonly host?: string;
}

export const EXAMPLE_RANGE = { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' } as const;

export function registerServe(program: Command, ctx: CliContext): void {
  const cmd = program.command('serve')
    .description('run the HTTP gateway (bars, coverage, backfills, health, metrics) on the data directory')
    .option('--port <n>', 'port to listen on; 0 picks a free one (default: server.port, 8080)', integerOption('--port', 0, 65_535))
    .option('--host <host>', 'address to bind (default: server.host, 127.0.0.1; others need API keys)');
  addStoreOptions(cmd).action(async (opts: ServeOptions) => {
    const server: Record<string, unknown> = {};
    if (opts.port !== undefined) server.port = opts.port;
    if (opts.host !== undefined) server.host = opts.host;
    const seamless = await openSeamless(ctx, opts, { overrides: { server }, configuredLogLevel: true });
    const gateway = await startGateway(seamless);
    writeLine(ctx.stdout, `seamless gateway listening on ${gateway.url} (data dir ${seamless.dataDir})`);
    const example = await exampleRequest(seamless, gateway.url);
    if (example !== undefined) writeLine(ctx.stdout, `try: ${example}`);
    writeLine(ctx.stdout, 'press Ctrl-C to stop');
    await serveUntilSignal(ctx, seamless, gateway);
  });
}

/** A curl of the first configured dataset's bars over one hour, with a key header when auth is on. */
async function exampleRequest(seamless: ServeExampleDeps, url: string): Promise<string | undefined> {
  const auth = seamless.config.auth.keys.length > 0 ? ' -H "Authorization: Bearer $SEAMLESS_API_KEY"' : '';
  const first = (await seamless.datasets())[0];
  if (first === undefined || first.intervals.length === 0) return `curl${auth} '${url}/healthz'`;
  // ':' and '/' are legal in a query value, so node ids stay readable; "'" would end the shell quote.
  const node = encodeURIComponent(first.nodeId).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/'/g, '%27');
  return `curl${auth} '${url}/v1/bars?node=${node}&interval=${first.intervals[0]}&start=${EXAMPLE_RANGE.start}&end=${EXAMPLE_RANGE.end}'`;
}
