/**
 * The common end of the start-unwinding child scripts (create-seamless-child.ts,
 * open-worker-child.ts): the line a failed start prints, and the wait for stdin to end. A child
 * never calls process.exit: once stdin ends it exits only if nothing its start opened is left
 * holding the event loop (test/harness/child-script.ts `runUnwindingChild` checks that).
 */
import { isSeamlessError } from '../../src/core/index.js';

/** Prints `failed <code> <field> <message>` on stdout (`-` when the error names no field). */
export function printFailure(error: unknown): void {
  const field = isSeamlessError(error) && typeof error.details.field === 'string' ? error.details.field : '-';
  process.stdout.write(`failed ${isSeamlessError(error) ? error.code : 'unexpected'} ${field} ${error instanceof Error ? error.message : String(error)}\n`);
}

/** Keeps stdin open until the parent ends it, then lets go of it and prints `stdin ended`. */
export function stayUntilStdinEnds(): void {
  process.stdin.resume();
  process.stdin.on('end', () => {
    process.stdin.pause();
    process.stdout.write('stdin ended\n');
  });
}
