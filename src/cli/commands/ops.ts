/**
 * `seamless ops render`: writes the operations assets generated from one source
 * (src/operations/ and the SLA policy files): Grafana dashboards, Prometheus alert
 * and recording rules with their promtool unit tests, the per-policy SLA rules, and a runbook page
 * per alert (docs/operations/dashboards.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_OPS_OPTIONS, renderOperationsFiles } from '../../operations/index.js';
import type { OpsRenderOptions } from '../../operations/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';

export function registerOps(program: Command, ctx: CliContext): void {
  const ops = program.command('ops').description('operations assets: Grafana dashboards, Prometheus alert rules and tests, runbooks');
  ops.command('render').description('write dashboards, alert and recording rules, promtool tests and runbook pages')
    .option('--out <dir>', 'directory of dashboards/ and prometheus/', DEFAULT_OPS_OPTIONS.out)
    .option('--docs <dir>', 'directory of the runbook pages (alerts/, sla/)', DEFAULT_OPS_OPTIONS.docs)
    .option('--sla-dir <dir>', 'SLA policy directory (per-policy rules, objectives)', DEFAULT_OPS_OPTIONS.slaDir)
    .option('--runbook-base <prefix>', 'prefix of every runbook_url (a path or URL ending in "/")', DEFAULT_OPS_OPTIONS.runbookBase)
    .action((opts: OpsRenderOptions) => { render(ctx, opts); });
}

function render(ctx: CliContext, opts: OpsRenderOptions): void {
  const files = renderOperationsFiles(opts);
  for (const [file, text] of files) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  writeLine(ctx.stdout, `wrote ${files.size} files under ${opts.out} and ${opts.docs}`);
}
