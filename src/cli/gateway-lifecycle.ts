/**
 * The life of a served gateway in the CLI (`serve`, `coordinator serve`): bind it — closing
 * Seamless if that fails — and, once running, wait for SIGINT/SIGTERM, then close the gateway
 * and Seamless in that order.
 */
import type { RunningGateway } from '../gateway/index.js';
import type { Seamless } from '../app/index.js';
import type { CliContext } from './context.js';

/** Binds the gateway; `check` runs first (e.g. a precondition), and any failure closes Seamless. */
export async function startGateway(seamless: Seamless, check?: () => void): Promise<RunningGateway> {
  try {
    check?.();
    // Loaded when a gateway starts, not with the CLI (see openSeamless).
    const { serveGateway } = await import('../gateway/index.js');
    return await serveGateway({ seamless });
  } catch (err) {
    await seamless.close();
    throw err;
  }
}

/** Waits for SIGINT/SIGTERM, then closes the gateway and Seamless. */
export async function serveUntilSignal(ctx: CliContext, seamless: Seamless, gateway: RunningGateway): Promise<void> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const off = ctx.onSignal((s) => {
      off();
      resolve(s);
    });
  });
  seamless.logger.info({ signal }, 'shutting down');
  try {
    await gateway.close();
  } finally {
    await seamless.close();
  }
}
