/**
 * Every command and configuration key the docs name must exist. The test reads README.md and
 * docs/**.md and checks:
 * - each `seamless …` command line (inline code, or a line of a fenced block) against the real
 *   commander program: subcommands and `--options` must exist on the command they are given to;
 * - each inline-code dotted name that starts with a top-level configuration key
 *   (`seamless.backfill.suspended`, `storage.url`, `sources.<name>`) against the zod schema,
 *   unless the code really uses that string as a name (a span, logger or attribute such as
 *   `seamless.pipeline`);
 * - each fenced ```yaml block that looks like a Seamless configuration, through the real loader
 *   (a block fenced as ```yaml excerpt — with placeholders such as `[ … ]` — is not loaded).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { loadConfig } from '../../../src/config/index.js';
import { SeamlessConfigSchema } from '../../../src/config/internal.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...markdownFiles(path));
    else if (name.endsWith('.md')) out.push(path);
  }
  return out;
}

const DOCS = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))].map((path) => ({
  path: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}));

interface Found {
  readonly file: string;
  readonly text: string;
}

/** Inline code spans outside fenced blocks, and the lines of fenced blocks with their language. */
function codeOf(text: string): { inline: string[]; fenced: { lang: string; body: string }[] } {
  const inline: string[] = [];
  const fenced: { lang: string; body: string }[] = [];
  const parts = text.split(/^```/m);
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) {
      const nl = parts[i].indexOf('\n');
      fenced.push({ lang: parts[i].slice(0, nl).trim(), body: parts[i].slice(nl + 1) });
    } else {
      for (const m of parts[i].matchAll(/`([^`\n]+)`/g)) inline.push(m[1]);
    }
  }
  return { inline, fenced };
}

// ---- CLI commands -------------------------------------------------------------------------

const program = buildProgram();

function longOptions(cmd: Command): Set<string> {
  const names = new Set<string>(['--help']);
  for (const o of cmd.options) {
    if (o.long) names.add(o.long);
    if (o.negate && o.long) names.add(o.long);
  }
  return names;
}

/** Problems with one `seamless …` invocation, e.g. `seamless sla lint --dir d`. */
function checkInvocation(line: string): string[] {
  const tokens = line.trim().replace(/^\$\s*/, '').split(/\s+/);
  if (tokens[0] !== 'seamless') return [];
  let cmd: Command = program;
  const problems: string[] = [];
  let i = 1;
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.startsWith('-') || !/^[a-z][a-z-]*(\|[a-z][a-z-]*)*$/.test(t)) break;
    const alternatives = t.split('|');
    const subs = cmd.commands;
    if (subs.length === 0) break; // an argument of a leaf command
    const found = alternatives.map((a) => subs.find((c) => c.name() === a));
    const missing = alternatives.filter((_a, k) => found[k] === undefined);
    if (missing.length > 0) {
      // A leaf-looking word after a command with subcommands: a real subcommand is required.
      problems.push(`"${missing.join('|')}" is not a subcommand of "${cmd.name()}" (${subs.map((c) => c.name()).join(', ')})`);
      return problems;
    }
    if (alternatives.length > 1) return problems; // `lint|render-rules|…`: options belong to one of them
    cmd = found[0] as Command;
  }
  const options = longOptions(cmd);
  for (; i < tokens.length; i++) {
    const m = /^\[?(--[a-z][a-z0-9-]*)/.exec(tokens[i]);
    if (m && !options.has(m[1])) problems.push(`"${m[1]}" is not an option of "seamless ${commandPath(cmd)}"`);
  }
  return problems;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c !== program; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function invocations(): Found[] {
  const out: Found[] = [];
  for (const doc of DOCS) {
    const { inline, fenced } = codeOf(doc.text);
    for (const s of inline) if (/^(\$\s*)?seamless\s+[a-z]/.test(s)) out.push({ file: doc.path, text: s });
    for (const block of fenced) {
      if (!['', 'sh', 'bash', 'shell', 'console'].includes(block.lang)) continue;
      const lines = block.body.split('\n');
      // A transcript (`$ seamless …` then its output): only the prompted lines are commands.
      const prompted = lines.some((l) => /^\s*\$\s/.test(l));
      for (const line of lines) {
        if (prompted && !/^\s*\$\s/.test(line)) continue;
        const at = line.search(/(^|\$\s*|&&\s*|\|\s*)seamless\s+[a-z]/);
        if (at >= 0) out.push({ file: doc.path, text: line.slice(line.indexOf('seamless', at)).replace(/\s+[|&>].*$/, '').replace(/\\$/, '') });
      }
    }
  }
  return out;
}

// ---- configuration keys -------------------------------------------------------------------

interface ZodLike { _zod: { def: Record<string, unknown> & { type: string } } }

/** Every key path of the schema; record keys and array elements are `*`. */
function keyPaths(schema: ZodLike, prefix: string[] = [], out = new Set<string>()): Set<string> {
  const def = schema._zod.def;
  switch (def.type) {
    case 'object':
      for (const [k, v] of Object.entries(def.shape as Record<string, ZodLike>)) {
        const path = [...prefix, k];
        out.add(path.join('.'));
        keyPaths(v, path, out);
      }
      break;
    case 'default': case 'optional': case 'prefault': case 'nullable': case 'readonly': case 'catch':
      keyPaths(def.innerType as ZodLike, prefix, out);
      break;
    case 'pipe':
      keyPaths(def.in as ZodLike, prefix, out);
      break;
    case 'record':
      out.add([...prefix, '*'].join('.'));
      keyPaths(def.valueType as ZodLike, [...prefix, '*'], out);
      break;
    case 'array':
      keyPaths(def.element as ZodLike, [...prefix, '*'], out);
      break;
    case 'union':
      for (const o of def.options as ZodLike[]) keyPaths(o, prefix, out);
      break;
    default:
      break;
  }
  return out;
}

const CONFIG_PATHS = keyPaths(SeamlessConfigSchema as unknown as ZodLike);
const TOP_LEVEL = new Set([...CONFIG_PATHS].map((p) => p.split('.')[0]));

/** Every `'seamless.…'` string literal of the code: span, logger and attribute names. */
function codeNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/['"`](seamless\.[a-z_.]+)['"`]/g)) names.add(m[1]);
    }
  };
  walk(join(ROOT, 'src'));
  return names;
}

