/**
 * Checks a container's argument list against the real `seamless` command line (buildProgram):
 * the command path exists, every option is one the command declares, option values pass the
 * command's own parsers and choices, required options are present and operands fit. Nothing runs:
 * commander only parses options, no action is invoked.
 */
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import type { CliContext } from '../../../src/cli/context.js';
import { buildProgram } from '../../../src/cli/program.js';

export interface Invocation {
  /** e.g. "coordinator serve". */
  readonly command: string;
  /** Parsed option values by attribute name (etcdEndpoints, port, …). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly operands: readonly string[];
  /** Empty when the arguments are a valid invocation. */
  readonly problems: readonly string[];
}

function silentContext(): CliContext {
  return {
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: {},
    debug: false,
    exitCode: 0,
    onSignal: () => () => undefined,
  };
}

export function checkInvocation(args: readonly string[]): Invocation {
  let cmd: Command = buildProgram(silentContext());
  const path: string[] = [];
  let rest = [...args];
  for (;;) {
    const name = rest[0];
    const sub = cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (sub === undefined) break;
    cmd = sub;
    path.push(sub.name());
    rest = rest.slice(1);
  }
  const command = path.join(' ');
  const problems: string[] = [];
  if (path.length === 0) return { command, options: {}, operands: [], problems: [`"${args[0] ?? ''}" is not a seamless command`] };
  if (cmd.commands.length > 0) {
    problems.push(`"${command}" needs a subcommand (${cmd.commands.map((c) => c.name()).join(', ')}), got "${rest[0] ?? ''}"`);
    return { command, options: {}, operands: rest, problems };
  }
  let operands: string[] = [];
  try {
    const parsed = cmd.parseOptions(rest);
    operands = parsed.operands;
    if (parsed.unknown.length > 0) problems.push(`${command}: unknown option ${parsed.unknown[0]} (declared: ${cmd.options.map((o) => o.long ?? o.short).join(', ')})`);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    problems.push(`${command}: ${error.message}`);
  }
  const values = cmd.opts();
  for (const option of cmd.options) {
    if (option.mandatory && values[option.attributeName()] === undefined) problems.push(`${command}: required option ${option.long ?? option.short} is missing`);
  }
  const declared = cmd.registeredArguments;
  const variadic = declared.some((a) => a.variadic);
  const required = declared.filter((a) => a.required).length;
  if (operands.length < required) problems.push(`${command}: expects ${required} argument(s), got ${operands.length}`);
  if (!variadic && operands.length > declared.length) problems.push(`${command}: unexpected argument "${operands[declared.length]}"`);
  return { command, options: values, operands, problems };
}
