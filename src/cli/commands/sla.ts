/**
 * `seamless sla lint|render-rules|inject-violation`: validate SLA policy files and explain which
 * policy applies to a read; write their Prometheus alert rules and runbooks; stage a violation
 * (real metric samples, log line and span) to check alert routing end to end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { InvalidRequestError, NotFoundError, formatInterval, parseInterval } from '../../core/index.js';
import { LOGGER_NAMES, createLogger, createTracing } from '../../observability/index.js';
import {
  BUDGET_PHASES, DEFAULT_SLA_POLICY_DIR, checkSlaPolicies, createSlaMetrics, createSlaPolicySet, formatProblem, loadSlaPolicies,
  recordStagedRead,
} from '../../sla/index.js';
import type { BudgetPhase, SlaPolicy, SlaPolicySet } from '../../sla/index.js';
import { renderRules, renderRunbook } from '../../operations/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { integerOption } from '../options.js';
import { formatTable } from '../output.js';

export const DEFAULT_RULES_OUT = 'operations/prometheus/sla-rules.yml';
export const DEFAULT_RUNBOOK_DIR = 'docs/operations/sla';
/** How often `--serve` repeats the staged read, so rate() over the scrapes sees it. */
export const DEFAULT_INJECT_EVERY_MS = 1000;
const LOCALHOST = '127.0.0.1';

interface LintOptions { readonly dir: string; readonly node?: string; readonly interval?: string }
interface RenderOptions { readonly dir: string; readonly out: string; readonly runbooks: string }
interface InjectOptions {
  readonly dir: string;
  readonly node: string;
  readonly phase: BudgetPhase;
  readonly duration: number;
  readonly interval?: string;
  readonly policy?: string;
  readonly serve?: number;
  readonly write?: string;
  readonly every: number;
  readonly otlpEndpoint?: string;
}

export function registerSla(program: Command, ctx: CliContext): void {
  const sla = program.command('sla').description('SLA policies: lint, render Prometheus rules and runbooks, stage violations');
  const dirOption = (): Option => new Option('--dir <dir>', 'policy directory (*.yml, one policy per file)').default(DEFAULT_SLA_POLICY_DIR);

  sla.command('lint').description('validate every policy file (one line per problem); with --node/--interval, explain which policy applies')
    .addOption(dirOption())
    .option('--node <id>', 'explain the policy of this dataset, e.g. ohlcv:demo:BTC-USD')
    .option('--interval <interval>', 'bar interval of --node, e.g. 1m')
    .action((opts: LintOptions) => { lint(ctx, opts); });

  sla.command('render-rules').description('write Prometheus burn-rate alert rules and a runbook per policy')
    .addOption(dirOption())
    .option('--out <file>', 'rules file ("-" for stdout)', DEFAULT_RULES_OUT)
    .option('--runbooks <dir>', 'directory of the runbook pages (<policy>.md)', DEFAULT_RUNBOOK_DIR)
    .action((opts: RenderOptions) => { render(ctx, opts); });

  sla.command('inject-violation').description('stage a read over budget: real metric samples, a seamless.sla log line and span')
    .addOption(dirOption())
    .requiredOption('--node <id>', 'dataset the staged read is for')
    .addOption(new Option('--phase <phase>', 'phase over budget').choices(BUDGET_PHASES).makeOptionMandatory())
    .requiredOption('--duration <ms>', 'how long the phase took', integerOption('--duration', 0))
    .option('--interval <interval>', 'bar interval (picks the policy unless --policy names it)')
    .option('--policy <name>', 'the policy to charge (default: the one that applies to --node/--interval)')
    .addOption(new Option('--serve <port>', 'serve /metrics on 127.0.0.1:PORT until SIGTERM, repeating the read').argParser(integerOption('--serve', 0, 65535)).conflicts('write'))
    .option('--write <file>', 'write the metrics exposition to FILE (textfile collector, promtool)')
    .option('--every <ms>', 'with --serve, repeat the staged read this often', integerOption('--every', 10), DEFAULT_INJECT_EVERY_MS)
    .option('--otlp-endpoint <url>', 'export the span over OTLP/HTTP (default: $OTEL_EXPORTER_OTLP_ENDPOINT)')
    .action((opts: InjectOptions) => inject(ctx, opts));
}

