import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { readdirSync } from 'node:fs';

const folders = ['core', 'app', 'provider', 'operations', 'conformance', 'schema', 'backfill', 'sla', 'storage', 'sources', 'observability', 'gateway', 'cli', 'config', 'engines'];
// Each engine (src/engines/<engine>) is a folder of its own, entered through its index.ts; a new
// engine folder is picked up here without an edit.
const engines = readdirSync(new URL('./src/engines/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory()).map((entry) => entry.name);

export default tseslint.config(
  { ignores: ['dist/**', '.test-build/**', '.cli-build/**', 'node_modules/**', 'coverage/**', '.seamless/**', 'web/dist/**', 'web/.dist-*/**'] },
  js.configs.recommended,
  { files: ['**/*.{js,mjs}'], languageOptions: { globals: globals.node } },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: globals.node } },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use `as const` objects or string unions instead of enum.' },
        { selector: 'ExportAllDeclaration', message: 'List exports by name; no `export *`.' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Only a folder's index.ts is its door: no deep imports into another component folder.
  ...folders.map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: folders
            .filter((other) => other !== folder)
            .map((other) => (other === 'engines' ? {
              group: ['../engines/*/*', '../../engines/*/*', '!../engines/*/index.js', '!../../engines/*/index.js'],
              message: 'Import an engine through its index.ts door only (src/engines/<engine>/index.ts).',
            } : {
              group: [`../${other}/*`, `../../${other}/*`, `!../${other}/index.js`, `!../../${other}/index.js`],
              message: `Import ${other} through its index.ts door only.`,
            }))
            // One engine never reaches into another's files.
            .concat(folder === 'engines' ? engines.map((engine) => ({
              group: [`../${engine}/*`, `!../${engine}/index.js`],
              message: `Import the ${engine} engine through its index.ts door only.`,
            })) : [])
            // Dependencies point inward (ARCHITECTURE.md §2): only the CLI and the root use operations.
            .concat(folder === 'cli' || folder === 'app' || folder === 'operations' ? [] : [{
              group: ['../operations/*', '../../operations/*'],
              message: 'Only cli and app import operations; nothing inner depends on it.',
            }]),
        },
      ],
    },
  })),
);
