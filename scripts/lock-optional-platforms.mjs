#!/usr/bin/env node
// The npm registry reachable here lacks some platform builds that packages list as optional
// dependencies (e.g. @duckdb/node-bindings-darwin-arm64). `npm install` then leaves them out of
// package-lock.json, and `npm ci` refuses the lock as "out of sync". This script puts the missing
// entries back, marked optional with their os/cpu/libc read from the package name, so `npm ci`
// skips them on this platform without fetching. Run it after any `npm install` that rewrites the
// lock: `node scripts/lock-optional-platforms.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const PLATFORM = /-(darwin|linux|win32)-(x64|arm64)(-(musl))?$/;
let added = 0;
for (const [, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const m = PLATFORM.exec(name);
    if (packages[key] !== undefined || m === null) continue;
    packages[key] = {
      version,
      cpu: [m[2]],
      ...(m[1] === 'linux' ? { libc: [m[4] ?? 'glibc'] } : {}),
      license: entry.license,
      optional: true,
      os: [m[1]],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} optional platform entr${added === 1 ? 'y' : 'ies'} added`);
