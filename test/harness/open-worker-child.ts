/**
 * A process that opens one `seamless worker` through the composition root (app `openWorker`; started
 * by test/harness/child-script.ts): argv[2] is the configuration file, argv[3] the coordinator URL. It
 * prints `opened` (then closes the worker and prints `closed`) or `failed <code> <field> <message>`
 * on stdout, and then waits for its stdin to end. It never calls process.exit: once stdin ends it
 * exits only if nothing the start opened is left holding the event loop.
 */
import { openWorker } from '../../src/app/index.js';
import { printFailure, stayUntilStdinEnds } from './child-outcome.js';

const [config = '', coordinator = ''] = process.argv.slice(2);
try {
  const worker = await openWorker({ coordinator, config, env: {}, waitMs: 1_000 });
  process.stdout.write(`opened ${worker.workerId}\n`);
  await worker.close();
  process.stdout.write('closed\n');
} catch (error) {
  printFailure(error);
}
stayUntilStdinEnds();
