import { readFileSync } from 'fs';
import path from 'path';
import { parse, stringify } from 'yaml';
import { DEFAULT_CHAOS_POLICY, lintChaosExperiment } from './lint';
import { chaosExperimentSchema, chaosInjections } from './experiment';

const seedFile = (name: string) =>
  parse(
    readFileSync(
      path.join(__dirname, '../../../../catalog/chaos/experiments', name),
      'utf8',
    ),
  );
const checkoutSlos = ['default/checkout-success'];

describe('chaos experiment linter', () => {
  it("passes the seed's two experiments", () => {
    for (const file of ['latency_checkout.yaml', 'brownout_checkout.yaml']) {
      const r = lintChaosExperiment(seedFile(file), { sloRefs: checkoutSlos });
      expect([file, r.violations]).toEqual([file, []]);
      expect(r.ok).toBe(true);
    }
    const r = lintChaosExperiment(seedFile('latency_checkout.yaml'));
    expect(r.ok && r.experiment).toMatchObject({
      blastRadius: {
        trafficPercent: 5,
        regions: ['us-east'],
        canaryOnly: true,
      },
      injection: { type: 'latency', ms: 300 },
    });
  });

  it('refuses the drift from 5% to 50%, naming blastRadius.trafficPercent', () => {
    const e = seedFile('latency_checkout.yaml');
    e.blastRadius.trafficPercent = 50;
    expect(lintChaosExperiment(e).violations).toEqual([
      {
        field: 'blastRadius.trafficPercent',
        rule: 'max-traffic',
        message:
          'must be at most 10% of requests in staging (max_traffic), got 50%',
      },
    ]);
    // a policy may allow more in one environment
    const policy = {
      maxTrafficPercent: 10,
      environments: { staging: { maxTrafficPercent: 50 } },
      minDurationMs: 30_000,
      maxDurationMs: 3_600_000,
      minCronIntervalMs: 3_600_000,
      productionEnvironments: ['production'],
    };
    expect(lintChaosExperiment(e, { policy }).ok).toBe(true);
  });

  it('answers every violation at once, each naming its field', () => {
    const e = seedFile('brownout_checkout.yaml');
    e.blastRadius.podPercent = 30;
    e.abortConditions = [];
    e.steadyState.slo = 'default/search-latency';
    e.duration = '5h';
    e.schedule = { type: 'cron', cron: '*/5 * * * *' };
    e.approver = 'user:default/mei';
    delete e.injections;
    e.injection = { type: 'pod-kill' };
    e.rollback = [];
    e.hypothesis = '';
    const r = lintChaosExperiment(e, { sloRefs: checkoutSlos });
    expect(r.ok).toBe(false);
    expect(
      r.violations.map(v => `${v.field} [${v.rule}]: ${v.message}`),
    ).toEqual([
      'hypothesis [schema]: is required',
      'blastRadius.podPercent [max-traffic]: must be at most 10% of pods in production (max_traffic), got 30%',
      'abortConditions [abort-condition]: needs at least one abort condition: chaos must respect business SLOs',
      'steadyState.slo [steady-state]: must be one of default/checkout-success; default/search-latency is not',
      'duration [duration]: must be between 30s and 60m, got 5h',
      'schedule.cron [schedule]: must not run more often than every 60 minutes, runs every 5',
      'approver [approver]: must not be the author (user:default/mei)',
      'rollback [rollback]: needs rollback steps: pod-kill is destructive',
    ]);
  });

  it('needs an approver in production, and names bad fields of any kind', () => {
    const e = seedFile('brownout_checkout.yaml');
    delete e.approver;
    expect(lintChaosExperiment(e).violations).toEqual([
      {
        field: 'approver',
        rule: 'approver',
        message:
          'is required in production: someone other than the author approves production runs',
      },
    ]);
    const bad = lintChaosExperiment({
      ...seedFile('latency_checkout.yaml'),
      target: { namespace: 'Payments!' },
      injection: { type: 'meteor' },
      schedule: { type: 'cron', cron: 'every day' },
    });
    expect(bad.violations.map(v => v.field)).toEqual(
      expect.arrayContaining([
        'target.namespace',
        'target',
        'injection.type',
        'schedule.cron',
      ]),
    );
    expect(
      bad.violations.find(v => v.field === 'schedule.cron')?.message,
    ).toMatch(/^must be a 5-field cron expression/);
    expect(lintChaosExperiment('not an object').violations[0]).toMatchObject({
      field: '(experiment)',
      rule: 'schema',
    });
  });

  it("parses PromQL abort conditions with Prometheus's grammar, and needs a Prometheus to run them on", () => {
    const e = seedFile('brownout_checkout.yaml');
    expect(lintChaosExperiment(e, { prometheus: true }).violations).toEqual([]);
    // both PromQL aborts (checkout's p95 and its 5xx share) and the PromQL expectation (the breaker opens) need a
    // Prometheus; the budget and burn ones do not
    expect(lintChaosExperiment(e, { prometheus: false }).violations).toEqual([
      ...[0, 1].map(i => ({
        field: `abortConditions.${i}.query`,
        rule: 'abort-condition',
        message:
          'needs a Prometheus instance (reliability.prometheus.instances) to be evaluated; use a burn-rate or budget-spent condition',
      })),
      {
        field: 'expectations.0.query',
        rule: 'expectation',
        message:
          'needs a Prometheus instance (reliability.prometheus.instances) to be evaluated',
      },
    ]);
    e.abortConditions[0].query =
      'histogram_quantile(0.95, sum by (le) (rate(x_bucket[1m]))';
    const unclosed = lintChaosExperiment(e, { prometheus: true }).violations;
    expect(unclosed).toEqual([
      {
        field: 'abortConditions.0.query',
        rule: 'abort-condition',
        message: expect.stringMatching(
          /^is not valid PromQL: unexpected .* at character \d+$/,
        ),
      },
    ]);
    e.abortConditions[0].query = 'rate(x[5m]) >> 1';
    expect(lintChaosExperiment(e).violations[0]).toMatchObject({
      field: 'abortConditions.0.query',
      message: "is not valid PromQL: unexpected '> 1' at character 14",
    });
    e.abortConditions[0].query =
      'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))';
    expect(lintChaosExperiment(e).violations).toEqual([]);
  });

  it('holds each share to its own limit: requests (trafficPercent) and pods (podPercent)', () => {
    const e = seedFile('latency_checkout.yaml');
    e.blastRadius.trafficPercent = 8;
    e.blastRadius.podPercent = 20;
    const policy = {
      ...DEFAULT_CHAOS_POLICY,
      environments: { staging: { maxTrafficPercent: 10, maxPodPercent: 25 } },
    };
    expect(lintChaosExperiment(e, { policy }).violations).toEqual([]);
    e.blastRadius.trafficPercent = 12;
    e.blastRadius.podPercent = 30;
    expect(
      lintChaosExperiment(e, { policy }).violations.map(v => v.message),
    ).toEqual([
      'must be at most 10% of requests in staging (max_traffic), got 12%',
      'must be at most 25% of pods in staging (max_traffic), got 30%',
    ]);
  });

  it('asks for a share of pods when a fault acts on pods, and for a namespace per region when regions are namespaces', () => {
    const e = seedFile('brownout_checkout.yaml');
    delete e.blastRadius.podPercent;
    e.injections.push({ type: 'pod-kill' });
    e.target.regionNamespaces = { 'eu-west': 'payments-euw' };
    e.rollback = [];
    const r = lintChaosExperiment(e, { sloRefs: checkoutSlos });
    expect(r.violations).toEqual([
      {
        field: 'blastRadius.podPercent',
        rule: 'blast-radius',
        message:
          'is required: pod-kill acts on pods, and trafficPercent is a share of requests (only the Istio export honours it)',
      },
      {
        field: 'target.regionNamespaces',
        rule: 'blast-radius',
        message:
          'needs a namespace for every region of the blast radius; missing us-east',
      },
      {
        field: 'rollback',
        rule: 'rollback',
        message: 'needs rollback steps: pod-kill is destructive',
      },
    ]);
    // latency and errors alone may be scoped by a share of requests only (the Istio export)
    const requests = seedFile('brownout_checkout.yaml');
    delete requests.blastRadius.podPercent;
    expect(
      lintChaosExperiment(requests, { sloRefs: checkoutSlos }).violations,
    ).toEqual([]);
  });

  it('reads a file written before blast radii said what they count (the migration at load)', () => {
    // an old pod-kill experiment: its trafficPercent was always exported as a share of pods
    const old = {
      ...seedFile('latency_checkout.yaml'),
      blastRadius: { trafficPercent: 5, regions: [], canaryOnly: false },
      injection: { type: 'pod-kill' },
    };
    const r = lintChaosExperiment(old, { sloRefs: checkoutSlos });
    expect(r.violations).toEqual([]);
    expect(r.ok && r.experiment.blastRadius).toEqual({
      podPercent: 5,
      regions: [],
      canaryOnly: false,
    });
    // a latency experiment keeps its share of requests as written
    const latency = seedFile('latency_checkout.yaml');
    delete latency.blastRadius.podPercent;
    const kept = chaosExperimentSchema.parse(latency);
    expect(kept.blastRadius).toEqual({
      trafficPercent: 5,
      regions: ['us-east'],
      canaryOnly: true,
    });
    expect(kept.injection).toEqual({ type: 'latency', ms: 300, jitterMs: 30 });
    expect(kept.injections).toBeUndefined();
  });

  it('round-trips both forms: one injection and several', () => {
    for (const file of ['latency_checkout.yaml', 'brownout_checkout.yaml']) {
      const once = chaosExperimentSchema.parse(seedFile(file));
      const twice = chaosExperimentSchema.parse(parse(stringify(once)));
      expect(twice).toEqual(once);
    }
    const brownout = chaosExperimentSchema.parse(
      seedFile('brownout_checkout.yaml'),
    );
    expect(chaosInjections(brownout)).toEqual([
      { type: 'latency', ms: 1500, jitterMs: 0 },
      { type: 'error-rate', percent: 20 },
    ]);
    expect(brownout.injection).toBeUndefined();
  });

  it('wants exactly one of injection and injections, and at most 10 of them', () => {
    const fields = (e: unknown) =>
      lintChaosExperiment(e)
        .violations.filter(v => v.rule === 'schema')
        .map(v => `${v.field}: ${v.message}`);
    const e = seedFile('brownout_checkout.yaml');
    expect(fields({ ...e, injection: { type: 'pod-kill' } })).toEqual([
      'injections: give injection or injections, not both',
    ]);
    const { injections: _, ...none } = e;
    expect(fields(none)).toEqual([
      'injection: is required (or injections, a list of them)',
    ]);
    expect(fields({ ...e, injections: [] })).toEqual([
      'injections: needs at least one injection',
    ]);
    expect(
      fields({ ...e, injections: Array(11).fill({ type: 'pod-kill' }) }),
    ).toEqual(['injections: must list at most 10 injections']);
    expect(
      fields({
        ...e,
        injections: [{ type: 'latency', ms: 1 }, { type: 'meteor' }],
      }),
    ).toEqual([expect.stringMatching(/^injections\.1\.type: /)]);
    expect(
      fields({
        ...e,
        target: { ...e.target, canaryLabels: { track: 'canary!' } },
      }),
    ).toEqual(['target.canaryLabels.track: must be a label value']);
  });

  it('answers a bounded list for hostile input', () => {
    const r = lintChaosExperiment({
      name: 'a'.repeat(100_000),
      hypothesis: 'x'.repeat(1_000_000),
      schedule: { type: 'cron', cron: `${'1,'.repeat(40_000)}1 * * * *` },
      abortConditions: Array(100_000).fill({}),
    });
    expect(r.ok).toBe(false);
    // 100,000 broken abort conditions: the first 50 schema violations, plus the guardrails
    expect(r.violations.filter(v => v.rule === 'schema')).toHaveLength(50);
    // a cron expression over 100 characters is refused by the schema, never parsed
    expect(r.violations.find(v => v.rule === 'schedule')).toBeUndefined();
    expect(r.violations.find(v => v.field === 'name')?.message).toBe(
      'must be lowercase letters, digits and - (at most 63)',
    );
  });
});