function lint(ctx: CliContext, opts: LintOptions): void {
  if ((opts.node === undefined) !== (opts.interval === undefined)) {
    throw new InvalidRequestError(opts.node === undefined ? 'node' : 'interval', '--node and --interval go together');
  }
  const check = checkSlaPolicies(opts.dir);
  for (const p of check.problems) writeLine(ctx.stdout, formatProblem(p));
  if (check.problems.length > 0) {
    ctx.exitCode = 1;
    return;
  }
  writeLine(ctx.stdout, `ok: ${check.policies.length} ${check.policies.length === 1 ? 'policy' : 'policies'} in ${opts.dir}`);
  if (opts.node === undefined || opts.interval === undefined) return;
  const set = createSlaPolicySet(check.policies, check.nameLines);
  const intervalMs = parseInterval(opts.interval, 'interval');
  const ex = set.explain(opts.node, intervalMs);
  writeLine(ctx.stdout, `${ex.nodeId} ${formatInterval(intervalMs)} → ${ex.winner ? `${ex.winner.name} (${ex.winner.mode})` : 'no policy applies'}`);
  const rows = ex.candidates.map((c) => [c.winner ? '*' : c.matched ? '+' : '-', c.policy.name, c.policy.source, c.reason]);
  for (const line of formatTable(['', 'policy', 'file', 'why'], rows)) writeLine(ctx.stdout, `  ${line}`);
}

function render(ctx: CliContext, opts: RenderOptions): void {
  const set = loadSlaPolicies(opts.dir);
  const rules = renderRules(set, { source: opts.dir });
  if (opts.out === '-') {
    ctx.stdout.write(rules);
  } else {
    writeFile(opts.out, rules);
    writeLine(ctx.stdout, `wrote ${opts.out} (${set.policies.length} rule groups)`);
  }
  for (const policy of set.policies) {
    const file = join(opts.runbooks, `${policy.name}.md`);
    writeFile(file, renderRunbook(policy));
    writeLine(ctx.stdout, `wrote ${file}`);
  }
}

function pickPolicy(set: SlaPolicySet, opts: InjectOptions): SlaPolicy {
  if (opts.policy !== undefined) {
    const named = set.byName(opts.policy);
    if (!named) throw new NotFoundError('SLA policy', opts.policy, { known: set.policies.map((p) => p.name) });
    return named;
  }
  if (opts.interval === undefined) throw new InvalidRequestError('interval', 'is required to pick the policy unless --policy names it');
  const found = set.resolve(opts.node, parseInterval(opts.interval, 'interval'));
  if (!found) throw new NotFoundError('SLA policy for', `${opts.node} ${opts.interval}`);
  return found.policy;
}

async function inject(ctx: CliContext, opts: InjectOptions): Promise<void> {
  const policy = pickPolicy(loadSlaPolicies(opts.dir), opts);
  const budgetMs = policy.budgets[opts.phase];
  if (budgetMs === undefined) throw new InvalidRequestError('phase', `policy "${policy.name}" has no ${opts.phase} budget`);
  const metrics = createSlaMetrics();
  const logger = createLogger({ destination: ctx.stderr }).child({ name: LOGGER_NAMES.sla });
  const tracing = await createTracing({
    endpoint: opts.otlpEndpoint ?? ctx.env.OTEL_EXPORTER_OTLP_ENDPOINT,
    endpointField: opts.otlpEndpoint !== undefined ? '--otlp-endpoint' : 'OTEL_EXPORTER_OTLP_ENDPOINT',
  });
  const read = { policy, nodeId: opts.node, phase: opts.phase, durationMs: opts.duration };
  const violation = recordStagedRead(read, { metrics, logger, tracer: tracing.tracer });
  await tracing.shutdown();
  writeLine(ctx.stdout, violation
    ? `staged violation: policy ${policy.name} (${policy.mode}) node ${opts.node} phase ${opts.phase} ${opts.duration} ms > budget ${budgetMs} ms`
    : `staged read within budget (${opts.duration} ms <= ${budgetMs} ms): samples recorded, no violation`);
  if (opts.write !== undefined) {
    writeFile(opts.write, await metrics.registry.metrics());
    writeLine(ctx.stdout, `wrote ${opts.write}`);
  } else if (opts.serve !== undefined) {
    await serveMetrics(ctx, opts.serve, opts.every, metrics.registry, () => { recordStagedRead(read, { metrics }); });
  } else {
    ctx.stdout.write(await metrics.registry.metrics());
  }
}

/** Serves /metrics on loopback, repeating the staged read every `everyMs`, until SIGINT/SIGTERM. */
async function serveMetrics(
  ctx: CliContext, port: number, everyMs: number,
  registry: { metrics(): Promise<string>; readonly contentType: string }, repeat: () => void,
): Promise<void> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found: try /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => { res.writeHead(200, { 'content-type': registry.contentType }).end(body); },
      (err: unknown) => { res.writeHead(500).end(`${err instanceof Error ? err.message : String(err)}\n`); },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOCALHOST, () => { server.off('error', reject); resolve(); });
  });
  const { port: bound } = server.address() as AddressInfo;
  writeLine(ctx.stdout, `serving http://${LOCALHOST}:${bound}/metrics (repeating the staged read every ${everyMs} ms; SIGTERM to stop)`);
  const timer = setInterval(repeat, everyMs);
  await new Promise<void>((resolve) => {
    const off = ctx.onSignal(() => {
      off();
      clearInterval(timer);
      server.closeAllConnections();
      server.close(() => { resolve(); });
    });
  });
}

function writeFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
