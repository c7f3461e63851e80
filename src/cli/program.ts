/**
 * The `seamless` command line, built as a commander program. Building it has no side effects:
 * commands write only to the context's streams, and errors are thrown (exitOverride) for
 * main.ts to print as one line.
 */
import { Command } from 'commander';
import { processContext } from './context.js';
import type { CliContext } from './context.js';
import { registerBackfill } from './commands/backfill.js';
import { registerCoordinator } from './commands/coordinator.js';
import { registerCoverage } from './commands/coverage.js';
import { registerDatasets } from './commands/datasets.js';
import { registerFetch } from './commands/fetch.js';
import { registerHealth } from './commands/health.js';
import { registerImport } from './commands/import.js';
import { registerKeys } from './commands/keys.js';
import { registerOps } from './commands/ops.js';
import { registerPurge } from './commands/purge.js';
import { registerReport } from './commands/report.js';
import { registerSchema } from './commands/schema.js';
import { registerServe } from './commands/serve.js';
import { registerSla } from './commands/sla.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerWorker } from './commands/worker.js';
import { packageVersion } from './version.js';
import { registerStream } from './commands/stream.js';

export function buildProgram(ctx: CliContext = processContext()): Command {
  const program = new Command('seamless')
    .description('Seamless market-data plane: serve the gateway, read, backfill and import bars, manage API keys, schemas and conformance reports')
    .version(packageVersion(), '-V, --version', 'print the version of seamless')
    // Program options only before the subcommand: `seamless schema show S --version 1` is the
    // subcommand's --version, not the program's.
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => { ctx.stdout.write(text); },
      writeErr: (text) => { ctx.stderr.write(text); },
      // commander's parse errors ("error: unknown option '--x'\n(Did you mean --y?)") as our one line.
      outputError: (text, write) => write(`seamless: invalid_request: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });
  // Subcommands created by .command() inherit exitOverride and the output configuration.
  registerServe(program, ctx);
  registerFetch(program, ctx);
  registerCoverage(program, ctx);
  registerDatasets(program, ctx);
  registerBackfill(program, ctx);
  registerImport(program, ctx);
  registerKeys(program, ctx);
  registerSchema(program, ctx);
  registerReport(program, ctx);
  registerHealth(program, ctx);
  registerCoordinator(program, ctx);
  registerWorker(program, ctx);
  registerSla(program, ctx);
  registerOps(program, ctx);
  registerPurge(program, ctx);
  registerSnapshot(program, ctx);
  registerStream(program, ctx);
  return program;
}
