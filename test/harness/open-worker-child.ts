/**
 * A process that opens one `seamless worker` through the composition root (app `openWorker`; run
 * with `node --import tsx`): argv[2] is the configuration file, argv[3] the coordinator URL. It
 * prints `opened` (then closes the worker and prints `closed`) or `failed <code> <field> <message>`
 * on stdout, and then waits for its stdin to end. It never calls process.exit: once stdin ends it
 * exits only if nothing the start opened is left holding the event loop.
 */
import { openWorker } from '../../src/app/index.js';
import { isSeamlessError } from '../../src/core/index.js';

const [config = '', coordinator = ''] = process.argv.slice(2);
try {
  const worker = await openWorker({ coordinator, config, env: {}, waitMs: 1_000 });
  process.stdout.write(`opened ${worker.workerId}\n`);
  await worker.close();
  process.stdout.write('closed\n');
} catch (error) {
  const field = isSeamlessError(error) && typeof error.details.field === 'string' ? error.details.field : '-';
  process.stdout.write(`failed ${isSeamlessError(error) ? error.code : 'unexpected'} ${field} ${error instanceof Error ? error.message : String(error)}\n`);
}
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdin.pause();
  process.stdout.write('stdin ended\n');
});
