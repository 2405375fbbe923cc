import { readFileSync } from 'fs';
import path from 'path';
import { parse } from 'yaml';
import { lintChaosExperiment } from './lint';

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
        message: 'must be at most 10% in staging (max_traffic), got 50%',
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
    e.injection = { type: 'pod-kill' };
    e.rollback = [];
    e.hypothesis = '';
    const r = lintChaosExperiment(e, { sloRefs: checkoutSlos });
    expect(r.ok).toBe(false);
    expect(
      r.violations.map(v => `${v.field} [${v.rule}]: ${v.message}`),
    ).toEqual([
      'hypothesis [schema]: is required',
      'blastRadius.podPercent [max-traffic]: must be at most 10% in production (max_traffic), got 30%',
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
    expect(lintChaosExperiment(e, { prometheus: false }).violations).toEqual([
      {
        field: 'abortConditions.0.query',
        rule: 'abort-condition',
        message:
          'needs a Prometheus instance (reliability.prometheus.instances) to be evaluated; use a burn-rate or budget-spent condition',
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
