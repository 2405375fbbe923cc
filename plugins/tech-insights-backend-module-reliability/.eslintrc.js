// Backstage's lint rules, and no import cycles between the package's files (import/no-cycle; it resolves .ts/.tsx).
module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  settings: {
    'import/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    'import/resolver': {
      node: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.json'] },
    },
  },
  rules: { 'import/no-cycle': ['error', { ignoreExternal: true }] },
});
