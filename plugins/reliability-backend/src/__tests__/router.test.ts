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

jest.setTimeout(60_000);

const slo = (
  name: string,
  service: string,
  extra: Record<string, unknown> = {},
): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default', displayName: `${name} title` },
  spec: {
    service,
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
          total: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        },
      },
    },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99 }],
    ...extra,
  },
  relations: [{ type: 'measures', targetRef: `component:default/${service}` }],
});

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checkout', namespace: 'default' },
    spec: { owner: 'payments-sre' },
  },
  slo('checkout-success', 'checkout'),
  {
    ...slo('prom-slo', 'search'),
    spec: {
      ...(slo('prom-slo', 'search').spec as any),
      indicator: {
        spec: {
          ratioMetric: {
            counter: true,
            good: {
              metricSource: { type: 'Prometheus', spec: { query: 'a' } },
            },
            total: {
              metricSource: { type: 'Prometheus', spec: { query: 'b' } },
            },
          },
        },
      },
    },
  },
];

const now = () => new Date().toISOString();
const minutesAgo = (m: number) =>
  new Date(Date.now() - m * 60_000).toISOString();

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('reliability API on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let knex: any;
  let scheduler: ReturnType<typeof manualScheduler>;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({ entities }),
        mockServices.database.factory({ knex }),
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
    // the scheduled tick registers the catalog's SLOs
    await scheduler.evaluate();
  });

  it('requires authentication', async () => {
    const res = await request(server)
      .get('/api/reliability/slos')
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
  });

  it('lets the tab revalidate cheaply: an ETag, no-cache, and 304 while nothing changed', async () => {
    const get = (etag?: string) => {
      const r = request(server)
        .get('/api/reliability/slos?entityRef=component:default/checkout')
        .set('Authorization', mockCredentials.user.header());
      return etag ? r.set('If-None-Match', etag) : r;
    };
    const first = await get();
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect(first.headers.vary).toMatch(/Authorization/);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^W\/"/);
    const again = await get(etag);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    // a new evaluation changes the answer, and with it the tag
    await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: new Date(Date.now() - 120_000).toISOString(),
            good: 1,
            total: 2,
          },
        ],
      });
    await scheduler.evaluate();
    const changed = await get(etag);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('lists the SLOs of an entity with an evaluated status', async () => {
    const ingest = await request(server)
      .post('/api/reliability/sli-events')
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: minutesAgo(30),
            good: 990,
            total: 1000,
          },
          {
            slo: 'default/checkout-success',
            timestamp: minutesAgo(3),
            good: 95,
            total: 100,
          },
        ],
      });
    expect(ingest.status).toBe(202);
    expect(ingest.body).toEqual({ accepted: 2 });
    // statuses are what the last tick stored: not evaluated again on read
    const stale = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'component:default/checkout' });
    expect(stale.body.items[0].status.total).toBe(0);
    await scheduler.evaluate();

    const res = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'component:default/checkout' });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const item = res.body.items[0];
    expect(item).toMatchObject({
      ref: 'default/checkout-success',
      entityRef: 'slo:default/checkout-success',
      objective: 0.99,
      window: '30d',
      componentRef: 'component:default/checkout',
    });
    // 15 bad of 1100 against a 1% budget
    expect(item.status.sli).toBeCloseTo(1085 / 1100, 12);
    expect(item.status.budgetRemaining).toBeCloseTo(1 - 15 / 1100 / 0.01, 9);
    expect(item.status.burnRates['5m']).toBeCloseTo(5, 9);
    expect(item.status.burnRates['1h']).toBeCloseTo(15 / 1100 / 0.01, 9);
    expect(item.status.state).toBe('exhausted');
    expect(Object.keys(item.status.burnRates)).toEqual([
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
      '30d',
    ]);
  });

  it('reports no data, with the reason, for an SLO whose source is not installed', async () => {
    const res = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'component:default/search' });
    expect(res.status).toBe(200);
    expect(res.body.items[0].status).toMatchObject({
      state: 'no_data',
      // no Prometheus is configured: no source serves the type, and the reason names what the suite reads
      reason:
        'no data: the suite reads synthetics and the built-in ingest; this SLO reads Prometheus',
    });
  });

  it('answers an empty list for an entity without SLOs', async () => {
    const res = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'component:default/inventory' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });

  it('rejects a bad entityRef naming the field', async () => {
    const res = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'checkout' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /entityRef: must be a full entity ref/,
    );
  });

  // every batch below starts with a valid event, which must not be stored when a later one is bad
  const valid = () => ({
    slo: 'default/checkout-success',
    timestamp: minutesAgo(2),
    good: 1,
    total: 1,
  });
  const ev = (over: Record<string, unknown>) => ({ ...valid(), ...over });
  it.each([
    [{ events: [] }, /events: must hold at least one event/],
    [{}, /events: is required/],
    [
      { events: [valid(), ev({ timestamp: 'yesterday' })] },
      /events\.1\.timestamp: must be an ISO-8601 timestamp/,
    ],
    [
      { events: [valid(), ev({ good: 5, total: 1 })] },
      /events\.1\.good: must be <= total/,
    ],
    [{ events: [valid(), ev({ good: -1 })] }, /events\.1\.good: must be >= 0/],
    [
      { events: [valid(), ev({ good: 1.5, total: 2 })] },
      /events\.1\.good: must be an integer/,
    ],
    [
      { events: [valid(), ev({ total: '7' })] },
      /events\.1\.total: must be a number/,
    ],
    [
      { events: [valid(), ev({ slo: 'checkout-success' })] },
      /events\.1\.slo: must be "<namespace>\/<name>"/,
    ],
    [{ events: [valid(), ev({ extra: 1 })] }, /events\.1: Unrecognized key/],
    [
      { events: [valid(), ev({ timestamp: minutesAgo(60 * 24 * 40) })] },
      /events\.1\.timestamp: is older than the accepted lateness/,
    ],
    [
      { events: [valid(), ev({ timestamp: minutesAgo(-60) })] },
      /events\.1\.timestamp: is more than 5 minutes in the future/,
    ],
  ])(
    'rejects bad events with 400 and stores none of the batch (%#)',
    async (body, message) => {
      const res = await request(server)
        .post('/api/reliability/sli-events')
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(message);
      const list = await request(server)
        .get('/api/reliability/slos')
        .query({ entityRef: 'component:default/checkout' });
      expect(list.body.items[0].status.total).toBe(0);
    },
  );

  it('closes the launch-freeze gate when the weekly budget is below 25%, naming the SLO', async () => {
    // 8 bad of 1,000 against a 1% budget: 20% of the week's budget left
    const ingest = await request(server)
      .post('/api/reliability/sli-events')
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: minutesAgo(60),
            good: 992,
            total: 1000,
          },
        ],
      });
    expect(ingest.status).toBe(202);
    // the gate answers from the snapshots: what the last tick counted, until the next one
    const before = await request(server)
      .get('/api/reliability/gate')
      .query({ entityRef: 'component:default/checkout' });
    expect(before.body).toMatchObject({ allow: true, budgetRemaining: null });
    await scheduler.evaluate();
    const res = await request(server)
      .get('/api/reliability/gate')
      .query({ entityRef: 'component:default/checkout' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      allow: false,
      threshold: 0.25,
      window: '7d',
    });
    expect(res.body.budgetRemaining).toBeCloseTo(0.2, 9);
    expect(res.body.reason).toBe(
      'launch freeze: default/checkout-success has 20% of its 7d error budget left (threshold 25%)',
    );
  });

  it('opens the gate with budget left, and says why', async () => {
    await request(server)
      .post('/api/reliability/sli-events')
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: minutesAgo(60),
            good: 999,
            total: 1000,
          },
        ],
      });
    await scheduler.evaluate();
    const open = await request(server)
      .get('/api/reliability/gate')
      .query({ entityRef: 'component:default/checkout' });
    expect(open.body).toMatchObject({
      allow: true,
      reason:
        'every SLO has at least 25% of its 7d error budget left (lowest 90%)',
    });
    const none = await request(server)
      .get('/api/reliability/gate')
      .query({ entityRef: 'component:default/inventory' });
    expect(none.body).toMatchObject({
      allow: true,
      reason: 'no SLOs: nothing to protect',
      budgetRemaining: null,
    });
    const bad = await request(server).get('/api/reliability/gate');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/entityRef: is required/);
  });

  it('serves one SLO by name and rejects malformed names', async () => {
    const one = await request(server).get(
      '/api/reliability/slos/default/checkout-success',
    );
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      ref: 'default/checkout-success',
      title: 'checkout-success title',
      sourceType: 'Ingest',
    });
    const bad = await request(server).get(
      `/api/reliability/slos/default/${encodeURIComponent('bad name!')}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(
      /Invalid path: namespace and name must be/,
    );
    const rules = await request(server).get(
      `/api/reliability/slos/${encodeURIComponent(
        'x y',
      )}/checkout-success/prometheus-rules`,
    );
    expect(rules.status).toBe(400);
  });

  it('lists the alerts of an entity, filtered by state', async () => {
    // only these alerts (the start-up tick opened a no-data alert for the Prometheus SLO: no Prometheus here)
    await knex('reliability_alerts').delete();
    const t = Date.now();
    await knex('reliability_alerts').insert([
      {
        slo_ref: 'default/checkout-success',
        rule: 'page 14.4x 1h&5m',
        severity: 'page',
        state: 'firing',
        open_key: 'default/checkout-success|page 14.4x 1h&5m',
        started_at: t - 120_000,
        fired_at: t - 60_000,
        last_seen_at: t,
      },
      {
        slo_ref: 'default/checkout-success',
        rule: 'no_data',
        severity: 'ticket',
        state: 'resolved',
        open_key: null,
        started_at: t - 600_000,
        resolved_at: t - 300_000,
        last_seen_at: t - 300_000,
      },
      {
        slo_ref: 'default/prom-slo',
        rule: 'no_data',
        severity: 'ticket',
        state: 'firing',
        open_key: 'default/prom-slo|no_data',
        started_at: t,
        fired_at: t,
        last_seen_at: t,
      },
    ]);
    const active = await request(server)
      .get('/api/reliability/alerts')
      .query({ entityRef: 'component:default/checkout', state: 'active' });
    expect(active.status).toBe(200);
    expect(
      active.body.items.map((a: any) => [a.sloRef, a.rule, a.state]),
    ).toEqual([['default/checkout-success', 'page 14.4x 1h&5m', 'firing']]);
    const all = await request(server).get('/api/reliability/alerts');
    expect(all.body.items).toHaveLength(3);
    const bad = await request(server)
      .get('/api/reliability/alerts')
      .query({ state: 'burning' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(
      /state: must be one of pending, firing, resolved, active/,
    );
  });

  it('keeps the Alertmanager receiver off without a shared secret', async () => {
    const res = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .send({ version: '4' });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(
      /set reliability\.alertmanager\.sharedSecret/,
    );
  });

  it('answers 404 for events of an unknown SLO and stores nothing', async () => {
    const res = await request(server)
      .post('/api/reliability/sli-events')
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: now(),
            good: 1,
            total: 1,
          },
          { slo: 'default/nope', timestamp: now(), good: 1, total: 1 },
        ],
      });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(
      /events\.1\.slo: no SLO named default\/nope/,
    );
    const list = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'component:default/checkout' });
    expect(list.body.items[0].status.total).toBe(0);
  });

  it('serves downsampled history for both charts', async () => {
    const events = Array.from({ length: 120 }, (_, i) => ({
      slo: 'default/checkout-success',
      timestamp: minutesAgo(120 - i),
      good: i === 100 ? 50 : 100,
      total: 100,
    }));
    expect(
      (
        await request(server)
          .post('/api/reliability/sli-events')
          .send({ events })
      ).status,
    ).toBe(202);
    const res = await request(server)
      .get('/api/reliability/slos/default/checkout-success/history')
      .query({ points: 20, window: '5m' });
    expect(res.status).toBe(200);
    expect(res.body.points).toHaveLength(20);
    expect(res.body.downsampledFrom).toBeGreaterThanOrEqual(119);
    expect(res.body.burnRateWindow).toBe('5m');
    expect(res.body.thresholds.map((t: any) => t.burnRate)).toEqual([
      14.4, 6, 3, 1,
    ]);
    // the spike (50 bad in 5 minutes of 500 = 10% bad, 10x a 1% budget) survives downsampling
    expect(
      Math.max(...res.body.points.map((p: any) => p.burnRate ?? 0)),
    ).toBeCloseTo(10, 9);
    const last = res.body.points[res.body.points.length - 1];
    expect(last.budgetRemaining).toBeCloseTo(1 - 50 / 12000 / 0.01, 9);
  });

  it('validates history queries and answers 404 for unknown SLOs', async () => {
    const bad = await request(server)
      .get('/api/reliability/slos/default/checkout-success/history')
      .query({ points: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/points: must be >= 3/);
    const win = await request(server)
      .get('/api/reliability/slos/default/checkout-success/history')
      .query({ window: '7m' });
    expect(win.status).toBe(400);
    expect(win.body.error.message).toMatch(/window: must be one of 5m, 30m/);
    const order = await request(server)
      .get('/api/reliability/slos/default/checkout-success/history')
      .query({ from: now(), to: minutesAgo(60) });
    expect(order.status).toBe(400);
    expect(order.body.error.message).toMatch(/from: must be before to/);
    const missing = await request(server).get(
      '/api/reliability/slos/default/missing/history',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/No SLO named default\/missing/);
  });
});
