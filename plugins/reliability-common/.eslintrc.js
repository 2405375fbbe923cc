// Backstage's lint rules, no import cycles between files (import/no-cycle), and the layers of -common, bottom up:
//   math/     pure numbers: imports nothing of the package outside math/
//   model/    shared vocabulary (ids, params, results, pagination): math/ and model/ only
//   support   csv/, format/, matchers/, redaction/, template/: no openslo/ and no feature folder
//   openslo/  the SLO loaders behind parseSlo: no feature folder
//   every other folder is a feature (alerts/, chaos/, synthetics/, …), with its api.ts where it has one; a feature
//   imports the layers below it, never another feature.
//   openapi/  the REST API's contract (the route registry): on top, it imports every feature's schemas; nothing
//             imports it.
// A lower layer never imports a higher one, so the folders cannot form a cycle across layers.
const fs = require('fs');
const path = require('path');

const folders = fs
  .readdirSync(path.join(__dirname, 'src'), { withFileTypes: true })
  .filter(d => d.isDirectory() && !d.name.startsWith('__'))
  .map(d => d.name);
const SUPPORT = ['csv', 'format', 'matchers', 'redaction', 'template'];
const LAYERS = ['math', 'model', 'support', 'openslo', 'feature', 'contract'];
const layerOf = folder => {
  if (folder === 'math') return 0;
  if (folder === 'model') return 1;
  if (SUPPORT.includes(folder)) return 2;
  if (folder === 'openapi') return 5;
  return folder === 'openslo' ? 3 : 4;
};
// the factory's own patterns, which an override of no-restricted-imports would otherwise drop
const FACTORY_PATTERNS = [
  '*.stories*',
  '*.test*',
  '**/__testUtils__/**',
  '**/__mocks__/**',
];

/**
 * A folder's files may import their own folder and the layers below it (support folders each other), never above;
 * a feature folder no other feature folder.
 */
const layerRule = folder => {
  const above = folders.filter(
    f =>
      f !== folder &&
      layerOf(f) >= layerOf(folder) &&
      !(layerOf(f) === 2 && layerOf(folder) === 2),
  );
  return {
    files: [`src/${folder}/**`],
    excludedFiles: ['**/*.test.*'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['..', '../index'].map(name => ({
            name,
            message:
              "Inside -common, import the file, not the package's index.",
          })),
          patterns: [
            { group: FACTORY_PATTERNS },
            ...(above.length === 0
              ? []
              : [
                  {
                    group: above.flatMap(f => [`../${f}`, `../${f}/**`]),
                    message:
                      layerOf(folder) === 4
                        ? `${folder}/ is a feature of -common: it imports the layers below (math, model, support, openslo), never another feature (see .eslintrc.js): move what both need down.`
                        : `${folder}/ is in the ${
                            LAYERS[layerOf(folder)]
                          } layer of -common, below ${above
                            .map(f => `${f}/`)
                            .join(
                              ' ',
                            )} (see .eslintrc.js): move what it needs down, or the function up.`,
                  },
                ]),
          ],
        },
      ],
    },
  };
};

module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  settings: {
    'import/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    'import/resolver': {
      node: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.json'] },
    },
  },
  rules: { 'import/no-cycle': ['error', { ignoreExternal: true }] },
  overrides: folders.map(layerRule),
});
