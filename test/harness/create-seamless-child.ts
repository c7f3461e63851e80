/**
 * A process that starts one Seamless instance (started by test/harness/child-script.ts): the configuration
 * is the JSON of argv[2]. It prints `opened` or `failed <code> <field>` on stdout, closes what it
 * opened (when it opened), and then waits for its stdin to end. It never calls process.exit: once
 * stdin ends it exits only if nothing the start opened is left holding the event loop.
 */
import { createSeamless } from '../../src/app/index.js';
import { silentLogger } from '../../src/observability/index.js';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import { printFailure, stayUntilStdinEnds } from './child-outcome.js';

const config = JSON.parse(process.argv[2] ?? '{}') as SeamlessConfigInput;
try {
  const seamless = await createSeamless({ config, env: {}, logger: silentLogger() });
  process.stdout.write('opened\n');
  await seamless.close();
} catch (error) {
  printFailure(error);
}
stayUntilStdinEnds();