describe('chaos expectations', () => {
  const base = () => seedFile('latency_checkout.yaml');
  const violations = (expectations: unknown, context = {}) =>
    lintChaosExperiment({ ...base(), expectations }, context).violations.map(
      v => `${v.field} [${v.rule}]: ${v.message}`,
    );

  it('reads the three kinds, with their defaults', () => {
    const r = lintChaosExperiment(
      {
        ...base(),
        expectations: [
          {
            type: 'remediation-fires',
            rule: 'payment-worker-restart',
            within: '2m',
          },
          {
            type: 'breaker-opens',
            breaker: 'psp',
            query: 'max(payment_breaker_state{breaker="psp"})',
            within: '60s',
          },
          { type: 'slo-burn-below', threshold: 1 },
        ],
      },
      { sloRefs: checkoutSlos, prometheus: true },
    );
    expect(r.violations).toEqual([]);
    expect(r.ok && r.experiment.expectations).toEqual([
      {
        type: 'remediation-fires',
        rule: 'payment-worker-restart',
        within: '2m',
      },
      {
        type: 'breaker-opens',
        breaker: 'psp',
        query: 'max(payment_breaker_state{breaker="psp"})',
        op: '>=',
        threshold: 1,
        within: '60s',
      },
      { type: 'slo-burn-below', threshold: 1, window: 'run' },
    ]);
    // none declared: an empty list
    const none = lintChaosExperiment(base());
    expect(none.ok && none.experiment.expectations).toEqual([]);
  });

  it('names the path of a broken expectation', () => {
    expect(
      violations([
        { type: 'remediation-fires', rule: '', within: '2m' },
        { type: 'slo-burn-below', threshold: -1 },
        { type: 'remediation-fires', rule: 'r', within: '2h' },
        { type: 'breaker-opens', breaker: 'psp', query: 'up', within: '10ms' },
        { type: 'telepathy' },
      ]),
    ).toEqual([
      'expectations.0.rule [schema]: is required',
      'expectations.1.threshold [schema]: must be above 0',
      'expectations.2.within [schema]: must be between 1s and 1h',
      'expectations.3.within [schema]: must be a duration such as 90s, 5m or 2h',
      expect.stringMatching(/^expectations\.4\.type \[schema\]: /),
      // the guardrail reads it too: 2h is also longer than the run
      "expectations.2.within [expectation]: must be at most the experiment's duration (10m): expectations are checked when the run ends, got 2h",
    ]);
  });

  it('bounds the list to 10 and within to the run', () => {
    const eleven = Array(11).fill({ type: 'slo-burn-below', threshold: 1 });
    expect(violations(eleven)).toEqual([
      'expectations [schema]: must list at most 10 expectations',
    ]);
    // the seed runs 10m: an expectation checked at its end cannot wait 20m
    expect(
      violations([{ type: 'remediation-fires', rule: 'r', within: '20m' }]),
    ).toEqual([
      "expectations.0.within [expectation]: must be at most the experiment's duration (10m): expectations are checked when the run ends, got 20m",
    ]);
  });

  it("parses a breaker's PromQL and asks for a Prometheus", () => {
    expect(
      violations([
        { type: 'breaker-opens', breaker: 'psp', query: 'max(', within: '1m' },
      ]),
    ).toEqual([
      'expectations.0.query [expectation]: is not valid PromQL: unexpected end of the expression at character 5',
    ]);
    expect(
      violations(
        [{ type: 'breaker-opens', breaker: 'psp', query: 'up', within: '1m' }],
        { prometheus: false },
      ).filter(v => v.startsWith('expectations')),
    ).toEqual([
      'expectations.0.query [expectation]: needs a Prometheus instance (reliability.prometheus.instances) to be evaluated',
    ]);
  });
});
