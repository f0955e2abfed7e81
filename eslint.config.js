// Lint of the whole tree, run by `npm test` (see package.json). Syntax-level rules only: the type
// check (tsc --noEmit) runs beside it, so type-aware linting would only double the time.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'docs/', '**/*.min.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      // Chinese text uses the ideographic space (U+3000) in strings and templates on purpose.
      'no-irregular-whitespace': ['error', { skipStrings: true, skipTemplates: true }],
    },
  },
  {
    // Command-line tools, tests, benches and browser code may print.
    files: ['**/*-cli.ts', '**/cli.ts', 'test/**', '**/bin/**', 'gateway/desk/**', 'gateway/operations/page/**'],
    rules: { 'no-console': 'off' },
  },
);
