import { ReadinessFacts, readinessScore } from './readiness';
import { parseResilienceFile } from './resilience';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T12:00:00Z');

const RESILIENCE = `apiVersion: reliability.io/v1
kind: Resilience
dependencies:
  - name: payments
    timeout: 800ms
    retries: 2
    backoff: 100ms
    deadline: 3s
    breaker: { failureRate: 0.5, openFor: 30s }
`;
const resilienceFile = () => {
  const r = parseResilienceFile(RESILIENCE);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
};

const empty: ReadinessFacts = {
  entityRef: 'component:default/inventory',
  annotations: {},
  slos: [],
  runbook: null,
  journeys: [],
  drills: [],
  loadTests: [],
  remediation: { rules: 0, openEscalations: 0, lastOutcome: null },
  chaos: { completed: 0 },
  resilience: null,
  dashboards: [],
  paging: [],
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
  runbook: {
    where: 'catalog/runbooks/checkout.md',
    resolved: true,
    sections: 6,
  },
  journeys: [{ name: 'checkout_full', steps: 5, lastRunAt: NOW - 5 * 60_000 }],
  drills: [
    {
      kind: 'regional-failover',
      at: NOW - 30 * DAY,
      success: true,
      measuredRtoSeconds: 240,
      rpoSeconds: 30,
    },
    {
      kind: 'backup-restore',
      at: NOW - 40 * DAY,
      success: true,
      measuredRtoSeconds: 200,
    },
  ],
  loadTests: [
    {
      at: NOW - 10 * DAY,
      testType: 'stress',
      verdict: 'pass',
      reason: 'p95 640 ms is within the latency SLO of 1000 ms',
    },
  ],
  remediation: { rules: 1, openEscalations: 0, lastOutcome: 'succeeded' },
  chaos: { completed: 1 },
  resilience: {
    location: 'catalog/resilience/checkout.yaml',
    file: resilienceFile(),
    errors: [],
  },
  dashboards: ['https://grafana.example/d/checkout'],
  paging: ['delivery policy payments: page alerts to pagerduty-payments'],
};

const at = (over: Partial<ReadinessFacts>) =>
  readinessScore({ ...ready, ...over }, NOW).items;
const find = (items: ReturnType<typeof at>, id: string) =>
  items.find(i => i.id === id)!;

