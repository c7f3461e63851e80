/**
 * The confirmation of destructive commands (src/cli/confirm.ts): asked on a terminal, refused
 * without one unless --yes. The terminal is a PassThrough stream marked as a TTY.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirmDestructive } from '../../../src/cli/confirm.js';
import type { CliContext } from '../../../src/cli/context.js';

function context(stdin: CliContext['stdin']): CliContext & { err: string[] } {
  const err: string[] = [];
  return {
    err, stdin, env: {}, debug: false, exitCode: 0, onSignal: () => () => undefined,
    stdout: { write: () => true },
    stderr: Object.assign(new PassThrough(), { write: (text: string) => { err.push(text); return true; } }),
  };
}

function terminal(answer: string): PassThrough & { isTTY: boolean } {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  setImmediate(() => input.write(`${answer}\n`));
  return input;
}

describe('confirmation of a destructive command', () => {
  it('goes on when the terminal answers yes, after showing what will be deleted', async () => {
    const ctx = context(terminal('yes'));
    await expect(confirmDestructive(ctx, undefined, 'Purge X 1m [a, b)')).resolves.toBeUndefined();
    expect(ctx.err.join('')).toContain('Purge X 1m [a, b)');
  });

  it('stops, naming --yes, when the terminal answers anything else', async () => {
    await expect(confirmDestructive(context(terminal('no')), undefined, 'Purge X')).rejects.toMatchObject({ code: 'invalid_request', field: '--yes' });
  });

  it('needs --yes without a terminal, and never reads an answer then', async () => {
    const pipe = new PassThrough();
    await expect(confirmDestructive(context(pipe), undefined, 'Purge X')).rejects.toThrow('--yes: is required without a terminal to confirm on: Purge X');
    await expect(confirmDestructive(context(undefined), false, 'Purge X')).rejects.toMatchObject({ field: '--yes' });
    await expect(confirmDestructive(context(pipe), true, 'Purge X')).resolves.toBeUndefined();
  });
});
