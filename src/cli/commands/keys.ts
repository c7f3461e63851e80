/**
 * `seamless keys create|list|revoke`: API keys in the configuration file's `auth.keys`. Only the
 * SHA-256 of a secret is stored; the secret is printed once, by `create`.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { InvalidRequestError } from '../../core/index.js';
import { SCOPES, generateApiKey } from '../../gateway/index.js';
import type { Scope } from '../../gateway/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { openKeyFile } from '../key-file.js';
import { formatTable } from '../output.js';

export const DEFAULT_KEY_FILE = './seamless.yml';

interface KeyFileOptions {
  readonly config?: string;
}

interface CreateOptions extends KeyFileOptions {
  readonly scope: Scope[];
}

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('create, list and revoke gateway API keys (in the config file\'s auth.keys)');
  const fileOption = `configuration file to edit (default: $SEAMLESS_CONFIG, else ${DEFAULT_KEY_FILE}; created if missing)`;
  const fileOf = (opts: KeyFileOptions): string => opts.config ?? ctx.env.SEAMLESS_CONFIG ?? DEFAULT_KEY_FILE;

  keys.command('create')
    .description('create a key; its secret is printed once')
    .argument('<name>', 'key name: letters, digits, ".", "_" or "-"')
    .option('--scope <scope>', `a scope to grant (${SCOPES.join(', ')}); repeat for more`, collectScope, [])
    .option('--config <file>', fileOption)
    .action((name: string, opts: CreateOptions) => {
      if (opts.scope.length === 0) throw new InvalidRequestError('--scope', `give at least one (${SCOPES.join(', ')}), e.g. --scope read`);
      const file = openKeyFile(fileOf(opts));
      const { entry, secret } = generateApiKey(name, opts.scope);
      file.add(entry);
      file.save();
      writeLine(ctx.stdout, `created key "${entry.name}" (scopes ${entry.scopes.join(', ')}) in ${file.path}`);
      writeLine(ctx.stdout, `secret: ${secret}`);
      writeLine(ctx.stdout, 'store it now: it will not be shown again (only its SHA-256 is kept); restart the gateway to load it');
    });

  keys.command('list')
    .description('list keys (name, scopes, created); secrets and hashes are never shown')
    .option('--config <file>', fileOption)
    .action((opts: KeyFileOptions) => {
      const file = openKeyFile(fileOf(opts));
      const list = file.keys();
      if (list.length === 0) {
        writeLine(ctx.stdout, `no keys in ${file.path}${file.exists ? '' : ' (the file does not exist)'}`);
        return;
      }
      const rows = list.map((k) => [k.name, k.scopes.join(','), k.createdAt ?? '']);
      for (const line of formatTable(['name', 'scopes', 'createdAt'], rows)) writeLine(ctx.stdout, line);
    });

  keys.command('revoke')
    .description('remove a key from the config (takes effect when the gateway restarts)')
    .argument('<name>', 'key name')
    .option('--config <file>', fileOption)
    .action((name: string, opts: KeyFileOptions) => {
      const file = openKeyFile(fileOf(opts));
      file.remove(name);
      file.save();
      writeLine(ctx.stdout, `revoked key "${name}" in ${file.path}; restart the gateway to apply it`);
    });
}

function collectScope(value: string, previous: Scope[]): Scope[] {
  if (!(SCOPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${SCOPES.join(', ')}`);
  return previous.includes(value as Scope) ? previous : [...previous, value as Scope];
}
