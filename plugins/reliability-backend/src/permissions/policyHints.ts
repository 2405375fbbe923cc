import type { ReliabilityConfig } from '../config/readReliabilityConfig';

/**
 * What a 403 adds after `Missing permission …` for the actions the portal's policy keeps to configured groups: the
 * setting that opens them (`reliability.permissions.*`), and whether it is set. The policy decides; these only
 * explain its answer, so an operator who sees the refusal knows what to configure.
 */
export interface PolicyHints {
  /** Organisation-wide registry imports and GET /secrets (reliability.registry.import). */
  platform: string;
  /** Approving chaos experiments (reliability.chaos.approve): production entities are the approvers'. */
  chaosApprove: string;
}

export function policyHints(
  permissions: ReliabilityConfig['permissions'],
): PolicyHints {
  const platform = 'organisation-wide imports and GET /secrets';
  const chaos =
    'approving chaos experiments of production entities (spec.lifecycle: production)';
  return {
    platform: permissions.platformGroups?.length
      ? `${platform} are for the groups in reliability.permissions.platformGroups`
      : `${platform} are for the platform groups, and reliability.permissions.platformGroups is not configured: set it to the groups that may (a service token needs the permission in its access restrictions)`,
    chaosApprove: permissions.chaosApprovers?.length
      ? `${chaos} is for the groups in reliability.permissions.chaosApprovers`
      : `${chaos} is for the approvers, and reliability.permissions.chaosApprovers is not configured: set it to the groups that approve`,
  };
}
