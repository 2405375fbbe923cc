import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

/**
 * A permission service for test backends standing in for the portal policy of an entity-scoped write: the named
 * permissions are allowed to services and to `owner` only; everything else is allowed.
 */
export function ownersAndServices(owner: string, ...permissionNames: string[]) {
  return mockServices.permissions.mock({
    authorize: async (requests, { credentials }) =>
      requests.map(r => {
        const user = (credentials.principal as { userEntityRef?: string })
          .userEntityRef;
        if (permissionNames.includes(r.permission.name))
          return {
            result:
              !user || user === owner
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          };
        return { result: AuthorizeResult.ALLOW };
      }) as any,
    authorizeConditional: async requests =>
      requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
  }).factory;
}
