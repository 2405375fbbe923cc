import fs from 'fs';
import path from 'path';
import { reliabilityRoutes } from '@reliability-suite/plugin-reliability-common';
import { contractValidator } from '../__testUtils__/contract';
import { registeredRoutes } from '../__testUtils__/routeFiles';
import { generateOpenApiDocument, openApiPath } from './generate';

/**
 * The contract cannot drift: the committed openapi.json is the document generated from the registry, every route
 * the route files register is in the registry and the other way round, and every schema in the document compiles
 * as JSON Schema 2020-12. `UPDATE_OPENAPI=1` (`yarn openapi:generate`) writes the document again.
 */

const COMMITTED = path.join(__dirname, 'openapi.json');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const registryKeys = () =>
  reliabilityRoutes.map(r => `${r.method.toUpperCase()} ${r.path}`).sort();

describe('the OpenAPI contract', () => {
  const generated = generateOpenApiDocument();

  it('is committed as generated (yarn openapi:generate writes it)', () => {
    const text = `${JSON.stringify(generated, null, 2)}\n`;
    if (process.env.UPDATE_OPENAPI === '1') fs.writeFileSync(COMMITTED, text);
    expect(JSON.parse(fs.readFileSync(COMMITTED, 'utf8'))).toEqual(generated);
  });

  it('lists every route the route files register, and no other', () => {
    expect(registryKeys()).toEqual(registeredRoutes());
    expect(new Set(registryKeys()).size).toBe(reliabilityRoutes.length);
  });

  it('has one operation per route, with a schema for each path parameter', () => {
    const paths = generated.paths as Record<
      string,
      Record<string, { parameters?: { in: string; name: string }[] }>
    >;
    const ops = Object.entries(paths).flatMap(([p, item]) =>
      METHODS.filter(m => item[m]).map(m => ({ p, m, op: item[m] })),
    );
    expect(ops).toHaveLength(reliabilityRoutes.length);
    for (const route of reliabilityRoutes) {
      const op = paths[openApiPath(route.path)][route.method];
      const names = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map(
        m => m[1],
      );
      expect({
        route: route.path,
        params: (op.parameters ?? [])
          .filter(p => p.in === 'path')
          .map(p => p.name),
      }).toEqual({ route: route.path, params: names });
    }
  });

  it('compiles every schema it holds as JSON Schema 2020-12 (Ajv2020)', () => {
    expect(contractValidator(generated).compileAll()).toBeGreaterThan(
      reliabilityRoutes.length,
    );
  });
});
