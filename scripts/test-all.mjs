#!/usr/bin/env node
// `npm run test:all`: everything, on a clean Debian machine after `npm ci`.
//  1. installs the Debian packages the integration tests need, when missing (apt-get);
//  2. lint, the architecture check and typecheck (in two lanes at once, see runLanes);
//  3. unit tests, then integration tests (which start their own throwaway servers on free
//     loopback ports in temp directories and stop them afterwards), scenarios, then the
//     browser tests of the dashboard page (test/e2e, chromium driven by playwright-core).
// Each step prints its name; the first failing step stops the run with its exit code.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages the integration tests use: binary to look for → package providing it. */
function requiredPackages() {
  const file = join(root, 'scripts', 'system-packages.txt');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => { const [binary, pkg] = l.split(/\s+/); return { binary, pkg: pkg ?? binary }; });
}

function hasBinary(binary) {
  if (binary.startsWith('/')) return existsSync(binary);
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a step; returns its exit status (0 on success). */
function attempt(title, cmd, args, options = {}) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`=== ${title} failed (exit ${r.status ?? r.signal}) after ${secs} s`);
    return r.status ?? 1;
  }
  console.log(`=== ${title} passed in ${secs} s`);
  return 0;
}

/** Runs a step; the first failing step ends the run with its exit status. */
function run(title, cmd, args, options = {}) {
  const status = attempt(title, cmd, args, options);
  if (status !== 0) process.exit(status);
}

const missing = requiredPackages().filter((p) => !hasBinary(p.binary));
if (missing.length > 0) {
  const pkgs = [...new Set(missing.map((p) => p.pkg))];
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (args) => (sudo.length ? ['sudo', ['apt-get', ...args]] : ['apt-get', args]);
  const [c1, a1] = apt(['update', '-qq']);
  run('apt-get update', c1, a1, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const [c2, a2] = apt(['install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
  run(`install ${pkgs.join(' ')}`, c2, a2, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Runs a step with its output collected; resolves to its title, exit status, output and seconds. */
function collect(title, cmd, args) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', (err) => chunks.push(Buffer.from(`${err.message}\n`)));
    child.on('close', (code, signal) => resolve({
      title, line: `${cmd} ${args.join(' ')}`, status: code ?? (signal ? 1 : 0), signal,
      output: Buffer.concat(chunks).toString('utf8'), secs: ((Date.now() - t0) / 1000).toFixed(1),
    }));
  });
}

/**
 * The static checks in two lanes at once, each lane's steps in turn: every check is one
 * single-threaded process, so on a 2-core machine the lanes take about the time of the longer
 * one instead of the sum (typecheck alone is about half of it). Each step's output is printed
 * whole once all have ended, in the order given; any failure ends the run with its exit status.
 */
async function runLanes(lanes) {
  const t0 = Date.now();
  const results = (await Promise.all(lanes.map(async (steps) => {
    const done = [];
    for (const [title, cmd, args] of steps) done.push(await collect(title, cmd, args));
    return done;
  }))).flat();
  let failed;
  for (const r of results) {
    console.log(`\n=== ${r.title}: ${r.line}`);
    if (r.output !== '') process.stdout.write(r.output);
    if (r.status !== 0) {
      console.error(`=== ${r.title} failed (exit ${r.signal ?? r.status}) after ${r.secs} s`);
      failed ??= r.status;
    } else {
      console.log(`=== ${r.title} passed in ${r.secs} s`);
    }
  }
  console.log(`=== static checks took ${((Date.now() - t0) / 1000).toFixed(1)} s together`);
  if (failed !== undefined) process.exit(failed);
}

const npx = 'npx';
await runLanes([
  [['typecheck', npx, ['tsc', '-p', 'tsconfig.json', '--noEmit']]],
  [
    ['lint', npx, ['eslint', '.']],
    ['architecture', 'npm', ['run', 'lint:architecture']],
    ['typecheck web', npx, ['tsc', '-p', 'web/tsconfig.json', '--noEmit']],
  ],
]);
const reports = mkdtempSync(join(tmpdir(), 'seamless-test-reports-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
function vitest(title, ...projects) {
  const out = join(reports, `${projects[0]}.json`);
  const selected = projects.flatMap((p) => ['--project', p]);
  const status = attempt(title, npx, ['vitest', 'run', ...selected, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + r.numTodoTests;
  }
  if (status !== 0) process.exit(status);
}
process.on('exit', () => {
  rmSync(reports, { recursive: true, force: true });
  // The plain closing line CI reads.
  console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
});
// unit runs in worker threads; unit-process holds the unit files that need a process of their own.
vitest('unit tests', 'unit', 'unit-process');
// integration runs two files at a time; integration-serial, the timing-dependent files, one at a time after them.
vitest('integration tests', 'integration', 'integration-serial');
// scenarios-parallel runs two files at a time; scenarios, the timing-dependent files, one at a time after them.
vitest('scenarios', 'scenarios-parallel', 'scenarios');
// The dashboard page in Debian's chromium (installed above from system-packages.txt) against real gateways.
vitest('browser tests', 'e2e');
console.log('\nall test suites passed');
