/**
 * A process that starts one Seamless instance (run with `node --import tsx`): the configuration
 * is the JSON of argv[2]. It prints `opened` or `failed <code> <field>` on stdout, closes what it
 * opened (when it opened), and then waits for its stdin to end. It never calls process.exit: once
 * stdin ends it exits only if nothing the start opened is left holding the event loop.
 */
import { createSeamless } from '../../src/app/index.js';
import { isSeamlessError } from '../../src/core/index.js';
import { silentLogger } from '../../src/observability/index.js';
import type { SeamlessConfigInput } from '../../src/config/index.js';

const config = JSON.parse(process.argv[2] ?? '{}') as SeamlessConfigInput;
try {
  const seamless = await createSeamless({ config, env: {}, logger: silentLogger() });
  process.stdout.write('opened\n');
  await seamless.close();
} catch (error) {
  const field = isSeamlessError(error) && typeof error.details.field === 'string' ? error.details.field : '-';
  process.stdout.write(`failed ${isSeamlessError(error) ? error.code : 'unexpected'} ${field} ${error instanceof Error ? error.message : String(error)}\n`);
}
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdin.pause();
  process.stdout.write('stdin ended\n');
});
