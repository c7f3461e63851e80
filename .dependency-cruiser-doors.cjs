/**
 * Door rules checked by `npm run lint` (over src/, test/ and bench/): a module of src/ imports
 * another folder only through that folder's door (`index.ts`), never one of its files; tests and
 * benches use `index.ts` or the folder's internal door (`internal.ts`), which no folder of src/
 * imports. The folder-level rules (direction, cycles) are in .dependency-cruiser.cjs.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'enter-folders-by-their-door',
      comment: 'Import another folder through its index.ts; its other files are private to it.',
      severity: 'error',
      from: { path: '^src/(engines/[^/]+|[^/]+)/' },
      to: {
        path: '^src/(engines/[^/]+|[^/]+)/',
        pathNot: ['^src/$1/', '^src/(engines/[^/]+|[^/]+)/(index|internal)\\.ts$'],
      },
    },
    {
      name: 'internal-doors-are-for-tests',
      comment: 'A folder\'s internal.ts re-exports what only its tests need; another src folder uses its index.ts.',
      severity: 'error',
      from: { path: '^src/(engines/[^/]+|[^/]+)/' },
      to: { path: '^src/(engines/[^/]+|[^/]+)/internal\\.ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'tests-enter-folders-by-their-doors',
      comment: 'Tests and benches import a folder through index.ts or internal.ts, never one of its files. '
        + 'cli has no internal door yet: its tests still import its files.',
      severity: 'error',
      from: { path: '^(test|bench)/' },
      to: {
        path: '^src/(engines/[^/]+|[^/]+)/',
        pathNot: ['^src/(engines/[^/]+|[^/]+)/(index|internal)\\.ts$', '^src/cli/'],
      },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
