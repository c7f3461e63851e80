/**
 * The CLI entry: runs the program and turns its outcome into an exit code. Importing this module
 * does nothing unless it is the process's entry script (`tsx src/cli/main.ts …`); the launcher
 * bin/seamless.js calls `main()` itself.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { processContext } from './context.js';
import type { CliContext } from './context.js';
import { printError } from './output.js';
import { buildProgram } from './program.js';

/** Runs one command line (`argv` as in process.argv) and returns the exit code. */
export async function main(argv: readonly string[] = process.argv, ctx: CliContext = processContext()): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (err) {
    // Help, version and parse errors: commander has printed them already.
    if (err instanceof CommanderError) return err.exitCode;
    printError(ctx, err);
    return 1;
  }
}

function isEntry(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    // argv[1] is not a file (node -e, a REPL): not run as a script.
    return false;
  }
}

if (isEntry()) {
  process.exitCode = await main();
}
