/* eslint-disable no-restricted-syntax -- one of the two places that ask PermissionsService (and read req.query) */
import express from 'express';
import { z } from 'zod';
import {
  AuditorService,
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  formatIssues,
  reliabilitySloReadPermission,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { CallerMemory } from '../catalog/entityAccess';

const NAME_RE = /^[a-zA-Z0-9_.-]{1,253}$/;

/** How long a caller's read decision is remembered (as CatalogAccess remembers which entities it may read). */
const READ_DECISION_MS = 15_000;

/**
 * What every route file uses to parse and guard a request before it calls its service: parsing with the zod
 * schemas of -common (400 naming the field), authentication, permissions, catalog visibility and audit events.
 */
export interface Guards {
  /** Parses with a zod schema, or throws InputError `Invalid <what>: <field>: <rule>`. */
  parse<T extends z.ZodTypeAny>(
    schema: T,
    value: unknown,
    what: string,
  ): z.infer<T>;
  /**
   * The request's query parameters, parsed with a zod schema: the one place every route reads `req.query`. Each
   * parameter must be a single value; one given as an object (`limit[toString]=1`) or more than once (`limit=1&limit=2`)
   * gets a 400 naming it, unless the schema's field is an array.
   */
  query<T extends z.ZodTypeAny>(schema: T, req: express.Request): z.infer<T>;
  /** The caller's credentials, once they may read the suite (401/403 otherwise). */
  canRead(req: express.Request): Promise<BackstageCredentials>;
  /** The caller's credentials, users only (401 otherwise). */
  user(
    req: express.Request,
  ): Promise<BackstageCredentials<BackstageUserPrincipal>>;
  /** The caller's credentials, users or services. */
  caller(req: express.Request): Promise<BackstageCredentials>;
  /** Throws 403 naming the permission (and `why`, when given) unless the basic permission is allowed. */
  authorize(
    credentials: BackstageCredentials,
    permission: BasicPermission,
    why?: string,
  ): Promise<void>;
  /** Whether a resource permission on a catalog entity allows the caller (owner-conditional in the portal). */
  allowedOn(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
  ): Promise<boolean>;
  /** Whether a resource permission could allow the caller on some entity (false: denied everywhere). */
  mayOnSome(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
  ): Promise<boolean>;
  /** Which entity refs the caller may read in the catalog. */
  visible: CatalogAccess['filter'];
  /** Runs `fn` as one audit event: success with the meta it answers, or fail with its error (rethrown). */
  audited<T>(
    event: Parameters<AuditorService['createEvent']>[0],
    fn: () => Promise<{ result: T; meta?: Record<string, unknown> }>,
  ): Promise<T>;
  /** `:kind/:namespace/:name` path parameters, checked. */
  entityPath(params: Record<string, string>): {
    kind: string;
    namespace: string;
    name: string;
  };
  /** `:namespace/:name` path parameters of an SLO, checked. */
  sloPath(params: Record<string, string>): { namespace: string; name: string };
  /** A positive integer path parameter. */
  positiveInt(raw: string, what: string, digits?: number): number;
}

export function createGuards(deps: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  access: CatalogAccess;
}): Guards {
  const { httpAuth, permissions, auditor, access } = deps;
  const readDecisions = new CallerMemory<boolean>(READ_DECISION_MS);
  const guards: Guards = {
    parse(schema, value, what) {
      const r = schema.safeParse(value);
      if (!r.success)
        throw new InputError(`Invalid ${what}: ${formatIssues(r.error)}`);
      return r.data;
    },
    query(schema, req) {
      return guards.parse(schema, scalarQuery(schema, req.query), 'query');
    },
    async canRead(req) {
      const credentials = await httpAuth.credentials(req);
      // reads are the portal's busiest requests: a named caller's decision is remembered for READ_DECISION_MS (at most
      // 1,000 callers), so a repeated read asks the permission backend nothing (a changed policy shows within that time)
      const now = Date.now();
      let allow = readDecisions.get(credentials, now);
      if (allow === undefined) {
        const [decision] = await permissions.authorize(
          [{ permission: reliabilitySloReadPermission }],
          { credentials },
        );
        allow = decision.result === AuthorizeResult.ALLOW;
        readDecisions.set(credentials, allow, now);
      }
      if (!allow)
        throw new NotAllowedError(
          `Missing permission ${reliabilitySloReadPermission.name}`,
        );
      return credentials;
    },
    user: req => httpAuth.credentials(req, { allow: ['user'] }),
    caller: req => httpAuth.credentials(req),
    async authorize(credentials, permission, why) {
      const [decision] = await permissions.authorize([{ permission }], {
        credentials,
      });
      if (decision.result !== AuthorizeResult.ALLOW)
        throw new NotAllowedError(
          `Missing permission ${permission.name}${why ? `: ${why}` : ''}`,
        );
    },
    async allowedOn(credentials, permission, entityRef) {
      const [decision] = await permissions.authorize(
        [{ permission, resourceRef: entityRef }],
        { credentials },
      );
      return decision.result === AuthorizeResult.ALLOW;
    },
    async mayOnSome(credentials, permission) {
      const [decision] = await permissions.authorizeConditional(
        [{ permission }],
        { credentials },
      );
      return decision.result !== AuthorizeResult.DENY;
    },
    visible: (refs, credentials) => access.filter(refs, credentials),
    async audited(event, fn) {
      const audit = await auditor.createEvent(event);
      try {
        const { result, meta } = await fn();
        await audit.success(meta ? { meta: meta as any } : undefined);
        return result;
      } catch (error) {
        await audit.fail({ error: error as Error });
        throw error;
      }
    },
    entityPath(params) {
      const { kind, namespace, name } = params;
      if (![kind, namespace, name].every(p => NAME_RE.test(p))) {
        throw new InputError(
          'Invalid path: kind, namespace and name must be 1-253 letters, digits, -, _ or .',
        );
      }
      return { kind, namespace, name };
    },
    sloPath(params) {
      const { namespace, name } = params;
      if (!NAME_RE.test(namespace) || !NAME_RE.test(name)) {
        throw new InputError(
          'Invalid path: namespace and name must be 1-253 letters, digits, -, _ or .',
        );
      }
      return { namespace, name };
    },
    positiveInt(raw, what, digits = 15) {
      if (
        raw.length > digits ||
        raw.length === 0 ||
        raw[0] === '0' ||
        ![...raw].every(c => c >= '0' && c <= '9')
      ) {
        throw new InputError(`${what}: must be a positive integer`);
      }
      return Number(raw);
    },
  };
  return guards;
}

