import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const folders = ['core', 'app', 'provider', 'operations', 'conformance', 'schema', 'backfill', 'sla', 'storage', 'sources', 'observability', 'gateway', 'cli', 'config'];

export default tseslint.config(
  { ignores: ['dist/**', '.test-build/**', 'node_modules/**', 'coverage/**', '.seamless/**', 'web/dist/**'] },
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
            .map((other) => ({
              group: [`../${other}/*`, `../../${other}/*`, `!../${other}/index.js`, `!../../${other}/index.js`],
              message: `Import ${other} through its index.ts door only.`,
            }))
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
