import { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import {
  ReliabilityRoute,
  reliabilityErrorBodySchema,
  reliabilityRoutes,
} from '@reliability-suite/plugin-reliability-common';

/**
 * The OpenAPI 3.1 document of the reliability API, generated from the route registry of -common
 * (`reliabilityRoutes`): each route's path parameters, query, body and answers come from the zod schemas the
 * route files parse with, converted by zod-to-json-schema. The committed `openapi.json` beside this file is this
 * document (openapi.test.ts fails when they differ; `yarn openapi:generate` in the package writes it again, formatted by prettier), and
 * `GET /api/reliability/openapi.json` serves it.
 */

/** A JSON Schema object (a plain JSON value). */
type JsonSchema = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: the message names the field and the rule',
  401: 'Not authenticated (or a wrong secret, token or signature)',
  403: 'Not allowed: the message names the missing permission',
  404: 'Not found (or a receiver that is not configured, naming the key that turns it on)',
  409: 'Conflict with the current state',
  413: 'Too large: more than the documented limit',
  422: 'Unprocessable: an Idempotency-Key sent before with another body',
  429: 'Too many requests',
};

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 uses), self-contained (no $ref). */
export function jsonSchemaOf(
  schema: z.ZodTypeAny,
  io: 'input' | 'output',
): JsonSchema {
  const out = zodToJsonSchema(schema, {
    target: 'jsonSchema7',
    $refStrategy: 'none',
    effectStrategy: 'input',
    pipeStrategy: io,
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** `/slos/:namespace/:name` as OpenAPI writes it: `/slos/{namespace}/{name}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The operation's id: `get /slos/:namespace/:name` -> `getSlosByNamespaceByName`. */
function operationId(route: ReliabilityRoute): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map(part => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .join('-')
    .replace(/\.json$/, '-json')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return (
    route.method + words.map(w => w[0].toUpperCase() + w.slice(1)).join('')
  );
}

/** The object schema a query schema stands on (its refinements and defaults taken off). */
function queryObject(schema: z.ZodTypeAny): z.AnyZodObject | undefined {
  let s: z.ZodTypeAny = schema;
  for (let i = 0; i < 10; i++) {
    if (s instanceof z.ZodObject) return s;
    if (s instanceof z.ZodEffects) s = s.innerType();
    else if (s instanceof z.ZodOptional || s instanceof z.ZodDefault)
      s = s._def.innerType;
    else return undefined;
  }
  return undefined;
}

function parameters(route: ReliabilityRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  const pathNames = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map(
    m => m[1],
  );
  for (const name of pathNames) {
    const schema = route.params?.[name];
    if (!schema)
      throw new Error(`${route.method} ${route.path}: no schema for :${name}`);
    out.push({
      name,
      in: 'path',
      required: true,
      schema: jsonSchemaOf(schema, 'input'),
    });
  }
  if (route.query) {
    const object = queryObject(route.query);
    if (!object)
      throw new Error(
        `${route.method} ${route.path}: the query schema is not an object`,
      );
    for (const [name, field] of Object.entries(
      object.shape as Record<string, z.ZodTypeAny>,
    )) {
      // an optional parameter is one that is not `required`; its schema is the value's when given
      let inner: z.ZodTypeAny = field;
      while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault)
        inner = inner._def.innerType;
      const schema = jsonSchemaOf(inner, 'input');
      if (field instanceof z.ZodDefault)
        schema.default = field._def.defaultValue();
      const description = field.description ?? inner.description;
      out.push({
        name,
        in: 'query',
        required: !field.isOptional(),
        ...(description ? { description } : {}),
        schema,
        ...(schema.type === 'array' ? { style: 'form', explode: true } : {}),
      });
    }
  }
  return out;
}

function response(status: number, route: ReliabilityRoute): JsonSchema {
  const r = route.responses[status];
  const type = r.contentType ?? 'application/json';
  if (type === '') return { description: r.description };
  const content: JsonSchema = {};
  for (const t of type.split(', ')) {
    let schema: JsonSchema = { type: 'string' };
    if (t === 'application/json')
      schema = r.schema ? jsonSchemaOf(r.schema, 'output') : {};
    else if (t === 'image/png')
      schema = { type: 'string', contentMediaType: 'image/png' };
    content[t] = { schema };
  }
  return { description: r.description, content };
}

function operation(route: ReliabilityRoute): JsonSchema {
  const responses: JsonSchema = {};
  for (const status of Object.keys(route.responses).map(Number))
    responses[String(status)] = response(status, route);
  for (const status of route.errors)
    responses[String(status)] = { $ref: `#/components/responses/${status}` };
  const params = parameters(route);
  const op: JsonSchema = {
    operationId: operationId(route),
    tags: [route.feature],
    summary: route.summary,
    'x-reliability-auth': route.auth,
    security:
      route.auth === 'public' || route.auth === 'self'
        ? []
        : [{ backstageToken: [] }],
    ...(params.length ? { parameters: params } : {}),
    responses,
  };
  if (route.body) {
    const accepts =
      route.body.safeParse(undefined).success ||
      // POST /chaos/:id/abort reads a missing body as {}
      (route.path === '/chaos/:id/abort' && route.body.safeParse({}).success);
    op.requestBody = {
      required: !accepts,
      content: {
        [route.bodyType ?? 'application/json']: {
          schema: jsonSchemaOf(route.body, 'input'),
        },
      },
    };
  }
  return op;
}

/** The OpenAPI 3.1 document of the given routes (every route of the API unless given). */
export function generateOpenApiDocument(
  routes: readonly ReliabilityRoute[] = reliabilityRoutes,
): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const statuses = new Set<number>();
  for (const route of routes) {
    const p = openApiPath(route.path);
    paths[p] ??= {};
    if (paths[p][route.method])
      throw new Error(`${route.method} ${route.path} is listed twice`);
    paths[p][route.method] = operation(route);
    route.errors.forEach(s => statuses.add(s));
  }
  const responses: Record<string, JsonSchema> = {};
  for (const status of [...statuses].sort())
    responses[String(status)] = {
      description: STATUS_TEXT[status] ?? `Error ${status}`,
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/Error' } },
      },
    };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Reliability API',
      version: '1',
      description:
        "The reliability suite's REST API (SLOs, error budgets, alerts, remediation, runbooks, incidents, chaos, drills, capacity, changes, synthetics and the deploy gate). Generated from the route registry of @reliability-suite/plugin-reliability-common; the routes parse with the same zod schemas, so a request this document rejects is answered 400, naming the field and the rule.",
    },
    servers: [{ url: '/api/reliability' }],
    tags: [...new Set(routes.map(r => r.feature))].map(name => ({ name })),
    paths,
    components: {
      securitySchemes: {
        backstageToken: {
          type: 'http',
          scheme: 'bearer',
          description: "A Backstage user's or service's token",
        },
      },
      schemas: {
        Error: jsonSchemaOf(reliabilityErrorBodySchema, 'output'),
      },
      responses,
    },
  };
}
