import { createBackendModule } from '@backstage/backend-plugin-api';
import { AuthorizeResult, isPermission, PolicyDecision } from '@backstage/plugin-permission-common';
import { PermissionPolicy, PolicyQuery, PolicyQueryUser } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { catalogConditions, createCatalogConditionalDecision } from '@backstage/plugin-catalog-backend/alpha';
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
} from '@internal/plugin-reliability-common';

/**
 * The portal's policy: everything is allowed, except running a remediation by hand, editing a runbook or a chaos
 * experiment, correcting an SLO's budget, recording drills, load tests and changes, defining synthetic journeys, and ingesting SLI events, which only the owners of the entity may do (the catalog's
 * isEntityOwner condition against the user's ownership refs). Ingest, drill imports and load-test results are also
 * open to service principals: the services that report SLIs, and CI posting drill logs, k6 summaries and deploys.
 */
export class ReliabilityPortalPolicy implements PermissionPolicy {
  async handle(request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    if (
      isPermission(request.permission, reliabilityEventsIngestPermission) ||
      isPermission(request.permission, reliabilityDrillsUpdatePermission) ||
      isPermission(request.permission, reliabilityCapacityRecordPermission) ||
      isPermission(request.permission, reliabilityChangesRecordPermission) ||
      isPermission(request.permission, reliabilitySyntheticsUpdatePermission)
    ) {
      // services (external access tokens from config) report SLIs for any SLO; users only for entities they own
      if (!user) return { result: AuthorizeResult.ALLOW };
      return createCatalogConditionalDecision(request.permission, catalogConditions.isEntityOwner({ claims: user.info.ownershipEntityRefs ?? [] }));
    }
    if (
      isPermission(request.permission, reliabilityRemediationExecutePermission) ||
      isPermission(request.permission, reliabilityRunbookUpdatePermission) ||
      isPermission(request.permission, reliabilityChaosUpdatePermission) ||
      isPermission(request.permission, reliabilitySloCorrectPermission)
    ) {
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
