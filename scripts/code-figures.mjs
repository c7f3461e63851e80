// Prints size figures for src/: files, lines per file, functions and their lengths, and the
// longest functions. Used to report the shape of the code before and after a renovation:
//   node scripts/code-figures.mjs [dir]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = process.argv[2] ?? 'src';

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function functionLengths(path) {
  const text = readFileSync(path, 'utf8');
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      found.push({ file: relative('.', path), name, lines: end - start + 1, line: start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { lines: text.split('\n').length, functions: found };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const files = listFiles(root).map((file) => ({ file, ...functionLengths(file) }));
const fileLines = files.map((f) => f.lines).sort((a, b) => a - b);
const functions = files.flatMap((f) => f.functions).sort((a, b) => b.lines - a.lines);
const fnLines = functions.map((f) => f.lines).sort((a, b) => a - b);

console.log(`files ${files.length}, lines ${fileLines.reduce((a, b) => a + b, 0)}`);
console.log(`lines per file: median ${percentile(fileLines, 0.5)}, p95 ${percentile(fileLines, 0.95)}, max ${fileLines.at(-1)}, over 400: ${fileLines.filter((n) => n > 400).length}`);
console.log(`functions ${functions.length}: median ${percentile(fnLines, 0.5)} lines, p95 ${percentile(fnLines, 0.95)}, max ${fnLines.at(-1)}, over 60 lines: ${fnLines.filter((n) => n > 60).length}, over 100: ${fnLines.filter((n) => n > 100).length}`);
console.log('longest functions:');
for (const f of functions.slice(0, 8)) console.log(`  ${f.lines} lines  ${f.file}:${f.line} ${f.name}`);