describe('readinessScore', () => {
  it('has the eleven items, all failing for a service with nothing, each saying what is missing and what fixes it', () => {
    const r = readinessScore(empty, NOW);
    expect([r.score, r.passed, r.applicable]).toEqual([0, 0, 11]);
    expect(r.items.map(i => [i.id, i.state])).toEqual([
      ['journey-slos', 'failed'],
      ['burn-rate-alerts', 'failed'],
      ['resilience', 'failed'],
      ['degradation', 'failed'],
      ['synthetics', 'failed'],
      ['capacity', 'failed'],
      ['backups', 'failed'],
      ['failover', 'failed'],
      ['observability', 'failed'],
      ['remediation', 'failed'],
      ['chaos', 'failed'],
    ]);
    expect(
      r.items.every(i => i.fix?.href && i.reason && i.missing.length > 0),
    ).toBe(true);
    expect(find(r.items, 'backups').missing).toEqual([
      'RTO not documented (annotation reliability.io/rto)',
      'RPO not documented (annotation reliability.io/rpo)',
      'a successful backup-restore or point-in-time-restore drill within the RTO/RPO in the last 92 days',
    ]);
    expect(find(r.items, 'degradation').reason).toBe(
      'Missing: brownout not declared (annotation reliability.io/degradation); load-shedding not declared (annotation reliability.io/degradation)',
    );
  });

  it('scores 100 when every practice is in place, each item naming its evidence and no fix', () => {
    const r = readinessScore(ready, NOW);
    expect([r.score, r.passed]).toEqual([100, 11]);
    expect(r.items.filter(i => i.fix || i.missing.length)).toEqual([]);
    expect(r.items[0].reason).toBe('2 SLOs measure this service');
    expect(find(r.items, 'resilience').evidence).toEqual([
      'read catalog/resilience/checkout.yaml',
      'payments: timeout 800 ms < retry budget 2600 ms (2 retries) < deadline 3000 ms, breaker declared',
    ]);
    expect(find(r.items, 'failover').evidence).toEqual([
      'RTO 5 min, RPO 1 min',
      'regional-failover drill 2026-10-24: succeeded in 4 min, within the RTO of 5 min, 30 s of data lost within the RPO of 1 min',
      'runbook catalog/runbooks/checkout.md: read, 6 sections for alerts to link to',
    ]);
    expect(find(r.items, 'observability').reason).toBe(
      'dashboard https://grafana.example/d/checkout; paging: delivery policy payments: page alerts to pagerduty-payments; runbook catalog/runbooks/checkout.md: read, 6 sections for alerts to link to',
    );
  });

  it('does not count a failed load test, nor a stale or unjudged one', () => {
    const failed = find(
      at({
        loadTests: [
          {
            at: NOW - DAY,
            testType: 'spike',
            verdict: 'fail',
            reason: 'p95 1800 ms is above the latency SLO of 1000 ms',
          },
        ],
      }),
      'capacity',
    );
    expect([failed.state, failed.evidence, failed.missing]).toEqual([
      'failed',
      [
        `spike test 2026-11-22: does not count (failed: p95 1800 ms is above the latency SLO of 1000 ms)`,
      ],
      [
        'a load test that passed in the last 31 days (the recent ones failed or had no verdict)',
      ],
    ]);
    // a failure newer than a pass does not hide the pass
    expect(
      find(
        at({
          loadTests: [
            { at: NOW - DAY, testType: 'spike', verdict: 'fail', reason: 'x' },
            ...ready.loadTests,
          ],
        }),
        'capacity',
      ).state,
    ).toBe('passed');
    expect(
      find(
        at({ loadTests: [{ ...ready.loadTests[0], verdict: 'unknown' }] }),
        'capacity',
      ).state,
    ).toBe('failed');
    expect(
      find(
        at({ loadTests: [{ ...ready.loadTests[0], at: NOW - 31 * DAY - 1 }] }),
        'capacity',
      ).state,
    ).toBe('failed');
    expect(
      find(
        at({ loadTests: [{ ...ready.loadTests[0], at: NOW - 31 * DAY }] }),
        'capacity',
      ).state,
    ).toBe('passed');
  });

  it('counts only drills of the right kind, successful, in the quarter, within the RTO and RPO', () => {
    const failover = ready.drills[0];
    const restore = ready.drills[1];
    // a restore drill proves backups, not failover; a failover drill proves failover, not backups
    const onlyRestore = at({ drills: [restore] });
    expect(find(onlyRestore, 'backups').state).toBe('passed');
    expect(find(onlyRestore, 'failover').state).toBe('failed');
    expect(find(onlyRestore, 'failover').evidence).toContain(
      'backup-restore drill 2026-10-14: does not count (not a regional-failover drill)',
    );
    const onlyFailover = at({ drills: [failover] });
    expect(find(onlyFailover, 'failover').state).toBe('passed');
    expect(find(onlyFailover, 'backups').state).toBe('failed');
    // missed its RTO: measured 6 min against 5 min
    const slow = find(
      at({ drills: [{ ...failover, measuredRtoSeconds: 360 }, restore] }),
      'failover',
    );
    expect([slow.state, slow.evidence[1]]).toEqual([
      'failed',
      'regional-failover drill 2026-10-24: does not count (took 6 min, over the RTO of 5 min)',
    ]);
    // missed its RPO
    expect(
      find(at({ drills: [{ ...restore, rpoSeconds: 120 }] }), 'backups').state,
    ).toBe('failed');
    // failed, or older than the quarter
    expect(
      find(at({ drills: [{ ...failover, success: false }] }), 'failover').state,
    ).toBe('failed');
    expect(
      find(
        at({ drills: [{ ...failover, at: NOW - 92 * DAY - 1 }] }),
        'failover',
      ).state,
    ).toBe('failed');
    expect(
      find(at({ drills: [{ ...failover, at: NOW - 92 * DAY }] }), 'failover')
        .state,
    ).toBe('passed');
    // an older good drill still counts behind a newer bad one
    expect(
      find(
        at({
          drills: [{ ...failover, at: NOW - DAY, success: false }, failover],
        }),
        'failover',
      ).state,
    ).toBe('passed');
    // RTO/RPO must be documented, and parse
    const undocumented = find(
      at({ annotations: { 'reliability.io/rto': 'soon' } }),
      'backups',
    );
    expect(undocumented.missing).toEqual([
      "reliability.io/rto: must be a duration such as 60s, 5m or 4h, got 'soon'",
      'RPO not documented (annotation reliability.io/rpo)',
    ]);
  });

  it('does not count a runbook that does not resolve, in the failover and observability items', () => {
    const items = at({
      runbook: {
        where: 'runbook.md',
        resolved: false,
        problem:
          "reliability.io/runbook: 'runbook.md' must be an http(s) URL, a relative path such as ./docs/runbook.md, or link://runbooks/<name>",
      },
    });
    for (const id of ['failover', 'observability']) {
      expect(find(items, id).state).toBe('failed');
      expect(find(items, id).missing).toEqual([
        "a runbook that resolves: runbook.md: reliability.io/runbook: 'runbook.md' must be an http(s) URL, a relative path such as ./docs/runbook.md, or link://runbooks/<name>",
      ]);
    }
    expect(find(items, 'failover').fix!.label).toBe(
      'Write the runbook (template "New runbook")',
    );
    expect(
      find(
        at({ runbook: { where: 'x', resolved: true, sections: 0 } }),
        'failover',
      ).state,
    ).toBe('failed');
    expect(find(at({ runbook: null }), 'observability').state).toBe('failed');
  });

  it('checks the resilience file: timeout < retry budget < deadline, a breaker, and names the dependency', () => {
    const file = (deps: string) => {
      const r = parseResilienceFile(
        `apiVersion: reliability.io/v1\nkind: Resilience\ndependencies:\n${deps}`,
      );
      if (!r.ok) throw new Error(r.errors.join('; '));
      return r.value;
    };
    const item = (deps: string) =>
      find(
        at({
          resilience: { location: 'r.yaml', file: file(deps), errors: [] },
        }),
        'resilience',
      );
    // 1s x 4 attempts = 4s, not under the 3s deadline
    const over = item(
      `  - { name: payments, timeout: 1s, retries: 3, deadline: 3s, breaker: { failureRate: 0.5, openFor: 30s } }\n  - { name: stock, timeout: 200ms, retries: 1, deadline: 1s, breaker: { failureRate: 0.5, openFor: 10s } }`,
    );
    expect([over.state, over.missing]).toEqual([
      'failed',
      [
        'payments: retry budget 4s (1s × 4 attempts) is not below the deadline 3s: the last retries are cut off',
      ],
    ]);
    expect(over.evidence[1]).toMatch(
      /^stock: timeout 200 ms < retry budget 400 ms/,
    );
    // the budget equal to the deadline is not below it; backoff counts in the budget
    expect(
      item(
        `  - { name: p, timeout: 900ms, retries: 2, backoff: 150ms, deadline: 3s, breaker: { failureRate: 0.5, openFor: 1s } }`,
      ).missing,
    ).toEqual([
      'p: retry budget 3s (900ms × 3 attempts + 150ms × 2 backoff) is not below the deadline 3s: the last retries are cut off',
    ]);
    // no retry: the timeout must be under the deadline
    expect(
      item(
        `  - { name: p, timeout: 5s, retries: 0, deadline: 2s, breaker: { failureRate: 0.5, openFor: 1s } }`,
      ).missing,
    ).toEqual(['p: timeout 5s is not below the deadline 2s']);
    // no breaker, and a zero timeout
    expect(
      item(`  - { name: p, timeout: 0, retries: 1, deadline: 2s }`).missing,
    ).toEqual([
      'p: timeout is 0: calls never time out; timeout 0ms is not below the retry budget 0ms; no circuit breaker declared',
    ]);
    // a file that did not parse fails the item with its field path
    const bad = find(
      at({
        resilience: {
          location: 'r.yaml',
          file: null,
          errors: ['dependencies[0].timeout: must be a duration'],
        },
      }),
      'resilience',
    );
    expect([bad.state, bad.missing]).toEqual([
      'failed',
      ['r.yaml: dependencies[0].timeout: must be a duration'],
    ]);
  });

  it('checks dashboards, paging and the runbook for observability', () => {
    expect(find(at({ dashboards: [] }), 'observability').missing).toEqual([
      'a dashboard (a link of type dashboard, or annotation reliability.io/dashboard)',
    ]);
    expect(find(at({ paging: [] }), 'observability').missing).toEqual([
      "paging rules: a delivery policy routing this service's page alerts (reliability.delivery.routing), or a PagerDuty/Opsgenie annotation",
    ]);
  });

  it('keeps the other items honest at their boundaries', () => {
    const partial = find(
      at({
        slos: [
          { ref: 'a', policySource: 'csv' },
          { ref: 'b', policySource: 'default' },
        ],
      }),
      'burn-rate-alerts',
    );
    expect([partial.state, partial.missing]).toEqual([
      'failed',
      [
        'b relies on the built-in default table: write its alertPolicies, the burn-rate annotation, or rows in the burn-rate CSV',
      ],
    ]);
    expect(
      find(
        at({ journeys: [{ name: 'j', steps: 2, lastRunAt: NOW - DAY - 1 }] }),
        'synthetics',
      ).state,
    ).toBe('failed');
    expect(
      find(
        at({
          remediation: {
            rules: 1,
            openEscalations: 1,
            lastOutcome: 'succeeded',
          },
        }),
        'remediation',
      ).state,
    ).toBe('failed');
    expect(
      find(
        at({
          remediation: { rules: 1, openEscalations: 0, lastOutcome: 'failed' },
        }),
        'remediation',
      ).state,
    ).toBe('failed');
    expect(
      find(
        at({
          annotations: {
            ...ready.annotations,
            'reliability.io/degradation': 'breakers, brownout',
          },
        }),
        'degradation',
      ).missing,
    ).toEqual([
      'load-shedding not declared (annotation reliability.io/degradation)',
    ]);
    expect(
      readinessScore({ ...ready, chaos: { completed: 0 } }, NOW).score,
    ).toBe(91);
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

describe('parseResilienceFile', () => {
  it('names the field path of every problem, never throws', () => {
    const bad = parseResilienceFile(`apiVersion: reliability.io/v1
kind: Resilience
dependencies:
  - name: payments
    timeout: soon
    retries: -1
    deadline: 3s
    extra: 1
`);
    expect(bad).toEqual({
      ok: false,
      errors: [
        "dependencies[0].timeout: must be a duration such as 800ms, 2s or 1m (at most 1h), got 'soon'",
        'dependencies[0].retries: must be >= 0',
        "dependencies[0]: Unrecognized key(s) in object: 'extra'",
      ],
    });
    expect(parseResilienceFile('a: [').ok).toBe(false);
    expect(parseResilienceFile('[]')).toEqual({
      ok: false,
      errors: ['(file): Expected object, received array'],
    });
    expect(parseResilienceFile('kind: Resilience')).toMatchObject({
      ok: false,
      errors: expect.arrayContaining([
        "apiVersion: must be 'reliability.io/v1'",
      ]),
    });
    // YAML alias bombs stop at the alias limit
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]`;
    expect(parseResilienceFile(bomb).ok).toBe(false);
    expect(
      parseResilienceFile(
        `apiVersion: reliability.io/v1\nkind: Resilience\ndependencies:\n  - { name: a, timeout: 1s, retries: 1, deadline: 3s }\n  - { name: A, timeout: 1s, retries: 1, deadline: 3s }`,
      ),
    ).toEqual({
      ok: false,
      errors: ["dependencies[1].name: 'A' is listed twice"],
    });
    expect(parseResilienceFile('x'.repeat(70_000))).toEqual({
      ok: false,
      errors: ['(file): larger than 65536 bytes'],
    });
  });
});
