import {
  BackstageCredentials,
  BackstageServicePrincipal,
  PermissionsService,
  PermissionsServiceRequestOptions,
} from '@backstage/backend-plugin-api';
import {
  AuthorizePermissionRequest,
  AuthorizePermissionResponse,
  AuthorizeResult,
  QueryPermissionRequest,
  QueryPermissionResponse,
} from '@backstage/plugin-permission-common';
import { reliabilityServiceDefaultPermissions } from '@reliability-suite/plugin-reliability-common';

const SUITE_PREFIX = 'reliability.';

/**
 * The suite's permission policy for service principals, in front of Backstage's permissions service.
 *
 * Backstage never asks the portal's permission policy about a service principal: it allows every permission the
 * token's access restrictions do not exclude, so any static token could correct budgets or start chaos. Here a
 * service may hold the suite's default service permissions (read, and report SLIs, load tests and changes), and any
 * other `reliability.*` permission only when its access restrictions name it. Users and permissions of other plugins
 * are passed through unchanged.
 */
export class ServicePrincipalPermissions implements PermissionsService {
  constructor(private readonly inner: PermissionsService) {}

  /** Whether the suite refuses the permission to these credentials before Backstage is asked. */
  static refuses(
    credentials: BackstageCredentials | undefined,
    permissionName: string,
  ): boolean {
    if (
      !credentials ||
      credentials.principal === null ||
      typeof credentials.principal !== 'object'
    )
      return false;
    const principal = credentials.principal as { type?: string };
    if (principal.type !== 'service') return false;
    if (
      !permissionName.startsWith(SUITE_PREFIX) ||
      reliabilityServiceDefaultPermissions.includes(permissionName)
    )
      return false;
    const granted = (principal as BackstageServicePrincipal).accessRestrictions
      ?.permissionNames;
    return !granted?.includes(permissionName);
  }

  authorize(
    requests: AuthorizePermissionRequest[],
    options: PermissionsServiceRequestOptions,
  ): Promise<AuthorizePermissionResponse[]> {
    return this.decide(requests, options, (rest, o) =>
      this.inner.authorize(rest, o),
    );
  }

  authorizeConditional(
    requests: QueryPermissionRequest[],
    options: PermissionsServiceRequestOptions,
  ): Promise<QueryPermissionResponse[]> {
    return this.decide(requests, options, (rest, o) =>
      this.inner.authorizeConditional(rest, o),
    );
  }

  private async decide<Q extends { permission: { name: string } }, A>(
    requests: Q[],
    options: PermissionsServiceRequestOptions,
    ask: (rest: Q[], options: PermissionsServiceRequestOptions) => Promise<A[]>,
  ): Promise<A[]> {
    const refused = requests.map(r =>
      ServicePrincipalPermissions.refuses(
        options.credentials,
        r.permission.name,
      ),
    );
    if (!refused.includes(true)) return ask(requests, options);
    const rest = requests.filter((_, i) => !refused[i]);
    const answers = rest.length ? await ask(rest, options) : [];
    let next = 0;
    return refused.map(r =>
      r ? ({ result: AuthorizeResult.DENY } as A) : answers[next++],
    );
  }
}
