import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  isPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  reliabilityCapacityRecordPermission,
  reliabilityChangesRecordPermission,
  reliabilityChaosUpdatePermission,
  reliabilityDrillsUpdatePermission,
  reliabilityEventsIngestPermission,
  reliabilityRemediationExecutePermission,
  reliabilityRunbookUpdatePermission,
  reliabilitySloCorrectPermission,
  reliabilitySyntheticsUpdatePermission,
} from '@reliability-suite/plugin-reliability-common';

/**
 * The portal's policy for users. Reading is open to every signed-in user, and so is working incidents (anyone may
 * declare one). Everything that changes an entity's reliability record belongs to its owners (the catalog's
 * isEntityOwner condition against the user's ownership refs): running a remediation by hand, editing a runbook,
 * writing a chaos experiment (approving one is open to every user but its author, whom the service refuses), correcting an SLO's budget, recording drills, load tests and changes,
 * defining synthetic journeys, and ingesting SLI events. Importing the organisation's registries is open to users.
 *
 * Backstage does not ask this policy about service principals (external access tokens, other plugins): the suite
 * lets them read and report SLIs, load tests and changes, and nothing else unless their token's access restrictions
 * name the permission. A request with no principal at all is refused.
 */
export class ReliabilityPortalPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.DENY };
    if (
      isPermission(request.permission, reliabilityEventsIngestPermission) ||
      isPermission(request.permission, reliabilityDrillsUpdatePermission) ||
      isPermission(request.permission, reliabilityCapacityRecordPermission) ||
      isPermission(request.permission, reliabilityChangesRecordPermission) ||
      isPermission(request.permission, reliabilitySyntheticsUpdatePermission) ||
      isPermission(
        request.permission,
        reliabilityRemediationExecutePermission,
      ) ||
      isPermission(request.permission, reliabilityRunbookUpdatePermission) ||
      isPermission(request.permission, reliabilityChaosUpdatePermission) ||
      isPermission(request.permission, reliabilitySloCorrectPermission)
    ) {
      return createCatalogConditionalDecision(
        request.permission,
        catalogConditions.isEntityOwner({
          claims: user.info.ownershipEntityRefs ?? [],
        }),
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
