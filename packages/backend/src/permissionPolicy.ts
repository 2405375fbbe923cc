import { createBackendModule } from '@backstage/backend-plugin-api';
import { AuthorizeResult, isPermission, PolicyDecision } from '@backstage/plugin-permission-common';
import { PermissionPolicy, PolicyQuery, PolicyQueryUser } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { catalogConditions, createCatalogConditionalDecision } from '@backstage/plugin-catalog-backend/alpha';
import { reliabilityRemediationExecutePermission, reliabilityRunbookUpdatePermission } from '@internal/plugin-reliability-common';

/**
 * The portal's policy: everything is allowed, except running a remediation by hand and editing a runbook, which
 * only the owners of the entity may do (the catalog's isEntityOwner condition against the user's ownership refs).
 */
export class ReliabilityPortalPolicy implements PermissionPolicy {
  async handle(request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    if (isPermission(request.permission, reliabilityRemediationExecutePermission) || isPermission(request.permission, reliabilityRunbookUpdatePermission)) {
      return createCatalogConditionalDecision(
        request.permission,
        catalogConditions.isEntityOwner({ claims: user?.info.ownershipEntityRefs ?? [] }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'reliability-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new ReliabilityPortalPolicy());
      },
    });
  },
});
