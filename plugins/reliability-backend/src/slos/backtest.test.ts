import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import {
  backtest,
  DEFAULT_MWMB_RULES,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const HOUR = 3_600_000;

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('POST /slos/backtest on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    const scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [component('checkout'), ingestSlo('checkout-success')],
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
            },
          },
        }),
      ],
    }));
    await scheduler.evaluate();
  });

  const post = (body: object) =>
    request(server)
      .post('/api/reliability/slos/backtest')
      .set('Authorization', mockCredentials.user.header())
      .send(body);
  const slo = {
    name: 'checkout-availability',
    component: 'component:default/checkout',
    sli: { type: 'availability' },
    objectivePercent: 99,
  };

  it("replays a new objective over an existing SLO's counts: the budget left and the pages, as the pure backtest says", async () => {
    // three days of 1,000 requests an hour at 99.9%, and one hour at 70% two days ago
    const start = Math.floor(Date.now() / HOUR) * HOUR - 72 * HOUR;
    const events = Array.from({ length: 72 }, (_, i) => ({
      slo: 'default/checkout-success',
      timestamp: new Date(start + i * HOUR + 60_000).toISOString(),
      good: i === 24 ? 700 : 999,
      total: 1000,
    }));
    expect(
      (
        await request(server)
          .post('/api/reliability/sli-events')
          .set('Authorization', mockCredentials.service.header())
          .send({ events })
      ).status,
    ).toBe(202);
    const res = await post({
      slo,
      historyFrom: 'default/checkout-success',
      days: 3,
    });
    expect(res.status).toBe(200);
    const hours = Array.from({ length: 72 }, (_, i) => ({
      t: start + i * HOUR,
      good: i === 24 ? 700 : 999,
      total: 1000,
    }));
    const expected = backtest(hours, 0.99, DEFAULT_MWMB_RULES);
    expect(res.body.budgetRemaining).toBeCloseTo(expected.budgetRemaining!, 9);
    expect([res.body.pages, res.body.total, res.body.history]).toEqual([
      expected.pages,
      72_000,
      'the counts reported for default/checkout-success',
    ]);
    expect(res.body.pages).toBe(1);
    expect(res.body.summary).toBe(
      `Over the last 3 days this SLO would have ended with ${Math.round(
        expected.budgetRemaining! * 100,
      )}% of its budget left, and paged 1 time (1 ticket).`,
    );
  });

  it('names what is missing or wrong', async () => {
    const msg = async (body: object) => {
      const r = await post(body);
      return [r.status, r.body.error?.message];
    };
    expect(await msg({ slo })).toEqual([
      400,
      'historyFrom: an ingest SLI has no history until its service reports; name an existing SLO whose counts stand in for it',
    ]);
    expect(await msg({ slo, historyFrom: 'default/nope' })).toEqual([
      404,
      'historyFrom: no SLO default/nope',
    ]);
    expect(
      await msg({
        slo: {
          ...slo,
          source: { type: 'prometheus' },
          sli: { type: 'prometheus', goodQuery: 'a', totalQuery: 'b' },
        },
      }),
    ).toEqual([
      400,
      'slo.source: no Prometheus is configured (reliability.prometheus.instances)',
    ]);
    expect(await msg({ slo: { ...slo, objectivePercent: 100 } })).toEqual([
      400,
      'Invalid slo: objectivePercent: must be below 100 (100% leaves no budget)',
    ]);
    expect(await msg({ slo, days: 365 })).toEqual([
      400,
      'Invalid body: days: must be at most 90',
    ]);
    expect(
      await msg({
        slo: { ...slo, component: 'component:default/nope' },
        historyFrom: 'default/checkout-success',
      }),
    ).toEqual([404, 'No entity component:default/nope']);
  });
});
