/**
 * `npm run bench`: runs every bench/**\/*.bench.ts in its own process (so one bench's heap and
 * JIT state do not colour the next), in a fixed order, and prints their figures.
 * `npm run bench -- provider` runs only the benches whose path contains "provider".
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2];

function find(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.bench.ts') ? [p] : [];
  });
}

const files = find(root).filter((f) => filter === undefined || f.includes(filter));
let failed = 0;
for (const file of files) {
  console.log(`\n### ${relative(root, file)}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`### ${relative(root, file)} FAILED (exit ${r.status ?? r.signal})`);
  } else {
    console.log(`### done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}
if (failed > 0) process.exit(1);
