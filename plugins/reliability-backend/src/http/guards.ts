import express from 'express';
import { z } from 'zod';
import { AuditorService, BackstageCredentials, BackstageUserPrincipal, HttpAuthService, PermissionsService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult, BasicPermission, ResourcePermission } from '@backstage/plugin-permission-common';
import { formatIssues, reliabilitySloReadPermission } from '@internal/plugin-reliability-common';
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
  parse<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.infer<T>;
  /** The caller's credentials, once they may read the suite (401/403 otherwise). */
  canRead(req: express.Request): Promise<BackstageCredentials>;
  /** The caller's credentials, users only (401 otherwise). */
  user(req: express.Request): Promise<BackstageCredentials<BackstageUserPrincipal>>;
  /** The caller's credentials, users or services. */
  caller(req: express.Request): Promise<BackstageCredentials>;
  /** Throws 403 unless the basic permission is allowed. */
  authorize(credentials: BackstageCredentials, permission: BasicPermission): Promise<void>;
  /** Whether a resource permission on a catalog entity allows the caller (owner-conditional in the portal). */
  allowedOn(credentials: BackstageCredentials, permission: ResourcePermission<'catalog-entity'>, entityRef: string): Promise<boolean>;
  /** Whether a resource permission could allow the caller on some entity (false: denied everywhere). */
  mayOnSome(credentials: BackstageCredentials, permission: ResourcePermission<'catalog-entity'>): Promise<boolean>;
  /** Which entity refs the caller may read in the catalog. */
  visible: CatalogAccess['filter'];
  /** Runs `fn` as one audit event: success with the meta it answers, or fail with its error (rethrown). */
  audited<T>(event: Parameters<AuditorService['createEvent']>[0], fn: () => Promise<{ result: T; meta?: Record<string, unknown> }>): Promise<T>;
  /** `:kind/:namespace/:name` path parameters, checked. */
  entityPath(params: Record<string, string>): { kind: string; namespace: string; name: string };
  /** `:namespace/:name` path parameters of an SLO, checked. */
  sloPath(params: Record<string, string>): { namespace: string; name: string };
  /** A positive integer path parameter. */
  positiveInt(raw: string, what: string, digits?: number): number;
}

export function createGuards(deps: { httpAuth: HttpAuthService; permissions: PermissionsService; auditor: AuditorService; access: CatalogAccess }): Guards {
  const { httpAuth, permissions, auditor, access } = deps;
  const readDecisions = new CallerMemory<boolean>(READ_DECISION_MS);
  const guards: Guards = {
    parse(schema, value, what) {
      const r = schema.safeParse(value);
      if (!r.success) throw new InputError(`Invalid ${what}: ${formatIssues(r.error)}`);
      return r.data;
    },
    async canRead(req) {
      const credentials = await httpAuth.credentials(req);
      // reads are the portal's busiest requests: a named caller's decision is remembered for READ_DECISION_MS (at most
      // 1,000 callers), so a repeated read asks the permission backend nothing (a changed policy shows within that time)
      const now = Date.now();
      let allow = readDecisions.get(credentials, now);
      if (allow === undefined) {
        const [decision] = await permissions.authorize([{ permission: reliabilitySloReadPermission }], { credentials });
        allow = decision.result === AuthorizeResult.ALLOW;
        readDecisions.set(credentials, allow, now);
      }
      if (!allow) throw new NotAllowedError(`Missing permission ${reliabilitySloReadPermission.name}`);
      return credentials;
    },
    user: req => httpAuth.credentials(req, { allow: ['user'] }),
    caller: req => httpAuth.credentials(req),
    async authorize(credentials, permission) {
      const [decision] = await permissions.authorize([{ permission }], { credentials });
      if (decision.result !== AuthorizeResult.ALLOW) throw new NotAllowedError(`Missing permission ${permission.name}`);
    },
    async allowedOn(credentials, permission, entityRef) {
      const [decision] = await permissions.authorize([{ permission, resourceRef: entityRef }], { credentials });
      return decision.result === AuthorizeResult.ALLOW;
    },
    async mayOnSome(credentials, permission) {
      const [decision] = await permissions.authorizeConditional([{ permission }], { credentials });
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
        throw new InputError('Invalid path: kind, namespace and name must be 1-253 letters, digits, -, _ or .');
      }
      return { kind, namespace, name };
    },
    sloPath(params) {
      const { namespace, name } = params;
      if (!NAME_RE.test(namespace) || !NAME_RE.test(name)) {
        throw new InputError('Invalid path: namespace and name must be 1-253 letters, digits, -, _ or .');
      }
      return { namespace, name };
    },
    positiveInt(raw, what, digits = 15) {
      if (raw.length > digits || raw.length === 0 || raw[0] === '0' || ![...raw].every(c => c >= '0' && c <= '9')) {
        throw new InputError(`${what}: must be a positive integer`);
      }
      return Number(raw);
    },
  };
  return guards;
}
