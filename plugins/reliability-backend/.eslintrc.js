// Backstage's lint rules, plus the import boundaries of the feature folders:
// - a route file parses, guards, calls one service and answers: it never imports a store;
// - slos/ (counting, evaluation) never imports remediation/ (acting on alerts), which depends on it;
// - query parameters are read in one place (guards.query), which refuses objects and repeated values;
// - permissions are asked in two places: the route guards and EntityAccess;
// - config is read in one place, config/readReliabilityConfig.ts;
// - other features import slos/ only through slos/index.ts (wiring/ too: it builds the SLO stores with createSloStores);
// - no folder cycle, type-only imports included, and no side door into a folder with an index.ts:
//   node scripts/check-folder-cycles.mjs (import/no-cycle sees neither).
module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  settings: {
    'import/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    'import/resolver': {
      node: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.json'] },
    },
  },
  rules: { 'import/no-cycle': ['error', { ignoreExternal: true }] },
  restrictedSrcSyntax: [
    {
      selector: "ImportDeclaration[source.value='@backstage/config']",
      message:
        'Config is read once, in config/readReliabilityConfig.ts: take your part of ReliabilityConfig instead.',
    },
    {
      selector: "MemberExpression[property.name='query'][object.name='req']",
      message:
        'Read query parameters with guards.query(schema, req): it gives a 400 for objects and repeated values.',
    },
    {
      selector:
        "CallExpression[callee.property.name=/^authorize(Conditional)?$/][callee.object.property.name='permissions']",
      message:
        'Ask permissions through the route guards or EntityAccess (catalog/entityAccess.ts), not PermissionsService.',
    },
    {
      selector:
        "CallExpression[callee.property.name=/^authorize(Conditional)?$/][callee.object.name='permissions']",
      message:
        'Ask permissions through the route guards or EntityAccess (catalog/entityAccess.ts), not PermissionsService.',
    },
  ],
  overrides: [
    {
      // database/ keeps the migrations and row helpers: it imports no feature (wiring/ composes the stores)
      files: ['src/database/**'],
      excludedFiles: ['src/database/**/*.test.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: ['../*'],
                message:
                  'database/ imports no feature: build stores in wiring/.',
              },
            ],
          },
        ],
      },
    },
    {
      // other features reach slos/ through its front door, slos/index.ts
      files: ['src/**/*.ts'],
      excludedFiles: [
        'src/slos/**',
        'src/**/*.test.ts',
        'src/__tests__/**',
        'src/__testUtils__/**',
      ],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: ['**/slos/*'],
                message:
                  "Import slos/ through its front door ('../slos'), not its files.",
              },
            ],
          },
        ],
      },
    },
    {
      files: ['src/**/routes.ts', 'src/http/router.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: ['**/*Store', '**/*Store.ts', 'knex'],
                message:
                  'Route files call services; stores (and knex) stay behind them.',
              },
            ],
          },
        ],
      },
    },
    {
      files: ['src/slos/**'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: ['**/remediation', '**/remediation/**'],
                message:
                  'slos/ must not depend on remediation/: remediation reacts to SLO alerts, not the other way round.',
              },
            ],
          },
        ],
      },
    },
  ],
});
