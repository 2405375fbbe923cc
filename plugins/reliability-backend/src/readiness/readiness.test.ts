import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { readFileSync } from 'fs';
import path from 'path';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const OWNER = 'user:default/mei';
const summary = JSON.parse(
  readFileSync(
    path.join(
      __dirname,
      '../../../reliability-common/src/capacity/__fixtures__/k6-handle-summary.json',
    ),
    'utf8',
  ),
);

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('readiness on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    const checkout = component('checkout');
    checkout.metadata.annotations = {
      'reliability.io/rto': '5m',
      'reliability.io/rpo': '60s',
      'reliability.io/runbook': 'https://runbooks.example/checkout',
      'reliability.io/degradation': 'breakers, brownout, load-shedding',
      'reliability.io/latency-p95': '1s',
    };
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            checkout,
            component('inventory'),
            ingestSlo('checkout-success'),
          ],
        }),
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
              remediation: {
                rules: [
                  {
                    id: 'checkout-restart',
                    entityRef: 'component:default/checkout',
                    triggers: ['manual'],
                    action: 'webhook',
                    params: { url: 'http://127.0.0.1:9/restart' },
                  },
                ],
              },
            },
          },
        }),
      ],
    }));
    await scheduler.evaluate();
  });

  const get = (ref: string) =>
    request(server)
      .get(`/api/reliability/readiness?entityRef=${ref}`)
      .set('Authorization', mockCredentials.user.header(OWNER));
  const states = (body: any) =>
    Object.fromEntries(body.items.map((i: any) => [i.id, i.state]));

  it('scores a service from its stores and rises as proof arrives', async () => {
    const before = await get('component:default/checkout');
    expect(before.status).toBe(200);
    expect(states(before.body)).toEqual({
      'journey-slos': 'passed',
      'burn-rate-alerts': 'failed',
      runbook: 'passed',
      synthetics: 'failed',
      drill: 'failed',
      capacity: 'failed',
      remediation: 'passed',
      chaos: 'failed',
      degradation: 'passed',
    });
    expect([
      before.body.score,
      before.body.passed,
      before.body.applicable,
    ]).toEqual([44, 4, 9]);
    expect(before.body.items[1]).toMatchObject({
      reason:
        '1 of 1 SLOs rely on the built-in default table: write their alertPolicies, the burn-rate annotation, or rows in the burn-rate CSV',
      fix: { href: '/create' },
    });

    const as = (p: string, body: object) =>
      request(server)
        .post(`/api/reliability${p}`)
        .set('Authorization', mockCredentials.service.header())
        .send(body);
    // the owner records a drill from the form; CI posts a load test
    const owner = (p: string, body: object) =>
      request(server)
        .post(`/api/reliability${p}`)
        .set('Authorization', mockCredentials.user.header(OWNER))
        .send(body);
    expect(
      (
        await owner('/drills', {
          entityRef: 'component:default/checkout',
          drill: {
            date: new Date().toISOString().slice(0, 10),
            region: 'ap-sg',
            durationMin: 4,
            success: true,
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await as('/capacity/runs', {
          entityRef: 'component:default/checkout',
          testType: 'stress',
          commit: 'abc',
          summary,
        })
      ).status,
    ).toBe(201);
    const after = await get('component:default/checkout');
    expect([
      states(after.body).drill,
      states(after.body).capacity,
      after.body.score,
    ]).toEqual(['passed', 'passed', 67]);
    expect(after.body.items.find((i: any) => i.id === 'drill').reason).toMatch(
      /^Last successful drill 0 days ago; RTO 5m, RPO 60s$/,
    );
  });

  it('fails every item of a service with nothing, and answers 404 and 400 by name', async () => {
    const none = await get('component:default/inventory');
    expect([
      none.body.score,
      none.body.items.filter((i: any) => i.state === 'failed').length,
    ]).toEqual([0, 9]);
    expect((await get('component:default/nope')).status).toBe(404);
    const bad = await request(server)
      .get('/api/reliability/readiness')
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect([bad.status, bad.body.error.message]).toEqual([
      400,
      expect.stringMatching(/^Invalid query: entityRef/),
    ]);
  });
});
