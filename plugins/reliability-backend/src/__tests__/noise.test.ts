import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

describe('alerts without noise, through the evaluation tick', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('the minimum-traffic guard keeps a ten-request burn quiet; the exhaustion alert opens when the budget runs out within its horizon', async () => {
    const scheduler = manualScheduler();
    const guarded = ingestSlo('checkout-guarded');
    guarded.metadata.annotations = { 'reliability.io/min-events': '1000' };
    const forecast = ingestSlo('checkout-forecast');
    forecast.metadata.annotations = {
      'reliability.io/exhaustion-alert': '30d',
    };
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [component('checkout'), guarded, forecast],
        }),
        mockServices.database.factory({
          knex: await databases.init('SQLITE_3'),
        }),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              alerting: { pendingFor: '0' },
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
    await scheduler.evaluate();
    const at = (minutesAgo: number) =>
      new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const events = [
      // guarded: 3 of 10 requests failed two minutes ago, a 30x burn on ten events
      { slo: 'default/checkout-guarded', timestamp: at(2), good: 7, total: 10 },
      // forecast: a clean day, then 2% errors over the last ten minutes (a 2x burn of a 99% objective)
      {
        slo: 'default/checkout-forecast',
        timestamp: at(24 * 60),
        good: 1_000_000,
        total: 1_000_000,
      },
      ...Array.from({ length: 10 }, (_, i) => ({
        slo: 'default/checkout-forecast',
        timestamp: at(i + 2),
        good: 980,
        total: 1_000,
      })),
    ];
    expect(
      (
        await request(server)
          .post('/api/reliability/sli-events')
          .set('Authorization', mockCredentials.service.header())
          .send({ events })
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    await scheduler.evaluate();
    const get = (p: string) =>
      request(server)
        .get(`/api/reliability${p}`)
        .set('Authorization', mockCredentials.user.header());
    const alerts = (await get('/alerts?state=active')).body.items.map(
      (a: any) => `${a.sloRef} ${a.rule} ${a.severity} ${a.state}`,
    );
    expect(
      alerts.filter((a: string) => a.startsWith('default/checkout-guarded')),
    ).toEqual([]);
    expect(alerts).toContain(
      'default/checkout-forecast exhaustion within 30d ticket firing',
    );
    const guardedStatus = (await get('/slos/default/checkout-guarded')).body
      .status;
    // ten events are the whole window: its budget is spent (the state says so), but no burn-rate rule pages on them
    expect([
      guardedStatus.state,
      guardedStatus.firing,
      guardedStatus.quieted.length > 0,
    ]).toEqual(['exhausted', [], true]);
  });
});
