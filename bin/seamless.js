#!/usr/bin/env node
// Launcher: runs the TypeScript CLI (src/cli/main.ts) through tsx's ESM loader, from any working
// directory; tsx is resolved from this package, not from the caller's.
import process from 'node:process';
import { URL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv);
