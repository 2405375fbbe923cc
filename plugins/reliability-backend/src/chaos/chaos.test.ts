import { readFileSync } from 'fs';
import path from 'path';
import { parse } from 'yaml';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { Knex } from 'knex';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { component, ingestSlo } from '../__testUtils__/entities';
import { eventually, startTarget } from '../__testUtils__/targets';
import { startPrometheus } from '../__testUtils__/prometheus';

jest.setTimeout(90_000);

const OWNER = 'user:default/mei';
const REVIEWER = 'user:default/ana';
const STRANGER = 'user:default/stranger';
const seed = (name: string) =>
  parse(
    readFileSync(
      path.join(__dirname, '../../../../catalog/chaos/experiments', name),
      'utf8',
    ),
  );
const MIN = 60_000;

/**
 * The last 30 minutes of request-duration histograms (one sample a minute, 60 requests each): checkout answers
 * under 0.5 s (p95 about 0.48 s); checkout-canary, where an experiment injects latency, answers in 1.5 to 2.5 s.
 */
function latencyHistograms(): string {
  const now = Math.floor(Date.now() / MIN) * MIN;
  const lines = ['# TYPE http_request_duration_seconds histogram'];
  const fast = [
    ['0.5', 60],
    ['1.0', 60],
    ['2.5', 60],
    ['+Inf', 60],
  ] as const;
  const slow = [
    ['0.5', 0],
    ['1.0', 0],
    ['2.5', 60],
    ['+Inf', 60],
  ] as const;
  // series by their labels: checkout is fast, its canary slow; payments is slow in us-east only
  const buckets = {
    'service="checkout"': fast,
    'service="checkout-canary"': slow,
    'service="payments",region="us-east"': slow,
    'service="payments",region="eu-west"': fast,
  };
  for (const [series, bs] of Object.entries(buckets)) {
    for (const [le, perMinute] of bs) {
      for (let i = 30; i >= 1; i--)
        lines.push(
          `http_request_duration_seconds_bucket{${series},le="${le}"} ${
            perMinute * (31 - i)
          } ${(now - i * MIN) / 1000}`,
        );
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('chaos experiments on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;
  let target: Awaited<ReturnType<typeof startTarget>>;
  let knex: Knex;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;

  beforeAll(async () => {
    target = await startTarget();
    prometheus = await startPrometheus(latencyHistograms());
  });
  afterAll(async () => {
    await target.close();
    await prometheus?.stop();
  });

  /** A backend (a replica) over `db`, its tasks run by `sched`. */
  function replica(db: Knex, sched: ReturnType<typeof manualScheduler>) {
    return startTestBackend({
      features: [
        reliabilityPlugin,
        sched.factory,
        catalogServiceMock.factory({
          entities: [
            component('checkout'),
            ingestSlo('checkout-success', 'checkout'),
          ],
        }),
        mockServices.database.factory({ knex: db }),
        // owners write the entity's experiments; anyone but a stranger may approve
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const user = (credentials.principal as { userEntityRef?: string })
                .userEntityRef;
              if (r.permission.name === 'reliability.chaos.update')
                return {
                  result:
                    user === OWNER
                      ? AuthorizeResult.ALLOW
                      : AuthorizeResult.DENY,
                };
              if (r.permission.name === 'reliability.chaos.approve')
                return {
                  result:
                    user !== STRANGER
                      ? AuthorizeResult.ALLOW
                      : AuthorizeResult.DENY,
                };
              return { result: AuthorizeResult.ALLOW };
            }) as any,
          authorizeConditional: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              // the steady state's PromQL abort conditions run on this Prometheus
              prometheus: {
                instances: [{ name: 'main', url: prometheus.url }],
              },
              remediation: {
                rules: [
                  {
                    // the halt of checkout's experiments: a Gremlin-style halt webhook
                    id: 'checkout-chaos-halt',
                    entityRef: 'component:default/checkout',
                    match: ['alertname="ChaosExperimentAborted"'],
                    triggers: ['alert'],
                    action: 'webhook',
                    params: {
                      url: `${target.url}/halt`,
                      body: {
                        experiment: '{{experiment}}',
                        reason: '{{annotations.summary}}',
                      },
                    },
                    maxAttempts: 10,
                  },
                  {
                    // the start of one experiment from the portal: a Gremlin-style attack webhook
                    id: 'checkout-chaos-start',
                    entityRef: 'component:default/checkout',
                    match: [
                      'alertname="ChaosExperimentStarted"',
                      'experiment="latency-engine"',
                    ],
                    triggers: ['alert'],
                    action: 'webhook',
                    params: {
                      url: `${target.url}/attack`,
                      body: {
                        experiment: '{{experiment}}',
                        namespace: '{{namespace}}',
                        injection: '{{injection}}',
                        regions: '{{regions}}',
                        canary: '{{canary}}',
                      },
                    },
                  },
                ],
              },
            },
          },
        }),
      ],
    });
  }

  beforeEach(async () => {
    target.calls.length = 0;
    scheduler = manualScheduler();
    knex = await databases.init(databaseId);
    const backend = await replica(knex, scheduler);
    server = backend.server;
    // the tick registers the SLO; the synthetics runner reports it watches every region
    await scheduler.evaluate();
    await scheduler.run('reliability-synthetics-presence');
  });

  const as = (user: string) => ({
    get: (p: string) =>
      request(server)
        .get(`/api/reliability${p}`)
        .set('Authorization', mockCredentials.user.header(user)),
    post: (p: string, body: object = {}) =>
      request(server)
        .post(`/api/reliability${p}`)
        .set('Authorization', mockCredentials.user.header(user))
        .send(body),
    put: (p: string, body: object) =>
      request(server)
        .put(`/api/reliability${p}`)
        .set('Authorization', mockCredentials.user.header(user))
        .send(body),
  });

  /** A minute of checkout traffic, then the tick: the steady-state SLO has a status. */
  async function traffic(goodOf100: number) {
    const t = new Date(
      Math.floor(Date.now() / MIN) * MIN - 30_000,
    ).toISOString();
    const res = await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: t,
            good: goodOf100 * 100,
            total: 10_000,
          },
        ],
      });
    expect([res.status, res.body.error?.message]).toEqual([202, undefined]);
    await scheduler.evaluate();
  }

  it("lints with the entity's SLOs, and refuses a 50% blast radius naming the field, saving nothing", async () => {
    const ok = await as(OWNER).post('/chaos/lint', {
      entityRef: 'component:default/checkout',
      experiment: seed('latency_checkout.yaml'),
    });
    expect(ok.body).toMatchObject({ ok: true, violations: [] });
    const wrongSlo = await as(OWNER).post('/chaos/lint', {
      entityRef: 'component:default/checkout',
      experiment: {
        ...seed('latency_checkout.yaml'),
        steadyState: { slo: 'default/search-latency' },
      },
    });
    expect(wrongSlo.body.violations).toEqual([
      {
        field: 'steadyState.slo',
        rule: 'steady-state',
        message:
          'must be one of default/checkout-success; default/search-latency is not',
      },
    ]);

    const drifted = seed('latency_checkout.yaml');
    drifted.blastRadius.trafficPercent = 50;
    const refused = await as(OWNER).post('/chaos', {
      entityRef: 'component:default/checkout',
      experiment: drifted,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      'Invalid experiment: blastRadius.trafficPercent: must be at most 10% of requests in staging (max_traffic), got 50%',
    );
    expect(
      (await as(OWNER).get('/chaos?entityRef=component:default/checkout')).body
        .items,
    ).toEqual([]);
    expect(
      (
        await as(OWNER).post('/chaos', {
          entityRef: 'component:default/checkout',
        })
      ).status,
    ).toBe(400);
    expect(
      (await as(OWNER).post('/chaos/lint', { experiment: {}, extra: 1 })).body
        .error.message,
    ).toMatch(
      /Invalid body: : Unrecognized key\(s\) in object: 'extra'|Invalid body: .*extra/,
    );
  });

  it('goes draft → approved → running → aborted, by the right people, with a start guard on the SLO budget', async () => {
    // only owners write experiments
    expect(
      (
        await as(STRANGER).post('/chaos', {
          entityRef: 'component:default/checkout',
          experiment: seed('latency_checkout.yaml'),
        })
      ).status,
    ).toBe(403);
    const created = await as(OWNER).post('/chaos', {
      entityRef: 'component:default/checkout',
      experiment: seed('latency_checkout.yaml'),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      state: 'draft',
      version: 1,
      author: OWNER,
      name: 'latency-checkout',
      experiment: { author: OWNER },
    });
    const id = created.body.id;
    expect(
      (
        await as(OWNER).post('/chaos', {
          entityRef: 'component:default/checkout',
          experiment: seed('latency_checkout.yaml'),
        })
      ).status,
    ).toBe(409);

    // a new version; an edit from a stale version is refused
    const v2 = await as(OWNER).put(`/chaos/${id}`, {
      baseVersion: 1,
      experiment: { ...seed('latency_checkout.yaml'), duration: '15m' },
    });
    expect(v2.body).toMatchObject({
      version: 2,
      experiment: { duration: '15m' },
    });
    expect(
      (
        await as(OWNER).put(`/chaos/${id}`, {
          baseVersion: 1,
          experiment: seed('latency_checkout.yaml'),
        })
      ).status,
    ).toBe(409);
    expect(
      (await as(OWNER).get(`/chaos/${id}/versions`)).body.items.map(
        (v: any) => v.version,
      ),
    ).toEqual([2, 1]);
    const first = (await as(OWNER).get(`/chaos/${id}/versions?limit=1`)).body;
    expect([
      first.items.map((v: any) => v.version),
      typeof first.nextCursor,
    ]).toEqual([[2], 'string']);
    const second = (
      await as(OWNER).get(
        `/chaos/${id}/versions?limit=1&cursor=${encodeURIComponent(
          first.nextCursor,
        )}`,
      )
    ).body;
    expect([
      second.items.map((v: any) => v.version),
      second.nextCursor,
    ]).toEqual([[1], undefined]);
    expect(
      (await as(OWNER).get(`/chaos/${id}/versions?limit=0`)).body.error.message,
    ).toMatch(/^Invalid query: limit: must be at least 1/);

    // approval: not by the author, not without the permission
    expect((await as(OWNER).post(`/chaos/${id}/approve`)).status).toBe(403);
    expect((await as(STRANGER).post(`/chaos/${id}/approve`)).status).toBe(403);
    // not started before approval
    expect((await as(OWNER).post(`/chaos/${id}/start`)).status).toBe(409);
    const approved = await as(REVIEWER).post(`/chaos/${id}/approve`);
    expect(approved.body).toMatchObject({
      state: 'approved',
      approvedBy: REVIEWER,
      experiment: { approver: REVIEWER },
    });

    // the start guard: the SLO has no data yet, then it burns
    const noBudget = await as(OWNER).post(`/chaos/${id}/start`);
    expect(noBudget.status).toBe(409);
    expect(noBudget.body.error.message).toMatch(
      /^Not started: default\/checkout-success (has no measured budget|is)/,
    );
    await traffic(50);
    const burning = await as(OWNER).post(`/chaos/${id}/start`);
    expect(burning.status).toBe(409);
    expect(burning.body.error.message).toMatch(
      /^Not started: default\/checkout-success is (burning|exhausted)/,
    );
  });

  it('starts on a healthy SLO, records the budget, and the kill switch aborts it once', async () => {
    await traffic(100);
    const id = (
      await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment: seed('latency_checkout.yaml'),
      })
    ).body.id;
    await as(REVIEWER).post(`/chaos/${id}/approve`);
    const started = await as(OWNER).post(`/chaos/${id}/start`);
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      state: 'running',
      budgetAtStart: 1,
      startedAt: expect.any(String),
    });
    // editing a running experiment is refused; a stranger cannot stop it
    expect(
      (
        await as(OWNER).put(`/chaos/${id}`, {
          baseVersion: 1,
          experiment: seed('latency_checkout.yaml'),
        })
      ).status,
    ).toBe(409);
    expect(
      (await as(STRANGER).post(`/chaos/${id}/abort`, { reason: 'x' })).status,
    ).toBe(403);
    const [a, b] = await Promise.all([
      as(OWNER).post(`/chaos/${id}/abort`, { reason: 'kill switch' }),
      as(OWNER).post(`/chaos/${id}/abort`, { reason: 'kill switch' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const after = (await as(OWNER).get(`/chaos/${id}`)).body;
    expect(after).toMatchObject({
      state: 'aborted',
      abortReason: 'kill switch',
      budgetSpent: 0,
      finishedAt: expect.any(String),
    });
    expect(
      (await as(OWNER).post(`/chaos/${id}/complete`, { hypothesisHeld: true }))
        .status,
    ).toBe(409);
    expect((await as(OWNER).get('/chaos/99999')).status).toBe(404);
    // exports for the engines people run
    const litmus = await as(OWNER).get(`/chaos/${id}/export?format=litmus`);
    expect(litmus.status).toBe(200);
    expect(litmus.headers['content-disposition']).toBe(
      'attachment; filename="latency-checkout.chaosengine.yaml"',
    );
    expect(parse(litmus.text)).toMatchObject({
      kind: 'ChaosEngine',
      spec: {
        appinfo: { applabel: 'app=payment-svc,track=canary' },
        experiments: [
          {
            name: 'pod-network-latency',
            spec: {
              components: {
                env: expect.arrayContaining([
                  { name: 'PODS_AFFECTED_PERC', value: '5' },
                  {
                    name: 'NODE_LABEL',
                    value: 'topology.kubernetes.io/region=us-east',
                  },
                ]),
              },
            },
          },
        ],
      },
    });
    expect(
      (await as(OWNER).get(`/chaos/${id}/export?format=chaos-toolkit`)).body,
    ).toMatchObject({
      'steady-state-hypothesis': {
        title: 'default/checkout-success keeps its error budget',
      },
    });
    const mesh = await as(OWNER).get(`/chaos/${id}/export?format=chaos-mesh`);
    expect([mesh.status, mesh.body.error.message]).toEqual([
      400,
      'Chaos experiment latency-checkout cannot be exported to chaos-mesh: target.labels: Chaos Mesh selects pods by labels; add the labels of the deployment',
    ]);
    expect(
      (await as(OWNER).get(`/chaos/${id}/export?format=gremlin`)).body.error
        .message,
    ).toBe(
      'Invalid query: format: must be one of litmus, chaos-mesh, chaos-toolkit, istio',
    );
    // Istio faults a share of requests on a route: it cannot keep to the canary, and says which field
    const istio = await as(OWNER).get(`/chaos/${id}/export?format=istio`);
    expect([istio.status, istio.body.error.message]).toEqual([
      400,
      'Chaos experiment latency-checkout cannot be exported to istio: blastRadius.canaryOnly: an Istio fault applies to every request of a route, whichever pod serves it, so it cannot keep to the canary; set canaryOnly to false or export to Litmus or Chaos Mesh',
    ]);
    expect((await as(OWNER).get('/chaos/abc')).status).toBe(400);
  });

  it('records the result of a completed run', async () => {
    await traffic(100);
    const id = (
      await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment: seed('latency_checkout.yaml'),
      })
    ).body.id;
    await as(REVIEWER).post(`/chaos/${id}/approve`);
    // the engine reports that it started (the same step as Start, for engines that run on their own schedule)
    const started = await request(server)
      .post(`/api/reliability/chaos/${id}/started`)
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(started.body.state).toBe('running');
    expect(started.body.engineCalls).toBeUndefined();
    const bad = await as(OWNER).post(`/chaos/${id}/complete`, {
      hypothesisHeld: 'yes',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/hypothesisHeld/);
    const done = await as(OWNER).post(`/chaos/${id}/complete`, {
      hypothesisHeld: true,
      observations: 'p95 stayed at 640 ms',
      links: ['https://grafana.example/d/checkout'],
    });
    expect(done.body).toMatchObject({
      state: 'completed',
      experiment: {
        result: { hypothesisHeld: true, observations: 'p95 stayed at 640 ms' },
      },
    });
    expect(
      (
        await as(OWNER).get('/chaos?entityRef=component:default/checkout')
      ).body.items.map((e: any) => [e.name, e.state]),
    ).toEqual([['latency-checkout', 'completed']]);
  });

  it('the guard aborts a run whose SLO starts burning, and the halt is called exactly once', async () => {
    await traffic(100);
    const experiment = {
      ...seed('latency_checkout.yaml'),
      abortConditions: [{ type: 'budget-spent', percent: 5, within: '90s' }],
    };
    const id = (
      await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment,
      })
    ).body.id;
    await as(REVIEWER).post(`/chaos/${id}/approve`);
    expect((await as(OWNER).post(`/chaos/${id}/start`)).body.state).toBe(
      'running',
    );

    // healthy: the guard lets it run
    await scheduler.run('reliability-chaos-guard');
    expect((await as(OWNER).get(`/chaos/${id}`)).body.state).toBe('running');

    // the SLO burns: 20 bad events, of 10,020 in the 30 days (a 1% budget: 100.2 allowed), all in this minute
    const now = new Date().toISOString();
    await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: now,
            good: 0,
            total: 20,
          },
        ],
      });
    await scheduler.run('reliability-chaos-guard');
    const aborted = (await as(OWNER).get(`/chaos/${id}`)).body;
    expect(aborted).toMatchObject({
      state: 'aborted',
      abortReason:
        'guard: abort condition 1 (>= 5% of the budget within 90s): 20.0% of the error budget spent within 90s',
    });
    await eventually(() => target.calls.length >= 1, 20_000);
    expect(target.calls.map(c => c.url)).toEqual(['/halt']);
    expect(JSON.parse(target.calls[0].body)).toMatchObject({
      experiment: 'latency-checkout',
    });

    // the guard again, and the kill switch: no second halt
    await scheduler.run('reliability-chaos-guard');
    expect(
      (await as(OWNER).post(`/chaos/${id}/abort`, { reason: 'kill switch' }))
        .status,
    ).toBe(409);
    await new Promise(r => setTimeout(r, 300));
    expect(target.calls).toHaveLength(1);
    // a page alert is open on the commander page
    const commander = (await as(OWNER).get('/commander/alerts')).body.items;
    expect(commander).toEqual([
      expect.objectContaining({
        name: 'ChaosExperimentAborted',
        severity: 'page',
        entityRef: 'component:default/checkout',
        summary: expect.stringContaining(
          'Chaos experiment latency-checkout aborted: guard: abort condition 1',
        ),
      }),
    ]);
    const h = (
      await as(OWNER).get('/remediations?entityRef=component:default/checkout')
    ).body;
    expect(h.items.map((i: any) => [i.ruleId, i.state])).toEqual([
      ['checkout-chaos-halt', 'succeeded'],
    ]);
  });

  it('refuses a start from the portal in a region no live runner watches, naming the region and why; starts once a runner reports again', async () => {
    await traffic(100);
    const created = await as(OWNER).post('/chaos', {
      entityRef: 'component:default/checkout',
      experiment: seed('latency_checkout.yaml'),
    });
    expect(created.body.experiment.blastRadius.regions).toEqual(['us-east']);
    await as(REVIEWER).post(`/chaos/${created.body.id}/approve`);
    // the only runner (every region) stopped reporting an hour ago
    const hourAgo = Date.now() - 3_600_000;
    await knex('reliability_synthetic_runners').update({ seen_at: hourAgo });
    const refused = await as(OWNER).post(`/chaos/${created.body.id}/start`);
    expect([refused.status, refused.body.error?.message]).toEqual([
      409,
      `Not started: blastRadius.regions.0: us-east has no reachable runner (no runner for us-east since ${new Date(
        hourAgo,
      ).toISOString()}: the replica that ran it stopped reporting); chaos starts only where its steady state is watched`,
    ]);
    expect((await as(OWNER).get(`/chaos/${created.body.id}`)).body.state).toBe(
      'approved',
    );
    expect(target.calls).toEqual([]);
    // the runner reports again: the same start goes ahead
    await scheduler.run('reliability-synthetics-presence');
    const started = await as(OWNER).post(`/chaos/${created.body.id}/start`);
    expect([started.status, started.body.state]).toEqual([200, 'running']);
  });

  it("the guard evaluates PromQL abort conditions on Prometheus: p95 above 1 s for the condition's duration aborts, in the regions the experiment hits", async () => {
    await traffic(100);
    const p95 = (service: string) =>
      `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="${service}"}[5m])))`;
    const experiment = (name: string, service: string) => ({
      ...seed('latency_checkout.yaml'),
      name,
      abortConditions: [
        {
          type: 'promql',
          query: p95(service),
          op: '>',
          threshold: 1,
          for: '1s',
        },
      ],
    });
    const ids: Record<string, number> = {};
    for (const [name, service] of [
      ['latency-fast', 'checkout'],
      ['latency-slow', 'checkout-canary'],
    ]) {
      const created = await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment: experiment(name, service),
      });
      expect([created.status, created.body.error?.message]).toEqual([
        201,
        undefined,
      ]);
      ids[name] = created.body.id;
      await as(REVIEWER).post(`/chaos/${ids[name]}/approve`);
      expect(
        (await as(OWNER).post(`/chaos/${ids[name]}/start`)).body.state,
      ).toBe('running');
    }
    // the first breach starts the condition's clock; a second guard run a second later aborts
    await scheduler.run('reliability-chaos-guard');
    expect(
      (await as(OWNER).get(`/chaos/${ids['latency-slow']}`)).body.state,
    ).toBe('running');
    await new Promise(r => setTimeout(r, 1_100));
    await scheduler.run('reliability-chaos-guard');
    const slow = (await as(OWNER).get(`/chaos/${ids['latency-slow']}`)).body;
    expect(slow.state).toBe('aborted');
    expect(slow.abortReason).toMatch(
      /^guard: abort condition 1 \(histogram_quantile\(0\.95, .*checkout-canary.* > 1 for 1s\): the query's value is 2\.4\d*$/,
    );
    expect(
      (await as(OWNER).get(`/chaos/${ids['latency-fast']}`)).body.state,
    ).toBe('running');
    await eventually(() => target.calls.length >= 1, 20_000);
    expect(target.calls.map(c => JSON.parse(c.body).experiment)).toEqual([
      'latency-slow',
    ]);
    // a condition scoped to the blast radius ({{regions}}) watches the regions the experiment hits
    const regional = (name: string, region: string) => ({
      ...seed('latency_checkout.yaml'),
      name,
      blastRadius: {
        trafficPercent: 5,
        podPercent: 5,
        regions: [region],
        canaryOnly: true,
      },
      abortConditions: [
        {
          type: 'promql',
          query:
            'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="payments",region=~"{{regions}}"}[5m])))',
          op: '>',
          threshold: 1,
          for: '1s',
        },
      ],
    });
    for (const [name, region] of [
      ['regional-west', 'eu-west'],
      ['regional-east', 'us-east'],
    ]) {
      const created = await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment: regional(name, region),
      });
      expect([created.status, created.body.error?.message]).toEqual([
        201,
        undefined,
      ]);
      ids[name] = created.body.id;
      await as(REVIEWER).post(`/chaos/${ids[name]}/approve`);
      expect(
        (await as(OWNER).post(`/chaos/${ids[name]}/start`)).body.state,
      ).toBe('running');
    }
    await scheduler.run('reliability-chaos-guard');
    await new Promise(r => setTimeout(r, 1_100));
    await scheduler.run('reliability-chaos-guard');
    const east = (await as(OWNER).get(`/chaos/${ids['regional-east']}`)).body;
    expect([east.state, east.abortReason]).toEqual([
      'aborted',
      expect.stringMatching(
        /region=~"\{\{regions\}\}".*the query's value is 2\.4/,
      ),
    ]);
    expect(
      (await as(OWNER).get(`/chaos/${ids['regional-west']}`)).body.state,
    ).toBe('running');
    // a placeholder the guard cannot fill is refused by the linter, naming the field
    const unknown = await as(OWNER).post('/chaos/lint', {
      entityRef: 'component:default/checkout',
      experiment: {
        ...regional('y', 'eu-west'),
        abortConditions: [
          {
            type: 'promql',
            query: 'up{cluster="{{cluster}}"}',
            op: '<',
            threshold: 1,
            for: '1m',
          },
        ],
      },
    });
    expect(unknown.body.violations).toEqual([
      {
        field: 'abortConditions.0.query',
        rule: 'abort-condition',
        message:
          'has an unknown placeholder {{cluster}}: use {{regions}} or {{namespaces}}',
      },
    ]);
    // a PromQL condition that does not parse is refused, naming its field
    const broken = await as(OWNER).post('/chaos/lint', {
      entityRef: 'component:default/checkout',
      experiment: {
        ...experiment('x', 'checkout'),
        abortConditions: [
          {
            type: 'promql',
            query: 'rate(x[5m]',
            op: '>',
            threshold: 1,
            for: '1m',
          },
        ],
      },
    });
    expect(broken.body.violations).toEqual([
      {
        field: 'abortConditions.0.query',
        rule: 'abort-condition',
        message: expect.stringMatching(/^is not valid PromQL/),
      },
    ]);
  });

  it('a start from the portal calls the engine through the remediation rules, once; an engine reporting its start does not', async () => {
    await traffic(100);
    const ids: number[] = [];
    for (const name of ['latency-engine', 'latency-engine-2']) {
      const created = await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment: { ...seed('latency_checkout.yaml'), name },
      });
      ids.push(created.body.id);
      await as(REVIEWER).post(`/chaos/${created.body.id}/approve`);
    }
    const [a, b] = await Promise.all([
      as(OWNER).post(`/chaos/${ids[0]}/start`),
      as(OWNER).post(`/chaos/${ids[0]}/start`),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect((a.status === 200 ? a : b).body).toMatchObject({
      state: 'running',
      engineCalls: ['checkout-chaos-start'],
    });
    await eventually(() => target.calls.length >= 1, 20_000);
    expect(target.calls.map(c => [c.url, JSON.parse(c.body)])).toEqual([
      [
        '/attack',
        {
          experiment: 'latency-engine',
          namespace: 'payments',
          injection: 'latency',
          // the start carries what the experiment hits, so a rule can start the engine of the right place
          regions: 'us-east',
          canary: 'true',
        },
      ],
    ]);
    // the target answered; the execution is recorded as succeeded right after
    let h: any;
    await eventually(async () => {
      h = (
        await as(OWNER).get(
          '/remediations?entityRef=component:default/checkout',
        )
      ).body;
      return h.items[0]?.state === 'succeeded';
    }, 20_000);
    expect(
      h.items.map((i: any) => [i.ruleId, i.state, i.triggerLabels.alertname]),
    ).toEqual([
      ['checkout-chaos-start', 'succeeded', 'ChaosExperimentStarted'],
    ]);
    // no rule matches the second experiment: it runs, and the answer says no engine was called
    expect((await as(OWNER).post(`/chaos/${ids[1]}/start`)).body).toMatchObject(
      { state: 'running', engineCalls: [] },
    );
    await new Promise(r => setTimeout(r, 300));
    expect(target.calls).toHaveLength(1);
  });

  it('the kill switch halts at once', async () => {
    await traffic(100);
    const id = (
      await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment: seed('latency_checkout.yaml'),
      })
    ).body.id;
    await as(REVIEWER).post(`/chaos/${id}/approve`);
    await as(OWNER).post(`/chaos/${id}/start`);
    expect((await as(OWNER).post(`/chaos/${id}/abort`, {})).body).toMatchObject(
      { state: 'aborted', abortReason: 'kill switch' },
    );
    await eventually(() => target.calls.length >= 1, 20_000);
    expect(target.calls).toHaveLength(1);
  });

  it('two replicas on one database abort once and halt once', async () => {
    const second = manualScheduler();
    await replica(knex, second);
    await traffic(100);
    const experiment = {
      ...seed('latency_checkout.yaml'),
      abortConditions: [{ type: 'budget-spent', percent: 5, within: '90s' }],
    };
    const id = (
      await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment,
      })
    ).body.id;
    await as(REVIEWER).post(`/chaos/${id}/approve`);
    await as(OWNER).post(`/chaos/${id}/start`);
    await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: new Date().toISOString(),
            good: 0,
            total: 20,
          },
        ],
      });
    // both replicas' guards at once
    await Promise.all([
      scheduler.run('reliability-chaos-guard'),
      second.run('reliability-chaos-guard'),
    ]);
    expect((await as(OWNER).get(`/chaos/${id}`)).body.state).toBe('aborted');
    await eventually(() => target.calls.length >= 1, 20_000);
    await new Promise(r => setTimeout(r, 500));
    expect(target.calls).toHaveLength(1);
  });
});
