import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';

jest.setTimeout(90_000);

const SECRET = 'am-shared-secret-for-tests';

const notification = (over: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="CheckoutHighErrorRate"}',
  status: 'firing',
  receiver: 'backstage',
  groupLabels: { alertname: 'CheckoutHighErrorRate' },
  commonLabels: {
    alertname: 'CheckoutHighErrorRate',
    severity: 'error',
    impact: 'slo_breach',
  },
  commonAnnotations: {},
  externalURL: 'http://127.0.0.1:9093',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'CheckoutHighErrorRate',
        severity: 'error',
        impact: 'slo_breach',
        service: 'checkout',
      },
      annotations: { summary: 'checkout burns its budget' },
      startsAt: '2026-11-22T10:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://127.0.0.1:9090/graph',
      fingerprint: 'a1b2c3d4e5f60718',
    },
  ],
  ...over,
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('Alertmanager receiver on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'checkout', namespace: 'default' },
              spec: { owner: 'sre' },
            },
          ],
        }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              alertmanager: { sharedSecret: SECRET },
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
  });

  const stored = async () =>
    (await request(server).get('/api/reliability/alertmanager/alerts')).body
      .items;

  it('refuses a missing or wrong secret with 401 and stores nothing', async () => {
    const none = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .send(notification());
    expect(none.status).toBe(401);
    const wrong = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', `Bearer ${SECRET}x`)
      .send(notification());
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/missing or wrong shared secret/);
    expect(JSON.stringify(wrong.body)).not.toContain(SECRET);
    expect(await stored()).toEqual([]);
  });

  it.each([
    [{ version: '3' }, /version: must be "4"/],
    [{ alerts: [] }, /alerts: must hold at least one alert/],
    [
      { alerts: [{ ...notification().alerts[0], fingerprint: 'not hex!' }] },
      /alerts\.0\.fingerprint: must be the hex fingerprint/,
    ],
    [{ status: 'pending' }, /status: must be firing or resolved/],
  ])('rejects a bad payload naming the field (%#)', async (over, message) => {
    const res = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', `Bearer ${SECRET}`)
      .send(notification(over));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(await stored()).toEqual([]);
  });

  it('records a notification delivered 100 times concurrently exactly once', async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        request(server)
          .post('/api/reliability/alertmanager/webhook')
          .set('Authorization', `Bearer ${SECRET}`)
          .send(notification()),
      ),
    );
    expect(results.map(r => r.status)).toEqual(Array(100).fill(200));
    expect(results.reduce((n, r) => n + r.body.recorded, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.body.duplicates, 0)).toBe(99);
    const items = await stored();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      fingerprint: 'a1b2c3d4e5f60718',
      status: 'firing',
      alertname: 'CheckoutHighErrorRate',
      duplicates: 99,
      endsAt: null,
    });
    // the resolution of the same alert is a new state, not a duplicate
    const resolved = notification({
      status: 'resolved',
      alerts: [
        {
          ...notification().alerts[0],
          status: 'resolved',
          endsAt: '2026-11-22T10:30:00.000Z',
        },
      ],
    });
    const res = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', `Bearer ${SECRET}`)
      .send(resolved);
    expect(res.body).toEqual({
      received: 1,
      recorded: 1,
      duplicates: 0,
      remediations: [],
    });
    expect((await stored())[0]).toMatchObject({
      status: 'resolved',
      endsAt: '2026-11-22T10:30:00.000Z',
    });
    expect(
      (
        await request(server)
          .get('/api/reliability/alertmanager/alerts')
          .query({ status: 'firing' })
      ).body.items,
    ).toEqual([]);
  });

  it('checks the secret before it parses the body: a wrong secret with a broken or huge body is 401, not 400 or 413', async () => {
    const broken = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', 'Bearer wrong')
      .set('Content-Type', 'application/json')
      .send('{"not json');
    expect(broken.status).toBe(401);
    const huge = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', 'Bearer wrong')
      .set('Content-Type', 'application/json')
      .send(`{"x":"${'a'.repeat(6 * 1024 * 1024)}"}`);
    expect(huge.status).toBe(401);
    // with the right secret, a broken body is a 400 naming the problem
    const bad = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', `Bearer ${SECRET}`)
      .set('Content-Type', 'application/json')
      .send('{"not json');
    expect(bad.status).toBe(400);
  });

  it('stores and shows alerts with huge labels, a long groupKey and a long alertname; the commander view keeps answering', async () => {
    const big = 'x'.repeat(200_000);
    const odd = notification({
      groupKey: `{}:{alertname="${'g'.repeat(2_000)}"}`,
      alerts: [
        {
          ...notification().alerts[0],
          fingerprint: 'ffff0001',
          labels: {
            alertname: 'A'.repeat(300),
            service: big,
            entity: big,
            severity: 'page',
          },
          annotations: { summary: big },
        },
        { ...notification().alerts[0], fingerprint: 'ffff0002' },
      ],
    });
    const res = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', `Bearer ${SECRET}`)
      .send(odd);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 2, recorded: 2 });
    const items = await stored();
    const hugeOne = items.find((i: any) => i.fingerprint === 'ffff0001');
    expect(hugeOne.labels.service).toHaveLength(200_000);
    expect(hugeOne.alertname).toHaveLength(300);
    const commander = await request(server).get(
      '/api/reliability/commander/alerts',
    );
    expect(commander.status).toBe(200);
    const row = commander.body.items.find((i: any) => i.key === 'am-ffff0001');
    expect(row.entityRef).toBe('');
    expect(row.summary.length).toBeLessThanOrEqual(501);
    expect(
      commander.body.items.find((i: any) => i.key === 'am-ffff0002').entityRef,
    ).toBe('component:default/checkout');
  });
});