/** A field's schema with its optional, default, nullable and effects wrappers taken off. */
function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable)
      s = s.unwrap();
    else if (s instanceof z.ZodDefault) s = s.removeDefault();
    else if (s instanceof z.ZodEffects) s = s.innerType();
    else break;
  }
  return s;
}

/** Whether the query schema's field `key` takes a list (`?key=a&key=b`). */
function takesList(schema: z.ZodTypeAny, key: string): boolean {
  const object = unwrap(schema);
  if (!(object instanceof z.ZodObject)) return false;
  const field = (object.shape as Record<string, z.ZodTypeAny>)[key];
  if (!field) return false;
  const inner = unwrap(field);
  if (inner instanceof z.ZodArray) return true;
  return (
    inner instanceof z.ZodUnion &&
    (inner.options as z.ZodTypeAny[]).some(o => unwrap(o) instanceof z.ZodArray)
  );
}

/** A parameter name as it may appear in a message: the caller's own text, shortened. */
const shown = (key: string) => (key.length > 60 ? `${key.slice(0, 60)}…` : key);

/**
 * The query as the schema may read it: every value a string, or a list of strings where the schema takes a list.
 * Express's query parser makes objects of `a[b]=1` and lists of `a=1&a=2`; neither may reach a schema that coerces
 * (String() of such an object throws, and a list would be read as its first value or joined).
 */
function scalarQuery(
  schema: z.ZodTypeAny,
  query: unknown,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (query === null || typeof query !== 'object') return out;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    if (typeof value === 'string') {
      out[key] = value;
    } else if (Array.isArray(value)) {
      if (!takesList(schema, key))
        throw new InputError(
          `Invalid query: ${shown(
            key,
          )}: must be given once (a single value, not a list)`,
        );
      if (!value.every((v): v is string => typeof v === 'string'))
        throw new InputError(
          `Invalid query: ${shown(
            key,
          )}: each value must be a plain value, not an object`,
        );
      out[key] = value;
    } else {
      throw new InputError(
        `Invalid query: ${shown(
          key,
        )}: must be a single value, not an object (${shown(key)}[...]=)`,
      );
    }
  }
  return out;
}
