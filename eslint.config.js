// Lint of the whole tree, run by `npm test` (see package.json). Syntax-level rules only: the type
// check (tsc --noEmit) runs beside it, so type-aware linting would only double the time.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * One layer's rule: its files may not import from the named folders (matched as a path segment of the
 * import, relative or not). `except`: files still doing it, each named in the report of the issue that moves it.
 */
function layer(files, forbidden, why, except = []) {
  return [{
    files,
    ignores: except,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: `(^|/)(${forbidden.join('|')})/`, message: why }] }] },
  }];
}

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
    // A parsed document is read by its schema, never asserted to be one: `JSON.parse(text) as T` lets any
    // stored or received text through as a T. Tests may still assert the shapes of their own fixtures.
    files: ['gateway/**', 'adapters/**', 'schemas/**'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "TSAsExpression > CallExpression.expression[callee.object.name='JSON'][callee.property.name='parse']", message: 'JSON.parse(…) as T: read the text by its zod schema (safeParse) instead' },
        { selector: "TSTypeAssertion > CallExpression.expression[callee.object.name='JSON'][callee.property.name='parse']", message: '<T>JSON.parse(…): read the text by its zod schema (safeParse) instead' },
        { selector: "TSAsExpression > AwaitExpression > CallExpression[callee.property.name='json']", message: '(await response.json()) as T: read the answer by its zod schema (safeParse) instead' },
        // The namespace import lets a bundler keep only the schema kinds used: `{ z }` brings all of zod, every locale
        // included, into the desk's script (gateway/desk/assets.ts bundles the schemas it reads answers with).
        { selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']", message: "import * as z from 'zod' (the namespace import bundles only what is used)" },
      ],
    },
  },
  // Layers, bottom up: schemas (the contract) < engine < ledger (with its documents) < service, rosters < http, stream, desk,
  // operations < adapters < the composition (main.ts, parts.ts, storage.ts). A module imports its own layer or
  // those below it, never above.
  ...layer(['schemas/**'], ['gateway', 'adapters'], 'schemas/ is the contract: it imports nothing of the gateway'),
  ...layer(['gateway/engine/**'], ['ledger', 'service', 'rosters', 'http', 'stream', 'desk', 'operations', 'programmes', 'adapters'], 'the engine is pure: it imports schemas and itself only'),
  ...layer(['gateway/ledger/**'], ['service', 'rosters', 'http', 'stream', 'desk', 'operations', 'adapters'], 'the books are below the service and everything that uses them'),
  ...layer(['gateway/service/**'], ['rosters', 'http', 'stream', 'desk', 'operations', 'adapters'], 'the service is below its doors (HTTP, Kafka) and the parts'),
  ...layer(['gateway/rosters/**'], ['service', 'http', 'stream', 'desk', 'operations', 'adapters'], 'roster loading is beside the service, below its doors'),
  ...layer(['gateway/http/**', 'gateway/stream/**', 'gateway/desk/**', 'gateway/operations/**'], ['adapters'], 'the core names no adapter: adapters are parts that main.ts starts'),
  {
    // Command-line tools, tests, benches and browser code may print.
    files: ['**/*-cli.ts', '**/cli.ts', 'test/**', '**/bin/**', 'gateway/desk/**', 'gateway/operations/page/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The launcher of the command-line tools is plain JavaScript run by node (it starts before any TypeScript loader).
    files: ['gateway/launch.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
);
