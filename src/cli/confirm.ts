/**
 * Confirmation of a destructive command (`seamless purge`, `seamless backfill --force`): asked on
 * a terminal unless --yes; without a terminal (a script, a pipe) --yes is required, so nothing is
 * deleted because nobody was there to answer.
 */
import { createInterface } from 'node:readline/promises';
import { InvalidRequestError } from '../core/index.js';
import type { CliContext } from './context.js';

/** Resolves when the user typed `yes` (or --yes was given); throws otherwise, nothing done. */
export async function confirmDestructive(ctx: CliContext, yes: boolean | undefined, what: string): Promise<void> {
  if (yes === true) return;
  const stdin = ctx.stdin;
  if (stdin === undefined || stdin.isTTY !== true) {
    throw new InvalidRequestError('--yes', `is required without a terminal to confirm on: ${what}`);
  }
  const rl = createInterface({ input: stdin, output: ctx.stderr as NodeJS.WritableStream });
  try {
    const answer = await rl.question(`${what}\nType "yes" to go on: `);
    if (answer.trim().toLowerCase() !== 'yes') throw new InvalidRequestError('--yes', `not confirmed (answered ${JSON.stringify(answer.trim())}); nothing was changed`);
  } finally {
    rl.close();
  }
}
