/**
 * Door rule checked by `npm run lint`: a module imports another folder only through that
 * folder's door (`index.ts`; tests may also use `internal.ts`), never one of its files.
 * The folder-level rules (direction, cycles) are in .dependency-cruiser.cjs.
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
        pathNot: ['^src/$1/', '^src/(engines/[^/]+|[^/]+)/index\\.ts$'],
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
