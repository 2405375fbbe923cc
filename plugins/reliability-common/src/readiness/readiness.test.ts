import { ReadinessFacts, readinessScore } from './readiness';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T12:00:00Z');

const empty: ReadinessFacts = {
  entityRef: 'component:default/inventory',
  annotations: {},
  slos: [],
  runbook: null,
  journeys: [],
  drill: { lastSuccessAt: null },
  capacity: { lastRunAt: null },
  remediation: { rules: 0, openEscalations: 0, lastOutcome: null },
  chaos: { completed: 0 },
};

const ready: ReadinessFacts = {
  entityRef: 'component:default/checkout',
  annotations: {
    'reliability.io/rto': '5m',
    'reliability.io/rpo': '60s',
    'reliability.io/degradation': 'load-shedding, Breakers, brownout',
  },
  slos: [
    { ref: 'default/checkout-success', policySource: 'csv' },
    { ref: 'default/checkout-journey', policySource: 'openslo' },
  ],
  runbook: { where: 'catalog/runbooks/checkout.md' },
  journeys: [{ name: 'checkout_full', steps: 5, lastRunAt: NOW - 5 * 60_000 }],
  drill: { lastSuccessAt: NOW - 30 * DAY },
  capacity: { lastRunAt: NOW - 10 * DAY },
  remediation: { rules: 1, openEscalations: 0, lastOutcome: 'succeeded' },
  chaos: { completed: 1 },
};

describe('readinessScore', () => {
  it('scores nothing for a service with nothing, each item saying why and linking to its fix', () => {
    const r = readinessScore(empty, NOW);
    expect([r.score, r.passed, r.applicable]).toEqual([0, 0, 9]);
    expect(r.items.map(i => [i.id, i.state])).toEqual([
      ['journey-slos', 'failed'],
      ['burn-rate-alerts', 'failed'],
      ['runbook', 'failed'],
      ['synthetics', 'failed'],
      ['drill', 'failed'],
      ['capacity', 'failed'],
      ['remediation', 'failed'],
      ['chaos', 'failed'],
      ['degradation', 'failed'],
    ]);
    expect(r.items.every(i => i.fix?.href && i.reason)).toBe(true);
    expect(r.items[4].reason).toBe(
      'No successful failover drill recorded; RTO/RPO not documented (annotations reliability.io/rto and reliability.io/rpo)',
    );
    expect(r.items[8].reason).toBe(
      'Not declared: breakers, brownout, load-shedding (annotation reliability.io/degradation: breakers, brownout, load-shedding)',
    );
  });

  it('scores 100 when every practice is in place, with no fix links', () => {
    const r = readinessScore(ready, NOW);
    expect([r.score, r.passed]).toEqual([100, 9]);
    expect(r.items.filter(i => i.fix)).toEqual([]);
    expect(r.items[0].reason).toBe('2 SLOs measure this service');
    expect(r.items[1].reason).toBe(
      'Every SLO alerts on its own multi-window burn-rate policy (csv, openslo)',
    );
  });

  it('fails stale proofs at their boundaries and counts partial policies', () => {
    const at = (over: Partial<ReadinessFacts>) =>
      readinessScore({ ...ready, ...over }, NOW).items;
    const state = (items: ReturnType<typeof at>, id: string) =>
      items.find(i => i.id === id)!.state;
    expect(
      state(at({ drill: { lastSuccessAt: NOW - 92 * DAY } }), 'drill'),
    ).toBe('passed');
    expect(
      state(at({ drill: { lastSuccessAt: NOW - 92 * DAY - 1 } }), 'drill'),
    ).toBe('failed');
    expect(
      state(
        at({ annotations: { ...ready.annotations, 'reliability.io/rpo': '' } }),
        'drill',
      ),
    ).toBe('failed');
    expect(
      state(at({ capacity: { lastRunAt: NOW - 31 * DAY - 1 } }), 'capacity'),
    ).toBe('failed');
    expect(
      state(
        at({ journeys: [{ name: 'j', steps: 0, lastRunAt: null }] }),
        'synthetics',
      ),
    ).toBe('failed');
    expect(
      at({ journeys: [{ name: 'j', steps: 0, lastRunAt: null }] }).find(
        i => i.id === 'synthetics',
      )!.reason,
    ).toBe(
      '1 journey registered, none ran in the last day (some have no steps)',
    );
    expect(
      state(
        at({ journeys: [{ name: 'j', steps: 2, lastRunAt: NOW - DAY - 1 }] }),
        'synthetics',
      ),
    ).toBe('failed');
    const partial = at({
      slos: [
        { ref: 'a', policySource: 'csv' },
        { ref: 'b', policySource: 'default' },
      ],
    }).find(i => i.id === 'burn-rate-alerts')!;
    expect([partial.state, partial.reason]).toEqual([
      'failed',
      '1 of 2 SLOs rely on the built-in default table: write their alertPolicies, the burn-rate annotation, or rows in the burn-rate CSV',
    ]);
    expect(
      state(
        at({
          remediation: {
            rules: 1,
            openEscalations: 1,
            lastOutcome: 'succeeded',
          },
        }),
        'remediation',
      ),
    ).toBe('failed');
    expect(
      state(
        at({
          remediation: { rules: 1, openEscalations: 0, lastOutcome: 'failed' },
        }),
        'remediation',
      ),
    ).toBe('failed');
    expect(
      state(
        at({
          remediation: { rules: 2, openEscalations: 0, lastOutcome: null },
        }),
        'remediation',
      ),
    ).toBe('passed');
    expect(
      state(
        at({
          annotations: {
            ...ready.annotations,
            'reliability.io/degradation': 'breakers, brownout',
          },
        }),
        'degradation',
      ),
    ).toBe('failed');
    expect(
      readinessScore({ ...ready, chaos: { completed: 0 } }, NOW).score,
    ).toBe(89);
  });

  it('links fixes to the app routes it is given', () => {
    const r = readinessScore(
      {
        ...empty,
        links: { 'journey-slos': '/create/templates/default/new-slo' },
      },
      NOW,
    );
    expect(r.items[0].fix).toEqual({
      label: 'Create an SLO (template "New SLO")',
      href: '/create/templates/default/new-slo',
    });
  });
});
