// The esbuild options of the `seamless` CLI bundle, shared by the launcher (bin/seamless.js, which
// builds .cli-build/<hash>/main.mjs) and the test setup (test/setup/cli-bundle.ts, which builds
// the same bundle once per test run), so that tests start exactly what users start.
//
// src/ is bundled and split into chunks, so that a command loads the chunks of what it runs (a
// client command never loads DuckDB, fastify or the engines). The pure-JavaScript packages every
// start loads are bundled too (INLINED_PACKAGES): loaded from node_modules they cost Node a
// resolution, a file read and, for CommonJS, an export scan per file (zod, yaml, DuckDB's
// node-api and the OpenTelemetry API alone are about 450 files), about a quarter of the CPU of a
// CLI start on the 2-core test machine (`seamless datasets` 1.45 → 1.0 s, `serve` until listening
// 1.8 → 1.55 s). Every other package stays external and loads from node_modules as before:
// native bindings (DuckDB's), packages that resolve files of their own at run time (pino's
// transports, ccxt, etcd3's protocol files, date-holidays' data) and ones that require optional
// packages (pg's native binding).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Packages bundled into the CLI: pure JavaScript, no files read by path at run time, loaded by
 * most commands. Their own dependencies are bundled with them unless listed as dependencies of
 * seamless (which stay external).
 */
export const INLINED_PACKAGES = Object.freeze([
  '@date-fns/tz', '@duckdb/node-api', '@fastify/websocket', '@opentelemetry/api', '@opentelemetry/context-async-hooks',
  '@opentelemetry/core', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources',
  '@opentelemetry/sdk-trace-base', 'apache-arrow', 'cli-progress', 'cockatiel', 'commander', 'csv-parse', 'fastify',
  'fastify-type-provider-zod', 'prom-client', 'ws', 'yaml', 'zod',
]);

/** Imports that stay external although a bundled package imports them: DuckDB's native binding. */
const ALWAYS_EXTERNAL = Object.freeze(['@duckdb/node-bindings']);

/** The seamless package.json at `root`. */
function packageJson(root) {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
}

/** Package names (and their subpaths) that the bundle leaves to node_modules. */
export function externalPackages(root) {
  const pkg = packageJson(root);
  const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]
    .filter((name) => !INLINED_PACKAGES.includes(name));
  const names = [...new Set([...deps, ...ALWAYS_EXTERNAL])].sort();
  return names.flatMap((name) => [name, `${name}/*`]);
}

/**
 * esbuild options for the CLI bundle: entry src/cli/main.ts as `main.mjs` in `outdir`, with its
 * chunks named `${chunkPrefix}-[hash]`. The bundle must sit two directories under the package root
 * (src/cli/version.ts finds package.json at ../../package.json from it).
 */
export function cliBundleOptions(root, outdir, chunkPrefix = 'chunk') {
  return {
    entryPoints: { main: join(root, 'src', 'cli', 'main.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: `${chunkPrefix}-[hash]`,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: externalPackages(root),
    // Bundled CommonJS packages call require() for Node's built-ins; ESM output has none of its own.
    banner: { js: "import { createRequire as __seamlessCreateRequire } from 'node:module'; const require = __seamlessCreateRequire(import.meta.url);" },
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'silent',
  };
}

/**
 * A fingerprint of the installed packages (node_modules/.package-lock.json, which npm rewrites at
 * every install): part of the launcher's bundle hash, since the bundle holds copies of packages.
 */
export function installedPackagesFingerprint(root) {
  try {
    const st = statSync(join(root, 'node_modules', '.package-lock.json'));
    return `${st.size}\0${st.mtimeMs}`;
  } catch {
    return 'no-lock';
  }
}
