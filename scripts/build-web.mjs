#!/usr/bin/env node
// Builds the dashboard page (web/: TypeScript + lightweight-charts) with Vite into web/dist, the
// directory the gateway serves at `/` (src/gateway/dashboard-files.ts). Run by `npm ci` /
// `npm install` (the root `prepare` script), by `npm run build:web`, by bin/seamless.js before it
// starts a gateway (when web/dist is missing or older than web/'s sources) and by the e2e tests'
// global setup. web/dist/.source-hash holds a fingerprint of web/'s sources (path, size, mtime)
// and the Vite version: a start with unchanged sources costs one directory walk, no build.
// The build goes to a temporary directory renamed into place, so a gateway never serves half of
// one; concurrent builders each finish theirs and the last rename wins (both are the same page).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_DIR = join(ROOT, 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');
const HASH_FILE = '.source-hash';
/** What the build reads besides node_modules: the sources, the page, the TypeScript options. */
const INPUTS = ['index.html', 'src', 'tsconfig.json'];

function walk(path, hash) {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) walk(join(path, name), hash);
  } else {
    hash.update(`${path.slice(WEB_DIR.length)}\0${st.size}\0${st.mtimeMs}\n`);
  }
}

/** The fingerprint of web/'s sources and the Vite version. */
export function webSourceHash() {
  const hash = createHash('sha256');
  const require = createRequire(import.meta.url);
  hash.update(`vite ${require('vite/package.json').version}\n`);
  for (const input of INPUTS) walk(join(WEB_DIR, input), hash);
  return hash.digest('hex').slice(0, 16);
}

/** Whether web/dist holds the build of the current sources. */
export function webBuildIsCurrent() {
  const file = join(WEB_DIST, HASH_FILE);
  return existsSync(join(WEB_DIST, 'index.html')) && existsSync(file) && readFileSync(file, 'utf8').trim() === webSourceHash();
}

/** Builds web/ into web/dist unless it is current; returns whether it built. */
export async function ensureWebBuild({ force = false } = {}) {
  const hash = webSourceHash();
  if (!force && webBuildIsCurrent()) return false;
  const { build } = await import(pathToFileURL(createRequire(import.meta.url).resolve('vite')).href);
  const tmp = join(WEB_DIR, `.dist-${process.pid}-${Date.now()}`);
  try {
    await build({
      root: WEB_DIR, configFile: false, base: '/ui/', logLevel: 'warn', publicDir: false,
      build: { outDir: tmp, emptyOutDir: true, assetsDir: 'assets', sourcemap: true, chunkSizeWarningLimit: 1024, reportCompressedSize: false },
    });
    writeFileSync(join(tmp, HASH_FILE), `${hash}\n`);
    rmSync(WEB_DIST, { recursive: true, force: true });
    try {
      renameSync(tmp, WEB_DIST);
    } catch (error) {
      // Another builder renamed its build of the same sources into place first: keep that one.
      if (!webBuildIsCurrent()) throw error;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return true;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  const t0 = Date.now();
  let vite = true;
  try {
    createRequire(import.meta.url).resolve('vite');
  } catch {
    vite = false;
  }
  if (!vite) {
    // An install without devDependencies (npm ci --omit=dev): nothing to build with; not an error
    // for `prepare`, and the gateway answers `/` with a 404 saying how to build the page.
    console.log('build-web: vite is not installed (devDependencies omitted): the dashboard page is not built');
  } else try {
    const built = await ensureWebBuild({ force });
    console.log(built ? `web/dist built in ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'web/dist is current');
  } catch (error) {
    console.error(`build-web: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
