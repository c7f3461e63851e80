#!/usr/bin/env node
// Launcher: runs the TypeScript CLI (src/cli/main.ts) from any working directory. The sources are
// bundled by esbuild (resolved from this package, like tsx) into .cli-build/<hash>/main.mjs, where
// <hash> covers every file under src/ (path, size, mtime), the installed packages and the build
// options, so an edit or an install rebuilds it once (about 1.5 s) and every later start runs the
// bundle on plain node. The cost avoided: tsx's loader thread and per-module transforms and source
// maps keep about 50 MB more resident in a running gateway (bench/load/idle-rss.bench.ts) and cost
// CPU at every start. The options (scripts/cli-bundle.mjs, shared with the tests' bundle) also
// bundle the pure-JavaScript packages every start loads, which saves about a quarter of a start's
// CPU. The bundle sits two levels under the package root, so src/cli/version.ts still finds
// package.json; source maps are on, so stack traces name the .ts files. When the bundle cannot be
// built or written (a read-only install), the launcher says why on stderr and runs the sources
// through tsx as before.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliBundleOptions, installedPackagesFingerprint } from '../scripts/cli-bundle.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const ENTRY = join(SRC, 'cli', 'main.ts');
const BUILD_DIR = join(ROOT, '.cli-build');
/** Bundles of older sources are removed once this old (a process may still be starting from one). */
const STALE_MS = 10 * 60 * 1000;
/** Part of the hash: change it when the build options below change. */
const BUILD_OPTIONS_VERSION = '2';

/** Every file under `dir`, with its size and mtime, in a stable order. */
function fingerprint(dir, hash) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) fingerprint(path, hash);
    else {
      const st = statSync(path);
      hash.update(`${path}\0${st.size}\0${st.mtimeMs}\n`);
    }
  }
  return hash;
}

/** Writes `data` to `path` through a unique temporary file and a rename, so a reader never sees half of it. */
function writeAtomically(path, data) {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

async function build(dir, outfile) {
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({ ...cliBundleOptions(ROOT, dir), write: false });
    mkdirSync(dir, { recursive: true });
    // main.mjs last: its existence is what later starts check, and it imports the chunks and names the map.
    const last = result.outputFiles.filter((f) => f.path === outfile);
    for (const file of [...result.outputFiles.filter((f) => f.path !== outfile), ...last]) writeAtomically(file.path, file.contents);
  } finally {
    // The build service is a child process: stop it, so the CLI does not keep it running.
    await esbuild.stop?.();
  }
}

function removeStale(keep) {
  for (const name of readdirSync(BUILD_DIR)) {
    const path = join(BUILD_DIR, name);
    if (name !== keep && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
  }
}

/** The bundle of the current sources, built when missing; undefined (with the reason on stderr) when it cannot be. */
async function bundle() {
  try {
    const hash = fingerprint(SRC, createHash('sha256').update(`${process.version}\0${BUILD_OPTIONS_VERSION}\0${installedPackagesFingerprint(ROOT)}\n`)).digest('hex').slice(0, 16);
    const dir = join(BUILD_DIR, hash);
    const outfile = join(dir, 'main.mjs');
    try {
      statSync(outfile);
      return outfile;
    } catch {
      // Not built yet for these sources: build it below.
    }
    await build(dir, outfile);
    removeStale(hash);
    return outfile;
  } catch (err) {
    process.stderr.write(`seamless: running the sources through tsx (could not bundle the CLI: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})\n`);
    return undefined;
  }
}

/**
 * A command that starts a gateway (`serve`, `coordinator serve`) first builds the dashboard page
 * into web/dist when it is missing or older than web/'s sources (scripts/build-web.mjs: about
 * 1.5 s once; a directory walk afterwards). When it cannot (no vite: an install without
 * devDependencies), the launcher says why and the gateway answers `/` with how to build it.
 */
async function ensureDashboard(argv) {
  if (!argv.slice(2).includes('serve')) return;
  try {
    const { ensureWebBuild } = await import('../scripts/build-web.mjs');
    if (await ensureWebBuild()) process.stderr.write('seamless: built the dashboard page (web/dist)\n');
  } catch (err) {
    process.stderr.write(`seamless: the dashboard page is not built (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); run npm run build:web\n`);
  }
}

await ensureDashboard(process.argv);
const outfile = await bundle();
let main;
if (outfile !== undefined) {
  process.setSourceMapsEnabled(true);
  ({ main } = await import(pathToFileURL(outfile).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(pathToFileURL(ENTRY).href));
}
process.exitCode = await main(process.argv);
