import { describe, expect, it } from 'vitest';
import { ResourceStack } from '../../../src/core/index.js';
import { ResourceStackDisposedError } from '../../../src/core/internal.js';
import type { WithSuppressed } from '../../../src/core/internal.js';

class CloseFailed extends Error {}

describe('resource stack', () => {
  it('closes what was registered in reverse order of opening', async () => {
    const stack = new ResourceStack();
    const closed: string[] = [];
    const a = stack.adopt({ name: 'a' }, (r) => { closed.push(r.name); });
    stack.defer(async () => { closed.push('b'); });
    stack.adopt({ name: 'c' }, async (r) => { closed.push(r.name); });
    expect(a.name).toBe('a');
    await stack.disposeAsync();
    expect(closed).toEqual(['c', 'b', 'a']);
  });

  it('goes on closing after a failure and rethrows the first failure with the others attached', async () => {
    const stack = new ResourceStack();
    const closed: string[] = [];
    const first = new CloseFailed('first to fail (opened last)');
    const second = new CloseFailed('second to fail');
    stack.defer(() => { closed.push('a'); });
    stack.defer(() => { throw second; });
    stack.defer(() => { closed.push('c'); });
    stack.defer(async () => { throw first; });
    const thrown = await stack.disposeAsync().then(() => undefined, (error: unknown) => error);
    expect(thrown).toBe(first);
    expect((thrown as WithSuppressed).suppressed).toEqual([second]);
    expect(closed).toEqual(['c', 'a']);
  });

  it('rethrows a single failure as it is, with nothing attached', async () => {
    const stack = new ResourceStack();
    const only = new CloseFailed('only');
    stack.defer(() => { throw only; });
    const thrown = await stack.disposeAsync().then(() => undefined, (error: unknown) => error);
    expect(thrown).toBe(only);
    expect(Object.hasOwn(only, 'suppressed')).toBe(false);
  });

  it('disposes once: a second call returns the first outcome and closes nothing again', async () => {
    const stack = new ResourceStack();
    let closes = 0;
    stack.defer(async () => { closes++; });
    const firstCall = stack.disposeAsync();
    const secondCall = stack.disposeAsync();
    expect(secondCall).toBe(firstCall);
    await firstCall;
    await stack.disposeAsync();
    expect(closes).toBe(1);
    expect(stack.disposed).toBe(true);
  });

  it('refuses a registration after disposal and closes the resource it was handed', async () => {
    const stack = new ResourceStack();
    await stack.disposeAsync();
    let closed = false;
    expect(() => stack.adopt('late', () => { closed = true; })).toThrow(ResourceStackDisposedError);
    // The close runs on the next microtask: poll the microtask queue, never a timer.
    for (let i = 0; i < 10 && !closed; i++) await Promise.resolve();
    expect(closed).toBe(true);
  });
});
