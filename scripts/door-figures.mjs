// Prints the width of each folder door (ARCHITECTURE.md §2): for src/<folder>/index.ts and
// src/engines/<engine>/index.ts, how many names it exports and who imports them from outside the
// folder: other src folders (src/index.ts, the public entry, counts as one), only tests/bench/scripts,
// or nobody. Internal doors (internal.ts, for tests) are listed with the same columns.
//   node scripts/door-figures.mjs [--names]     (--names lists the test-only and unused names)
import { readdirSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const showNames = process.argv.includes('--names');
const root = process.cwd();
const config = ts.getParsedCommandLineOfConfigFile(resolve(root, 'tsconfig.json'), {}, {
  ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new TypeError(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
});
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();
const rel = (file) => relative(root, file).split('\\').join('/');

/** The folder a src file belongs to (`src/engines/duckdb`, `src/core`, or `src` for src/index.ts). */
function folderOf(path) {
  const parts = path.split('/');
  if (parts[0] !== 'src') return undefined;
  if (parts.length === 2) return 'src';
  if (parts[1] === 'engines' && parts.length > 3) return `src/engines/${parts[2]}`;
  return `src/${parts[1]}`;
}

const folders = readdirSync('src', { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => (e.name === 'engines'
  ? readdirSync('src/engines', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `src/engines/${d.name}`)
  : [`src/${e.name}`]));
const doors = folders.flatMap((folder) => ['index.ts', 'internal.ts'].map((name) => join(folder, name)).filter((p) => existsSync(p)));

const exported = new Map(); // door path -> Set of names
for (const door of doors) {
  const source = program.getSourceFile(resolve(root, door));
  const symbol = source && checker.getSymbolAtLocation(source);
  exported.set(door, new Set(symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : []));
}

const users = new Map(doors.map((door) => [door, new Map()])); // door -> name -> Set of 'src' | 'test'
function record(door, names, kind) {
  const byName = users.get(door);
  for (const name of names) {
    if (!byName.has(name)) byName.set(name, new Set());
    byName.get(name).add(kind);
  }
}

for (const source of program.getSourceFiles()) {
  const path = rel(source.fileName);
  if (path.startsWith('node_modules/') || path.startsWith('..')) continue;
  const from = folderOf(path);
  const kind = from === undefined ? 'test' : 'src';
  for (const statement of source.statements) {
    if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) || !statement.moduleSpecifier) continue;
    const target = checker.getSymbolAtLocation(statement.moduleSpecifier)?.valueDeclaration;
    if (!target || !ts.isSourceFile(target)) continue;
    const door = rel(target.fileName);
    if (!users.has(door) || folderOf(door) === from) continue;
    let names = [];
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.push('default');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names = [...exported.get(door)];
      else if (bindings) names.push(...bindings.elements.map((e) => (e.propertyName ?? e.name).text));
    } else if (!statement.exportClause || ts.isNamespaceExport(statement.exportClause)) {
      names = [...exported.get(door)];
    } else {
      names = statement.exportClause.elements.map((e) => (e.propertyName ?? e.name).text);
    }
    record(door, names, kind);
  }
}

const total = { exported: 0, src: 0, tests: 0, nobody: 0 };
console.log('door                                  exported  other-src  tests-only  nobody');
for (const door of doors) {
  const byName = users.get(door);
  const names = [...exported.get(door)];
  const src = names.filter((n) => byName.get(n)?.has('src'));
  const tests = names.filter((n) => byName.has(n) && !byName.get(n).has('src'));
  const nobody = names.filter((n) => !byName.has(n));
  console.log(`${door.padEnd(38)}${String(names.length).padStart(8)}${String(src.length).padStart(11)}${String(tests.length).padStart(12)}${String(nobody.length).padStart(8)}`);
  if (showNames && tests.length > 0) console.log(`    tests only: ${tests.join(', ')}`);
  if (showNames && nobody.length > 0) console.log(`    nobody: ${nobody.join(', ')}`);
  if (door.endsWith('index.ts')) {
    total.exported += names.length; total.src += src.length; total.tests += tests.length; total.nobody += nobody.length;
  }
}
console.log(`index.ts doors: ${total.exported} names exported, ${total.src} used by other src folders, ${total.tests} only by tests/bench, ${total.nobody} by nobody outside the folder`);
