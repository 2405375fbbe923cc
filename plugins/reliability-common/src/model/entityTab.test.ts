import {
  entityReliabilityPath,
  RELIABILITY_PANEL_ROUTES,
  RELIABILITY_TAB_ROUTES,
  reliabilityTabPath,
} from './entityTab';

describe('the Reliability tab sub-routes', () => {
  it('names each screen once, the overview at the tab itself', () => {
    expect(RELIABILITY_TAB_ROUTES).toEqual({
      overview: '',
      slo: 'slo',
      runbook: 'runbook',
      chaos: 'chaos',
      drills: 'drills',
      synthetics: 'synthetics',
      capacity: 'capacity',
      selfHealing: 'self-healing',
    });
    expect(new Set(Object.values(RELIABILITY_TAB_ROUTES)).size).toBe(8);
  });

  it("builds a sub-route relative to the tab; an SLO's needs its name", () => {
    expect(reliabilityTabPath('overview')).toBe('');
    expect(reliabilityTabPath('selfHealing')).toBe('self-healing');
    expect(reliabilityTabPath('slo', 'checkout-success')).toBe(
      'slo/checkout-success',
    );
    expect(reliabilityTabPath('slo')).toBe('');
    // a name is one path segment, whatever it holds
    expect(reliabilityTabPath('slo', 'a/b?c')).toBe('slo/a%2Fb%3Fc');
  });

  it("builds the portal path of an entity's tab", () => {
    const checkout = {
      kind: 'component',
      namespace: 'default',
      name: 'checkout',
    };
    expect(entityReliabilityPath(checkout)).toBe(
      '/catalog/default/component/checkout/reliability',
    );
    expect(entityReliabilityPath(checkout, 'chaos')).toBe(
      '/catalog/default/component/checkout/reliability/chaos',
    );
    expect(entityReliabilityPath(checkout, 'slo', 'checkout-success')).toBe(
      '/catalog/default/component/checkout/reliability/slo/checkout-success',
    );
  });

  it('maps the old panel anchors to their screens', () => {
    expect(RELIABILITY_PANEL_ROUTES['chaos-panel']).toBe('chaos');
    expect(RELIABILITY_PANEL_ROUTES['remediation-panel']).toBe('selfHealing');
    for (const route of Object.values(RELIABILITY_PANEL_ROUTES))
      expect(RELIABILITY_TAB_ROUTES).toHaveProperty(route);
  });
});
