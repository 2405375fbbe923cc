import {
  coreServices,
  createBackendModule,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
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
  reliabilityChaosApprovePermission,
  reliabilityChaosUpdatePermission,
  reliabilityDrillsUpdatePermission,
  reliabilityEventsIngestPermission,
  reliabilityGateOverridePermission,
  reliabilityIncidentUpdatePermission,
  reliabilityRegistryImportPermission,
  reliabilityRemediationExecutePermission,
  reliabilityRunbookUpdatePermission,
  reliabilitySloCorrectPermission,
  reliabilitySyntheticsUpdatePermission,
} from '@reliability-suite/plugin-reliability-common';

/**
 * Who may do the sensitive actions (`reliability.permissions`). A key left unset gives that action to nobody: the
 * shipped policy is closed until the portal names its groups (README: Widening the default policy).
 */
export interface PortalPolicyOptions {
  /**
   * Groups (or users) that may approve chaos experiments of production entities (spec.lifecycle production); other
   * entities stay open to every user but the author. Unset: nobody approves on production entities.
   */
  chaosApprovers?: string[];
  /**
   * Groups (or users) that may import the organisation's registries and read GET /secrets. Unset: no user (service
   * tokens keep what their access restrictions name).
   */
  platformGroups?: string[];
  /**
   * Groups (or users) that may override the deploy gate of any entity (open it while its SLOs keep it closed, for a
   * reason and a bounded time). Unset: nobody.
   */
  gateOverriders?: string[];
}

const memberOf = (user: PolicyQueryUser, refs: string[]) => {
  const mine = new Set(
    (user.info.ownershipEntityRefs ?? []).map(r =>
      r.toLocaleLowerCase('en-US'),
    ),
  );
  return refs.some(r => mine.has(r.toLocaleLowerCase('en-US')));
};

/**
 * The portal's policy for users. Reading is open to every signed-in user, and so is declaring an incident. Working
 * an incident (timeline, status, roles, links, close) belongs to its entity's owners (the incident's role holders
 * may too: the suite lets them). Everything that changes an entity's reliability record belongs to its owners (the
 * catalog's isEntityOwner condition against the user's ownership refs): running a remediation by hand, editing a
 * runbook, writing a chaos experiment, correcting an SLO's budget, recording drills, load tests and changes,
 * defining synthetic journeys, and ingesting SLI events. Approving a chaos experiment is open to every user but its
 * author (whom the service refuses), except on production entities: those are for reliability.permissions.chaosApprovers
 * alone (nobody when unset). Importing the organisation's registries (and reading GET /secrets) is for
 * reliability.permissions.platformGroups alone (no user when unset). Overriding the deploy gate is for
 * reliability.permissions.gateOverriders alone (nobody when unset).
 *
 * Backstage does not ask this policy about service principals (external access tokens, other plugins): the suite
 * lets them read and report SLIs, load tests and changes, and nothing else unless their token's access restrictions
 * name the permission. A request with no principal at all is refused.
 */
export class ReliabilityPortalPolicy implements PermissionPolicy {
  constructor(private readonly options: PortalPolicyOptions = {}) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.DENY };
    if (isPermission(request.permission, reliabilityRegistryImportPermission)) {
      return {
        result: memberOf(user, this.options.platformGroups ?? [])
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    if (isPermission(request.permission, reliabilityGateOverridePermission)) {
      return {
        result: memberOf(user, this.options.gateOverriders ?? [])
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    if (isPermission(request.permission, reliabilityChaosApprovePermission)) {
      if (memberOf(user, this.options.chaosApprovers ?? []))
        return { result: AuthorizeResult.ALLOW };
      // everyone else: entities that are not in production only
      return createCatalogConditionalDecision(request.permission, {
        not: catalogConditions.hasSpec({
          key: 'lifecycle',
          value: 'production',
        }),
      });
    }
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
      isPermission(request.permission, reliabilityIncidentUpdatePermission) ||
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
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.rootLogger,
      },
      async init({ policy, config, logger }) {
        policy.setPolicy(
          new ReliabilityPortalPolicy(readPortalPolicyOptions(config, logger)),
        );
      },
    });
  },
});

/** `reliability.permissions`, with a log line per key left unset naming what it keeps closed and how to open it. */
export function readPortalPolicyOptions(
  config: Config,
  logger: Pick<LoggerService, 'info'>,
): PortalPolicyOptions {
  const cfg = config.getOptionalConfig('reliability.permissions');
  const chaosApprovers = cfg?.getOptionalStringArray('chaosApprovers');
  const platformGroups = cfg?.getOptionalStringArray('platformGroups');
  const gateOverriders = cfg?.getOptionalStringArray('gateOverriders');
  if (!chaosApprovers)
    logger.info(
      'Permission policy: nobody may approve chaos experiments of production entities; set reliability.permissions.chaosApprovers to the groups that approve them',
    );
  if (!platformGroups)
    logger.info(
      'Permission policy: no user may import the organisation registries or read secret hygiene; set reliability.permissions.platformGroups to the platform groups',
    );
  if (!gateOverriders)
    logger.info(
      'Permission policy: nobody may override the deploy gate; set reliability.permissions.gateOverriders to the groups that may',
    );
  return { chaosApprovers, platformGroups, gateOverriders };
}
