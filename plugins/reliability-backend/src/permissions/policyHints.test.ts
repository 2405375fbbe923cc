import { policyHints } from './policyHints';

describe('policyHints', () => {
  it('names the unset setting that keeps an action closed', () => {
    const hints = policyHints({});
    expect(hints.platform).toContain(
      'reliability.permissions.platformGroups is not configured',
    );
    expect(hints.chaosApprove).toContain(
      'reliability.permissions.chaosApprovers is not configured',
    );
  });

  it('names the setting that holds the groups once it is set', () => {
    const hints = policyHints({
      platformGroups: ['group:default/platform-sre'],
      chaosApprovers: ['group:default/platform-sre'],
    });
    expect(hints.platform).toBe(
      'organisation-wide imports and GET /secrets are for the groups in reliability.permissions.platformGroups',
    );
    expect(hints.chaosApprove).toBe(
      'approving chaos experiments of production entities (spec.lifecycle: production) is for the groups in reliability.permissions.chaosApprovers',
    );
    // an empty list opens nothing: it reads as unset
    expect(policyHints({ platformGroups: [] }).platform).toContain(
      'is not configured',
    );
  });
});
