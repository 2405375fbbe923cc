// The schedule through the plugin: GET /chaos/:id/runs (next run, the environment rule, the run history) and the
// reliability-chaos-schedule task ending a portal start at its duration and halting the engine, on SQLite and
// PostgreSQL.
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { component, ingestSlo } from '../__testUtils__/entities';
import { eventually, startTarget } from '../__testUtils__/targets';

jest.setTimeout(90_000);

const OWNER = 'user:default/mei';
const REVIEWER = 'user:default/ana';
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const experiment = (name: string, environment: string) => ({
  name,
  hypothesis: 'Checkout keeps its SLO while PaymentSvc is slow.',
  target: { namespace: 'payments', deployment: 'payment-svc' },
  blastRadius: { trafficPercent: 5 },
  steadyState: { slo: 'default/checkout-success' },
  injection: { type: 'latency', ms: 300 },
  duration: '10m',
  schedule: { type: 'cron', cron: '0 2 * * *' },
  environment,
  owner: 'group:default/payments-sre',
  approver: REVIEWER,
  abortConditions: [{ type: 'budget-spent', percent: 50, within: '90s' }],
});

/** The next 02:00 UTC after `t`. */
function next2am(t: number): string {
  const d = new Date(t);
  d.setUTCHours(2, 0, 0, 0);
  return new Date(
    d.getTime() <= t ? d.getTime() + DAY : d.getTime(),
  ).toISOString();
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('the chaos schedule through the plugin on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let target: Awaited<ReturnType<typeof startTarget>>;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.close());

  it("answers a scheduled experiment's next run and its environment rule, and ends a portal start at its duration with one halt", async () => {
    const scheduler = manualScheduler();
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            component('checkout'),
            ingestSlo('checkout-success', 'checkout'),
          ],
        }),
        mockServices.database.factory({
          knex: await databases.init(databaseId),
        }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
          authorizeConditional: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              remediation: {
                rules: [
                  {
                    id: 'checkout-chaos-halt',
                    entityRef: 'component:default/checkout',
                    match: ['alertname="ChaosExperimentAborted"'],
                    triggers: ['alert'],
                    action: 'webhook',
                    params: {
                      url: `${target.url}/halt`,
                      body: {
                        experiment: '{{experiment}}',
                        severity: '{{severity}}',
                        reason: '{{annotations.summary}}',
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
    await scheduler.evaluate();
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
    });
    const approved = async (name: string, environment: string) => {
      const created = await as(OWNER).post('/chaos', {
        entityRef: 'component:default/checkout',
        experiment: experiment(name, environment),
      });
      expect([created.status, created.body.error?.message]).toEqual([
        201,
        undefined,
      ]);
      const ok = await as(REVIEWER).post(`/chaos/${created.body.id}/approve`);
      expect([ok.status, ok.body.error?.message]).toEqual([200, undefined]);
      return created.body.id as number;
    };

    // a draft has no next run; approved, its next run is the next 02:00 UTC
    const staging = await approved('nightly-staging', 'staging');
    const before = Date.now();
    const runs = await as(OWNER).get(`/chaos/${staging}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.body).toEqual({
      items: [],
      nextRunAt: expect.any(String),
      scheduleBlocked: null,
    });
    expect([next2am(before), next2am(Date.now())]).toContain(
      runs.body.nextRunAt,
    );
    // production: scheduled starts are refused by default, and the answer says so
    const prod = await approved('nightly-production', 'production');
    expect((await as(OWNER).get(`/chaos/${prod}/runs`)).body).toMatchObject({
      scheduleBlocked:
        'scheduled runs are not allowed in production (reliability.chaos.schedule.environments: by default every environment but production)',
    });
    expect(
      (await as(OWNER).get(`/chaos/${staging}/runs?limit=0`)).body.error
        .message,
    ).toMatch(/limit/);

    // a portal start (the SLO evaluated with a full budget) is a manual run that ends 10 minutes later
    const res = await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: new Date(
              Math.floor(Date.now() / MIN) * MIN - 30_000,
            ).toISOString(),
            good: 10_000,
            total: 10_000,
          },
        ],
      });
    expect(res.status).toBe(202);
    await scheduler.evaluate();
    const started = await as(OWNER).post(`/chaos/${staging}/start`);
    expect([started.status, started.body.error?.message]).toEqual([
      200,
      undefined,
    ]);
    const endsAt = Date.parse(started.body.startedAt) + 10 * MIN;
    expect((await as(OWNER).get(`/chaos/${staging}/runs`)).body.items).toEqual([
      expect.objectContaining({
        trigger: 'manual',
        state: 'running',
        scheduledFor: null,
        startedAt: started.body.startedAt,
        endsAt: new Date(endsAt).toISOString(),
      }),
    ]);

    // the task before the end changes nothing; at the end it ends the run (a cron experiment goes back to approved)
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(endsAt - 1_000);
      await scheduler.run('reliability-chaos-schedule');
      clock.mockReturnValue(endsAt);
      await scheduler.run('reliability-chaos-schedule');
    } finally {
      clock.mockRestore();
    }
    const after = await as(OWNER).get(`/chaos/${staging}`);
    expect(after.body).toMatchObject({
      state: 'approved',
      finishedAt: new Date(endsAt).toISOString(),
    });
    expect(
      (await as(OWNER).get(`/chaos/${staging}/runs`)).body.items[0],
    ).toMatchObject({
      state: 'completed',
      reason: 'its duration (10m) is over',
    });
    // eventually answers once the halt has come (truthy)
    const halt = (await eventually(() =>
      target.calls.find(c => c.url === '/halt'),
    ))!;
    expect(JSON.parse(halt.body)).toEqual({
      experiment: 'nightly-staging',
      severity: 'info',
      reason:
        'Chaos experiment nightly-staging ended: its duration (10m) is over',
    });
    // another tick: nothing more to end, no second halt
    await scheduler.run('reliability-chaos-schedule');
    await new Promise(r => setTimeout(r, 300));
    expect(target.calls.filter(c => c.url === '/halt')).toHaveLength(1);
    target.calls.length = 0;
  });
});
