/**
 * README's tour is a test: every ```console block of its "A five-minute tour" section runs, in
 * order, against a fresh gateway (`npm start` is the package's start script with `--port 0`)
 * and data directory, and every ```ts block runs with the ```output block after it. Each output
 * must have the shape shown (test/helpers/shown-output.ts: `…`, numbers, hashes and spacing may
 * differ; JSON by keys and values), so a renamed field or a changed line fails here. Commands
 * are read from README.md itself, never from a copy.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesShownText, shownJsonMismatches } from '../helpers/shown-output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/seamless.js');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const SHOWN_ADDRESS = '127.0.0.1:8080';

interface Step { readonly kind: 'command' | 'script'; readonly text: string; readonly shown: string }

/** The tour's steps, from README.md. */
function tourSteps(readme: string): Step[] {
  const start = readme.indexOf('## A five-minute tour');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2].replace(/\n$/, '') }));
  const steps: Step[] = [];
  blocks.forEach((b, i) => {
    if (b.lang === 'ts') {
      const next = blocks[i + 1];
      steps.push({ kind: 'script', text: b.body, shown: next?.lang === 'output' ? next.body : '' });
    }
    if (b.lang !== 'console') return;
    let current: { text: string; shown: string[] } | undefined;
    for (const line of b.body.split('\n')) {
      if (line.startsWith('$ ')) {
        if (current) steps.push({ kind: 'command', text: current.text, shown: current.shown.join('\n').trim() });
        current = { text: line.slice(2), shown: [] };
      } else if (current && current.shown.length === 0 && current.text.endsWith('\\')) {
        current.text = `${current.text.slice(0, -1)} ${line.trim()}`;
      } else {
        current?.shown.push(line);
      }
    }
    if (current) steps.push({ kind: 'command', text: current.text, shown: current.shown.join('\n').trim() });
  });
  return steps;
}

/** Words of a command line as a POSIX shell splits them (quotes; no expansion). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]);
  return words;
}

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

function run(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 110_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
const steps = tourSteps(readme);

describe('the README tour', () => {
  let cwd: string;
  let env: NodeJS.ProcessEnv;
  let gateway: ChildProcess | undefined;
  let address = SHOWN_ADDRESS;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'seamless-readme-tour-'));
    env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
    env.SEAMLESS_DATA_DIR = join(cwd, 'data');
  });
  afterAll(async () => {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((resolve) => gateway?.once('exit', resolve));
      gateway.kill('SIGTERM');
      await exited;
    }
    await rm(cwd, { recursive: true, force: true });
  });

  const local = (text: string): string => text.replaceAll(SHOWN_ADDRESS, address);

  /** `npm start`: the start script, on a free port; its stdout up to "press Ctrl-C to stop". */
  async function startGateway(): Promise<string> {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const [tool, ...args] = shellWords(pkg.scripts.start);
    // The launcher (bin/seamless.js) runs a cached bundle of the sources on plain node.
    expect(tool).toBe('node');
    gateway = spawn(process.execPath, [...args, '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      gateway?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('press Ctrl-C to stop\n')) resolve();
      });
      gateway?.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${out}`)));
    });
    address = /http:\/\/([\d.]+:\d+)/.exec(out)?.[1] ?? '';
    return out;
  }

  async function execute(step: Step): Promise<{ text: string; json: boolean }> {
    if (step.kind === 'script') {
      // The package's entry is dist/ (built by `npm run build`, from src/index.ts): a reader of
      // this repository runs the snippet against src under tsx, as the README says.
      const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { exports: { '.': { import: string } } };
      expect(pkg.exports['.'].import).toBe('./dist/index.js');
      const script = step.text.replace("from 'seamless-data-provider'", `from '${pathToFileURL(join(ROOT, 'src/index.ts')).href}'`);
      const dir = await mkdtemp(join(cwd, 'lib-'));
      await writeFile(join(dir, 'snippet.mts'), script);
      const libEnv = { ...env };
      delete libEnv.SEAMLESS_DATA_DIR; // the snippet's own ./.seamless
      const r = await run(TSX, ['snippet.mts'], dir, libEnv);
      // stderr holds the library's JSON logs (info level by default); the shown output is stdout.
      expect(r.code, r.stderr).toBe(0);
      return { text: r.stdout, json: false };
    }
    const words = shellWords(local(step.text));
    const [cmd, ...args] = words;
    if (cmd === 'npm' && args.join(' ') === 'start') return { text: await startGateway(), json: false };
    if (cmd === 'curl') {
      const r = await run('curl', args, cwd, env);
      return { text: r.stdout, json: step.shown.startsWith('{') };
    }
    if (cmd === './bin/seamless.js') {
      const r = await run(process.execPath, [BIN, ...args], cwd, env);
      // Progress and errors on stderr come before the summary on stdout.
      return { text: `${r.stderr}${r.stdout}`, json: false };
    }
    throw new Error(`the tour test does not know how to run: ${step.text}`);
  }

  it('has the steps a reader follows', () => {
    expect(steps.filter((s) => s.kind === 'command').map((s) => shellWords(s.text)[0])).toContain('npm');
    expect(steps.some((s) => s.kind === 'script')).toBe(true);
    expect(steps.every((s) => s.shown !== '')).toBe(true);
  });

  for (const [i, step] of steps.entries()) {
    it(`step ${i + 1}: ${step.text.split('\n')[0].slice(0, 90)}`, async () => {
      const { text, json } = await execute(step);
      const shown = local(step.shown);
      if (json) {
        let body: unknown;
        expect(() => { body = JSON.parse(text); }, text).not.toThrow();
        expect(shownJsonMismatches(shown, body), text).toEqual([]);
      } else {
        expect(matchesShownText(shown, text), `shown:\n${shown}\n\nactual:\n${text}`).toBe(true);
      }
    });
  }
});
