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

/** An SLO of checkout whose SLI is on a vendor's source the suite cannot read. */
const slo = (
  name: string,
  indicator: object,
  objective: object,
  service = 'checkout',
): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default' },
  spec: {
    service,
    indicator: { spec: indicator },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [objective],
  },
  relations: [{ type: 'measures', targetRef: `component:default/${service}` }],
});

// OpenSLO's CloudWatch and Datadog metric sources, as their examples write them
const cloudWatch = (metricName: string) => ({
  metricSource: {
    type: 'CloudWatch',
    spec: {
      region: 'eu-west-1',
      namespace: 'AWS/ApplicationELB',
      metricName,
      stat: 'Sum',
      dimensions: [{ name: 'LoadBalancer', value: 'app/checkout/1234' }],
    },
  },
});
const entities = [
  slo(
    'checkout-availability',
    {
      ratioMetric: {
        counter: true,
        good: cloudWatch('HTTPCode_Target_2XX_Count'),
        total: cloudWatch('RequestCount'),
      },
    },
    { targetPercent: 99 },
  ),
  slo(
    'checkout-latency',
    {
      thresholdMetric: {
        metricSource: {
          type: 'Datadog',
          spec: {
            query: 'p95:trace.http.request.duration{service:checkout}',
          },
        },
      },
    },
    { op: 'lte', value: 300, target: 0.9 },
  ),
];

const WHAT_IS_READ =
  'the suite reads Prometheus, synthetics and the built-in ingest';

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('SLOs on sources the suite cannot read, on %p', databaseId => {
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
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              // a Prometheus is configured (nothing here reads it): the reason names it among the sources read
              prometheus: {
                instances: [{ name: 'main', url: 'http://127.0.0.1:9' }],
              },
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
    // the scheduled tick registers the catalog's SLOs and evaluates them
    await scheduler.evaluate();
  });

  const get = (path: string, query: object = {}) =>
    request(server)
      .get(`/api/reliability${path}`)
      .set('Authorization', mockCredentials.user.header())
      .query(query);
  const status = async (name: string) => {
    const res = await get(`/slos/default/${name}`);
    expect(res.status).toBe(200);
    return res.body.status;
  };
  const ago = (minutes: number) =>
    new Date(Math.floor(Date.now() / MIN) * MIN - minutes * MIN).toISOString();

  it('keeps them, with no data and the reason naming what the suite reads and what they read', async () => {
    const list = await get('/slos', {
      entityRef: 'component:default/checkout',
    });
    expect(list.status).toBe(200);
    expect(
      Object.fromEntries(
        list.body.items.map((i: any) => [
          i.name,
          [i.sourceType, i.status.state, i.status.reason],
        ]),
      ),
    ).toEqual({
      'checkout-availability': [
        'CloudWatch',
        'no_data',
        `no data: ${WHAT_IS_READ}; this SLO reads CloudWatch`,
      ],
      'checkout-latency': [
        'Datadog',
        'no_data',
        `no data: ${WHAT_IS_READ}; this SLO reads Datadog`,
      ],
    });
    // the gate lets launches through and says why; the charts' history answers, empty
    const gate = await get('/gate', {
      entityRef: 'component:default/checkout',
    });
    expect(gate.status).toBe(200);
    expect(gate.body).toMatchObject({ allow: true, budgetRemaining: null });
    expect(gate.body.reason).toBe(
      [
        'no SLO has data over 7d',
        `default/checkout-availability: no data over 7d (no data: ${WHAT_IS_READ}; this SLO reads CloudWatch)`,
        `default/checkout-latency: no data over 7d (no data: ${WHAT_IS_READ}; this SLO reads Datadog)`,
      ].join('; '),
    );
    const history = await get('/slos/default/checkout-availability/history');
    expect(history.status).toBe(200);
    expect(history.body.points).toEqual([]);
  });

  it('counts what is posted for them to the built-in ingest: a real budget, the gate and the charts from it', async () => {
    // 1,000 requests an hour ago, 5 of them bad, against a 1% budget: half of it left
    const events = await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/checkout-availability',
            timestamp: ago(60),
            good: 995,
            total: 1_000,
          },
        ],
      });
    expect(events.status).toBe(202);
    // 20 p95 values, one over 300 ms, against 10% of them allowed over: half the budget left
    const values = await request(server)
      .post('/api/reliability/sli-values')
      .set('Authorization', mockCredentials.service.header())
      .send({
        values: Array.from({ length: 20 }, (_, i) => ({
          slo: 'default/checkout-latency',
          timestamp: ago(30 - i),
          value: i === 7 ? 420 : 180 + i,
        })),
      });
    expect(values.status).toBe(202);
    await scheduler.evaluate();
    const availability = await status('checkout-availability');
    expect(availability).toMatchObject({
      state: 'healthy',
      good: 995,
      total: 1_000,
    });
    expect(availability.reason).toBeUndefined();
    expect(availability.budgetRemaining).toBeCloseTo(0.5, 9);
    const latency = await status('checkout-latency');
    expect(latency).toMatchObject({ good: 19, total: 20 });
    expect(latency.reason).toBeUndefined();
    expect(latency.budgetRemaining).toBeCloseTo(0.5, 9);
    const gate = await get('/gate', {
      entityRef: 'component:default/checkout',
    });
    expect(gate.status).toBe(200);
    expect(gate.body).toMatchObject({
      allow: true,
      reason:
        'every SLO has at least 25% of its 7d error budget left (lowest 50%)',
    });
    const history = await get('/slos/default/checkout-availability/history');
    expect(history.status).toBe(200);
    const last = history.body.points[history.body.points.length - 1];
    expect(last.budgetRemaining).toBeCloseTo(0.5, 9);
  });
});
