import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(90_000);

const MIN = 60_000;
const ingest = {
  metricSource: {
    type: 'Ingest',
    spec: { endpoint: '/api/reliability/sli-events' },
  },
};
const journey: Entity = {
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: {
    name: 'checkout-journey',
    namespace: 'default',
    displayName: 'Checkout journey',
  },
  spec: {
    service: 'checkout',
    timeWindow: [{ duration: '28d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [
      {
        displayName: 'Login',
        target: 0.999,
        compositeWeight: 2,
        indicator: {
          metadata: { name: 'login-success' },
          spec: { ratioMetric: { counter: true, good: ingest, total: ingest } },
        },
      },
      {
        displayName: 'Payment latency',
        target: 0.99,
        op: 'lte',
        value: 800,
        indicator: {
          metadata: { name: 'payment-p99' },
          spec: { thresholdMetric: ingest },
        },
      },
    ],
  },
  relations: [{ type: 'measures', targetRef: 'component:default/checkout' }],
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('composite SLOs on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        mockServices.database.factory({ knex }),
        catalogServiceMock.factory({ entities: [journey] }),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
            },
          },
        }),
      ],
    });
    server = backend.server;
    await scheduler.evaluate();
  });

  const ago = (minutes: number) =>
    new Date(
      Math.floor(Date.now() / MIN) * MIN - minutes * MIN + 10_000,
    ).toISOString();
  const post = (path: string, body: object) =>
    request(server)
      .post(`/api/reliability${path}`)
      .set('Authorization', mockCredentials.service.header())
      .send(body);
  const get = (path: string) =>
    request(server)
      .get(`/api/reliability${path}`)
      .set('Authorization', mockCredentials.user.header());

  it('counts each objective under its own ref and answers one status, one chart and one gate entry, combined by weight', async () => {
    // login: 2 bad of 1,000 (0.2% at 99.9%: 2x); payment: 5 values over 800 ms of 100 (5% at 99%: 5x)
    expect(
      (
        await post('/sli-events', {
          events: [
            {
              slo: 'default/checkout-journey._login',
              timestamp: ago(3),
              good: 998,
              total: 1000,
            },
          ],
        })
      ).status,
    ).toBe(202);
    const values = Array.from({ length: 100 }, (_, i) => ({
      slo: 'default/checkout-journey._payment-latency',
      timestamp: ago(2),
      value: i < 5 ? 950 : 300,
    }));
    expect((await post('/sli-values', { values })).status).toBe(202);
    await scheduler.evaluate();

    const list = await get('/slos?entityRef=component:default/checkout');
    expect(list.body.items.map((s: any) => s.ref)).toEqual([
      'default/checkout-journey',
    ]);
    const s = list.body.items[0].status;
    expect(s.burnRates['1h']).toBeCloseTo((2 * 2 + 5) / 3, 6);
    // all of it inside the 28 days as well: the budgets are overspent, (2 x (1 - 2) + (1 - 5)) / 3 = -2
    expect(s.budgetRemaining).toBeCloseTo(-2, 6);
    expect(s.state).toBe('exhausted');
    expect(
      s.composite.map((o: any) => [o.displayName, o.weight, o.sli]),
    ).toEqual([
      ['Login', 2, 0.998],
      ['Payment latency', 1, 0.95],
    ]);
    expect([s.good, s.total]).toEqual([1093, 1100]);

    const history = await get(
      '/slos/default/checkout-journey/history?window=1h&points=50',
    );
    expect(history.status).toBe(200);
    const last = history.body.points[history.body.points.length - 1];
    expect(last.burnRate).toBeCloseTo((2 * 2 + 5) / 3, 6);

    const gate = await get('/gate?entityRef=component:default/checkout');
    expect(gate.body.slos.map((x: any) => x.ref)).toEqual([
      'default/checkout-journey',
    ]);
    expect(gate.body.slos[0].budgetRemaining).not.toBeNull();

    // the composite itself has no SLI to report
    const refused = await post('/sli-events', {
      events: [
        {
          slo: 'default/checkout-journey',
          timestamp: ago(1),
          good: 1,
          total: 1,
        },
      ],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(
      /events\.0\.slo: default\/checkout-journey is a composite SLO: report each objective under its own ref \(default\/checkout-journey\._login, default\/checkout-journey\._payment-latency\)/,
    );
    expect(
      (
        await post('/sli-events', {
          events: [
            {
              slo: 'default/checkout-journey._made-up',
              timestamp: ago(1),
              good: 1,
              total: 1,
            },
          ],
        })
      ).status,
    ).toBe(404);
  });
});
