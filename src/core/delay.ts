/** An abortable wait: resolves after `ms`, or rejects with AbortedError as soon as `signal` fires. */
import { setTimeout as wait } from 'node:timers/promises';
import { AbortedError } from './errors.js';

export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new AbortedError(signal.reason);
  try {
    await wait(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    if (signal?.aborted) throw new AbortedError(signal.reason);
    throw error;
  }
}
