/**
 * `seamless health`: one line per check — configuration, storage, coordinator, registry, each
 * upstream (reachability and rate-limit state) and each live feed — as `[OK]` / `[FAIL]`, and a
 * non-zero exit on any failure. With `--url` the checks are a running gateway's (`/healthz`);
 * without, this process loads the configuration and opens it (which fails while a gateway holds
 * the data directory: use --url then). With `--prometheus URL` that Prometheus is asked for the
 * series every healthy deployment exports (prometheus-checks.ts), one `prometheus:<series>` line
 * each. With `seamless.backfill.store: etcd` the coordinator line names the etcd quorum (members
 * answering / all, the leader). `--json` prints `{status, checks}` for machines.
 */
import type { Command } from 'commander';
import { isSeamlessError } from '../../core/index.js';
import { loadConfig } from '../../config/index.js';
import type { HealthCheck } from '../../app/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { parseGatewayUrl } from '../gateway-client.js';
import { addRemoteOptions, openSeamless } from '../options.js';
import type { HealthDeps } from '../command-deps.js';
import type { RemoteOptions } from '../options.js';
import { prometheusChecks } from '../prometheus-checks.js';

interface HealthOptions extends RemoteOptions {
  readonly json?: boolean;
  readonly prometheus?: string;
}

type Checks = Record<string, HealthCheck>;

/** How long `--url` waits for the gateway's /healthz (its own upstream checks take up to 5 s). */
const REMOTE_TIMEOUT_MS = 15_000;

export function registerHealth(program: Command, ctx: CliContext): void {
  const cmd = program.command('health')
    .description('check configuration, storage, coordinator (and etcd quorum), registry, upstreams, live feeds and, with --prometheus, the expected series; [OK]/[FAIL] lines, exit 1 on any failure')
    .option('--json', 'print {"status","checks"} as JSON')
    .option('--prometheus <url>', 'also ask this Prometheus (e.g. http://127.0.0.1:9090) for the series every healthy deployment exports');
  addRemoteOptions(cmd).action(async (opts: HealthOptions) => {
    const checks = opts.url !== undefined ? await remoteChecks({ ...opts, url: opts.url }) : await localChecks(ctx, opts);
    if (opts.prometheus !== undefined) Object.assign(checks, await prometheusChecks(opts.prometheus));
    const failing = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    if (opts.json === true) {
      writeLine(ctx.stdout, JSON.stringify({ status: failing.length === 0 ? 'ok' : 'failing', checks }));
    } else {
      for (const line of healthLines(checks)) writeLine(ctx.stdout, line);
    }
    if (failing.length > 0) ctx.exitCode = 1;
  });
}

/** `[OK]   storage             duckdb` — names padded to one column. */
export function healthLines(checks: Checks): string[] {
  const width = Math.max(0, ...Object.keys(checks).map((k) => k.length));
  return Object.entries(checks).map(([name, c]) => `${c.ok ? '[OK]  ' : '[FAIL]'} ${name.padEnd(width)}  ${c.detail ?? ''}`.trimEnd());
}

async function localChecks(ctx: CliContext, opts: HealthOptions): Promise<Checks> {
  const checks: Checks = {};
  try {
    const { file } = loadConfig({ ...(opts.config !== undefined ? { file: opts.config } : {}), env: ctx.env });
    checks.configuration = { ok: true, detail: file ?? 'embedded defaults' };
  } catch (error) {
    checks.configuration = { ok: false, detail: messageOf(error) };
    return checks;
  }
  let seamless: HealthDeps;
  try {
    seamless = await openSeamless(ctx, opts);
  } catch (error) {
    checks.storage = { ok: false, detail: messageOf(error) };
    return checks;
  }
  try {
    Object.assign(checks, await seamless.health());
  } finally {
    await seamless.close();
  }
  return checks;
}

async function remoteChecks(opts: HealthOptions & { url: string }): Promise<Checks> {
  const base = parseGatewayUrl(opts.url);
  try {
    // /healthz is open (no key) and answers 503 with the same body when a check fails.
    const res = await fetch(new URL('/healthz', base), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS) });
    const body = (await res.json()) as unknown;
    if (typeof body !== 'object' || body === null || typeof (body as { checks?: unknown }).checks !== 'object') {
      return { gateway: { ok: false, detail: `${base.origin}/healthz answered ${res.status} without checks` } };
    }
    return { gateway: { ok: true, detail: `${base.origin} answers` }, ...(body as { checks: Checks }).checks };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
    const code = cause?.code ?? cause?.errors?.[0]?.code;
    return { gateway: { ok: false, detail: `cannot reach ${base.origin}: ${code ?? messageOf(error)}` } };
  }
}

function messageOf(error: unknown): string {
  if (isSeamlessError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
