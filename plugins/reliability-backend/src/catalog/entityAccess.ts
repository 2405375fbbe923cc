/* eslint-disable no-restricted-syntax -- one of the two places that ask PermissionsService */
import { AuthService, BackstageCredentials, PermissionsService } from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult, ResourcePermission } from '@backstage/plugin-permission-common';
import { CatalogAccess } from './CatalogAccess';

// who the caller is, and what is remembered per caller, live in callerMemory.ts (CatalogAccess uses them too)
export { CallerMemory, callerName } from './callerMemory';

/**
 * What the entity-scoped services (drills, capacity, changes, synthetics) ask before they read or write: that the
 * caller may see the entity, that a resource permission allows them on it, and whom to record as having done it.
 */
export class EntityAccess {
  constructor(private readonly access: CatalogAccess, private readonly permissions: PermissionsService, private readonly auth: AuthService) {}

  /** The entity's annotations, or 404 when it does not exist or the caller may not read it. */
  async annotations(entityRef: string, credentials: BackstageCredentials): Promise<Record<string, string>> {
    const annotations = await this.access.annotations(entityRef, credentials);
    if (!annotations) throw new NotFoundError(`No entity ${entityRef}`);
    return annotations;
  }

  /**
   * Before a write: 403 naming the permission unless it allows the caller on the entity, then the entity's
   * annotations (404 when it does not exist). The permission is decided first, so an unknown entity and one the
   * caller may not write look the same; the entity is then read with the plugin's own credentials, so a service
   * token restricted to this plugin (the SLI reporters') needs no access to the catalog to record a change.
   */
  async forWrite(permission: ResourcePermission<'catalog-entity'>, entityRef: string, credentials: BackstageCredentials): Promise<Record<string, string>> {
    await this.must(permission, entityRef, credentials);
    return this.annotations(entityRef, await this.auth.getOwnServiceCredentials());
  }

  /** 403 naming the permission (and `why`, when given) unless it allows the caller on the entity. */
  async must(permission: ResourcePermission<'catalog-entity'>, entityRef: string, credentials: BackstageCredentials, why?: string): Promise<void> {
    const [denied] = await this.denied(permission, [entityRef], credentials);
    if (denied) throw new NotAllowedError(`Missing permission ${permission.name} on ${entityRef}${why ? `: ${why}` : ''}`);
  }

  /** The entities, of several, on which the permission does not allow the caller: one permission request for all. */
  async denied(permission: ResourcePermission<'catalog-entity'>, entityRefs: string[], credentials: BackstageCredentials): Promise<string[]> {
    if (!entityRefs.length) return [];
    const decisions = await this.permissions.authorize(entityRefs.map(resourceRef => ({ permission, resourceRef })), { credentials });
    return entityRefs.filter((_, i) => decisions[i].result !== AuthorizeResult.ALLOW);
  }
}