const NAMES_IN_CODE = codeNames();

/** `storage.url`, `sources.<name>.kind`, `datasets[].live` → path segments, `*` for placeholders. */
function normaliseKey(key: string): string {
  return key.replace(/\[\]/g, '.*').replace(/<[^>]+>/g, '*').replace(/\.\*\.\*/g, '.*');
}

function configKeys(): Found[] {
  const out: Found[] = [];
  for (const doc of DOCS) {
    for (const s of codeOf(doc.text).inline) {
      const key = s.replace(/:\s.*$/, '').replace(/=.*$/, '');
      if (!/^[A-Za-z_]+((\.|\[\]\.?)[A-Za-z_<>*-]+)+$/.test(key)) continue;
      if (!TOP_LEVEL.has(key.split(/[.[]/)[0])) continue;
      out.push({ file: doc.path, text: key });
    }
  }
  return out;
}

function knownKey(key: string): boolean {
  if (NAMES_IN_CODE.has(key)) return true;
  const normal = normaliseKey(key);
  return CONFIG_PATHS.has(normal) || CONFIG_PATHS.has(normal.replace(/\.\*$/, ''));
}

function refusal(input: Record<string, unknown>): string | undefined {
  try {
    loadConfig({ input, env: {} });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

// ---- tests --------------------------------------------------------------------------------

describe('docs name only commands, options and keys that exist', () => {
  it('finds what it checks (the extraction works)', () => {
    expect(invocations().length).toBeGreaterThan(20);
    expect(configKeys().length).toBeGreaterThan(20);
    expect(checkInvocation('seamless sla lint --dir x')).toEqual([]);
    expect(checkInvocation('seamless sla lnt')).toHaveLength(1);
    expect(checkInvocation('seamless fetch --nodes x')).toHaveLength(1);
    expect(knownKey('seamless.backfill.suspended')).toBe(true);
    expect(knownKey('sources.<name>.kind')).toBe(true);
    expect(knownKey('seamless.backfill.suspend')).toBe(false);
  });

  it('every `seamless …` command and option in the docs exists', () => {
    const problems = invocations().flatMap((f) => checkInvocation(f.text).map((p) => `${f.file}: \`${f.text}\`: ${p}`));
    expect(problems).toEqual([]);
  });

  it('every configuration key in the docs exists', () => {
    const problems = configKeys().filter((f) => !knownKey(f.text)).map((f) => `${f.file}: \`${f.text}\` is not a configuration key (nor a name the code uses)`);
    expect(problems).toEqual([]);
  });

  it('every YAML configuration example in the docs loads', () => {
    const problems: string[] = [];
    for (const doc of DOCS) {
      // A fragment may lean on an earlier one of the same page (sources, then datasets).
      let earlier: Record<string, unknown> = {};
      for (const block of codeOf(doc.text).fenced) {
        if (block.lang !== 'yaml' && block.lang !== 'yml') continue;
        let value: unknown;
        try {
          value = parseYaml(block.body);
        } catch (error) {
          problems.push(`${doc.path}: a yaml block does not parse: ${(error as Error).message.split('\n')[0]}`);
          continue;
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
        const keys = Object.keys(value);
        // Only whole configurations (policy files, rules and manifests are other formats).
        if (keys.length === 0 || !keys.every((k) => TOP_LEVEL.has(k))) continue;
        const alone = refusal(value as Record<string, unknown>);
        const merged = { ...earlier, ...(value as Record<string, unknown>) };
        if (alone !== undefined && refusal(merged) !== undefined) problems.push(`${doc.path}: a configuration example is refused: ${alone}`);
        earlier = merged;
      }
    }
    expect(problems).toEqual([]);
  });
});
