/**
 * `npm run bench`: runs every bench/**\/*.bench.ts in its own process (node --expose-gc, so one
 * bench's heap and JIT state do not colour the next and the harness can force GC outside the
 * timings), in a fixed order, then prints a summary table of every recorded figure:
 * work | Seamless | baseline | ratio | goal | verdict.
 *
 *   npm run bench                              every bench
 *   npm run bench -- --filter gateway          only the benches whose path contains "gateway"
 *   npm run bench -- --json [file]             also write the figures as JSON (default bench/.out/bench-results.json)
 *
 * See docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRatio, formatValue } from './harness.js';
import type { BenchResult } from './harness.js';

const root = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv: readonly string[]): { filter: string | undefined; json: string | undefined } {
  let filter: string | undefined;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--filter') filter = argv[++i];
    else if (a === '--json') json = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : join(root, '.out', 'bench-results.json');
    else if (!a.startsWith('--')) filter = a;
    else {
      console.error(`unknown option ${a} (known: --filter <substring>, --json [file])`);
      process.exit(2);
    }
  }
  return { filter, json };
}

function find(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.bench.ts') ? [p] : [];
  });
}

function table(rows: readonly BenchResult[]): string {
  const header = ['work', 'Seamless', 'baseline', 'ratio', 'goal', 'verdict'];
  const cells = rows.map((r) => [
    r.work,
    formatValue(r.seamless, r.unit),
    r.baseline === null ? '—' : formatValue(r.baseline, r.unit),
    r.ratio === null ? '—' : formatRatio(r.ratio),
    r.goal ?? '—',
    r.met === null ? '' : r.met ? 'met' : 'MISSED',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const line = (row: readonly string[]): string => `| ${row.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

const { filter, json } = parseArgs(process.argv.slice(2));
const files = find(root).filter((f) => filter === undefined || relative(root, f).includes(filter));
const scratch = mkdtempSync(join(tmpdir(), 'seamless-bench-results-'));
const resultsFile = join(scratch, 'results.jsonl');
writeFileSync(resultsFile, '');
let failed = 0;
const started = Date.now();
try {
  for (const file of files) {
    console.log(`\n### ${relative(root, file)}`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_RESULTS_FILE: resultsFile },
    });
    if (r.status !== 0) {
      failed++;
      console.log(`### ${relative(root, file)} FAILED (exit ${r.status ?? r.signal})`);
    } else {
      console.log(`### done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  const rows = readFileSync(resultsFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as BenchResult);
  console.log(`\n## Summary (${files.length} benches in ${((Date.now() - started) / 1000).toFixed(0)} s${failed > 0 ? `, ${failed} FAILED` : ''})\n`);
  console.log(table(rows));
  const goals = rows.filter((r) => r.met !== null);
  console.log(`\n${goals.filter((r) => r.met === true).length} of ${goals.length} goals met`);
  if (json !== undefined) {
    const out = resolve(process.env.INIT_CWD ?? process.cwd(), json);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);
    console.log(`figures written to ${out}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failed > 0) process.exit(1);
