/**
 * Architecture rules checked by `npm run lint` (dependency-cruiser). The folder graph of src/
 * must follow ARCHITECTURE.md §2: dependencies point inward,
 *   cli → app → (gateway, provider, engines, operations) → (backfill, conformance, sla, sources,
 *   schema, storage) → core,
 * with observability and config used by all and using only core; no folder cycle; and a
 * folder is entered through its door (index.ts, or internal.ts for tests), never a deep import.
 * Folders are the first level of src/, and each engine (src/engines/<name>) is its own folder.
 */
const FOLDER = '^src/(engines/[^/]+|[^/]+)';
const OUTER = '^src/(cli|app|gateway|provider|engines|operations)(/|$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'Folders form a directed graph: no folder reaches itself through its imports.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-innermost',
      comment: 'core depends on nothing else in src/.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'config-and-observability-use-only-core',
      comment: 'config and observability are used by all and use only core (and each other).',
      severity: 'error',
      from: { path: '^src/(config|observability)/' },
      to: { path: '^src/', pathNot: '^src/(core|config|observability)/' },
    },
    {
      name: 'inner-folders-do-not-reach-out',
      comment: 'backfill, conformance, sla, sources, schema and storage never import an outer folder.',
      severity: 'error',
      from: { path: '^src/(backfill|conformance|sla|sources|schema|storage)/' },
      to: { path: OUTER },
    },
    {
      name: 'storage-is-ports-only',
      comment: 'storage declares ports; it never reaches the folders that use them.',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: { path: '^src/(backfill|sources|conformance)/' },
    },
    {
      name: 'engines-serve-ports',
      comment: 'engines implement ports of inner folders; they never import the read path, the gateway, the root or the CLI.',
      severity: 'error',
      from: { path: '^src/engines/' },
      to: { path: '^src/(cli|app|gateway|provider|operations)/' },
    },
    {
      name: 'engines-are-independent',
      comment: 'an engine never imports another engine; what they share is a port of an inner folder.',
      severity: 'error',
      from: { path: '^src/engines/([^/]+)/' },
      to: { path: '^src/engines/', pathNot: '^src/engines/$1/' },
    },
    {
      name: 'read-path-and-gateway-use-ports-not-engines',
      comment: 'provider and gateway see storage through its ports; only app opens engines.',
      severity: 'error',
      from: { path: '^src/(provider|gateway)/' },
      to: { path: '^src/(engines|app|cli)/' },
    },
    {
      name: 'provider-below-gateway',
      comment: 'the read path never imports the HTTP layer or the operations generator.',
      severity: 'error',
      from: { path: '^src/provider/' },
      to: { path: '^src/(gateway|operations)/' },
    },
    {
      name: 'only-cli-and-app-use-operations',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|app|operations)/' },
      to: { path: '^src/operations/' },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'app-is-below-cli-only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|app)/|^src/index\\.ts$' },
      to: { path: '^src/app/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    collapse: FOLDER,
  },
};
