// Backstage's lint rules, plus the import boundaries of the feature folders:
// - a route file parses, guards, calls one service and answers: it never imports a store;
// - slos/ (counting, evaluation) never imports remediation/ (acting on alerts), which depends on it;
// - query parameters are read in one place (guards.query), which refuses objects and repeated values.
module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  restrictedSrcSyntax: [
    {
      selector: "MemberExpression[property.name='query'][object.name='req']",
      message: 'Read query parameters with guards.query(schema, req): it gives a 400 for objects and repeated values.',
    },
  ],
  overrides: [
    {
      files: ['src/**/routes.ts', 'src/http/router.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ group: ['**/*Store', '**/*Store.ts', 'knex'], message: 'Route files call services; stores (and knex) stay behind them.' }] },
        ],
      },
    },
    {
      files: ['src/slos/**'],
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ group: ['**/remediation', '**/remediation/**'], message: 'slos/ must not depend on remediation/: remediation reacts to SLO alerts, not the other way round.' }] },
        ],
      },
    },
  ],
});
