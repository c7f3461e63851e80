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

/**
 * Waits for `promise` unless `signal` fires first (then rejects with AbortedError carrying the
 * signal's reason). The work itself is not cancelled — only the wait — so use it where the work
 * may finish harmlessly in the background (a storage query, a shared backfill).
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(new AbortedError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => undefined); // its outcome no longer matters to anyone
      reject(new AbortedError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    }, (e: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
  });
}
