/**
 * `ResourceStack`: the disposal stack of the composition root (the `AsyncDisposableStack`
 * pattern, without a polyfill). Whatever opens a resource registers its close on the stack as it
 * opens it — `adopt(value, close)` or `defer(fn)` — so one `disposeAsync()` unwinds exactly what
 * was opened, in reverse order: on a failure half-way through a start, and on a normal close.
 *
 * Disposal runs every close even when some fail, then rethrows the first failure with the others
 * attached as its `suppressed` list. It is idempotent: a second call returns the first call's
 * promise. Registering on a stack that is disposing or disposed is refused
 * (`ResourceStackDisposedError`, after closing what was handed over) so nothing is left open.
 */
import { InternalError } from './errors.js';

/** A close function of one registered resource. */
export type DisposeFn = () => void | Promise<void>;

/** Refused registration on a stack that has been disposed (the resource was closed at once). */
export class ResourceStackDisposedError extends InternalError {
  constructor() {
    super('the resource stack is already disposed: the resource was closed at once');
    this.name = 'ResourceStackDisposedError';
  }
}

/** The failures beside the first one of a disposal, attached to the error rethrown. */
export interface WithSuppressed {
  readonly suppressed: readonly unknown[];
}

export class ResourceStack {
  readonly #disposers: DisposeFn[] = [];
  #disposal: Promise<void> | undefined = undefined;

  /** Whether `disposeAsync` has been called. */
  get disposed(): boolean {
    return this.#disposal !== undefined;
  }

  /** Registers `close(value)` and returns `value`, so a resource is registered where it is opened. */
  adopt<T>(value: T, close: (value: T) => void | Promise<void>): T {
    this.defer(() => close(value));
    return value;
  }

  /** Registers a function to run at disposal (after everything registered later). */
  defer(fn: DisposeFn): void {
    if (this.#disposal !== undefined) {
      // Close it now rather than leak it; a failure of that close rides on the refusal.
      const refused = new ResourceStackDisposedError();
      void Promise.resolve().then(fn).catch((error: unknown) => attachSuppressed(refused, [error]));
      throw refused;
    }
    this.#disposers.push(fn);
  }

  /** Runs every registered close in reverse order; rethrows the first failure with the rest attached. */
  disposeAsync(): Promise<void> {
    this.#disposal ??= this.#unwind();
    return this.#disposal;
  }

  async #unwind(): Promise<void> {
    const failures: unknown[] = [];
    for (let i = this.#disposers.length - 1; i >= 0; i--) {
      try {
        await this.#disposers[i]();
      } catch (error) {
        failures.push(error);
      }
    }
    this.#disposers.length = 0;
    if (failures.length === 0) return;
    const [first, ...rest] = failures;
    if (rest.length > 0) attachSuppressed(first, rest);
    throw first;
  }
}

/** Attaches `others` to `error` as `suppressed` (objects only; a thrown primitive carries nothing). */
function attachSuppressed(error: unknown, others: readonly unknown[]): void {
  if (typeof error !== 'object' || error === null) return;
  const previous = (error as Partial<WithSuppressed>).suppressed ?? [];
  Object.defineProperty(error, 'suppressed', { value: [...previous, ...others], enumerable: true, configurable: true, writable: false });
}
