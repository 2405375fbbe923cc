import { createServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import request from 'supertest';
import { reliabilityPlugin } from './plugin';
import { component, ingestSlo } from './__testUtils__/entities';
import { manualScheduler } from './__testUtils__/scheduler';

jest.setTimeout(60_000);

describe('notifications', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it("tells the entity's owners once when an SLO starts burning at page level, with a topic to mute and a link; signals the commander view", async () => {
    const send = jest.fn(async () => undefined);
    const publish = jest.fn(async () => undefined);
    const scheduler = manualScheduler();
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({ entities: [component('checkout'), ingestSlo('checkout-success')] }),
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        createServiceFactory({ service: notificationService, deps: {}, factory: () => ({ send }) }),
        createServiceFactory({ service: signalsServiceRef, deps: {}, factory: () => ({ publish }) }),
        mockServices.rootConfig.factory({ data: { reliability: { alerting: { pendingFor: '0' }, evaluation: { schedule: { frequency: { hours: 24 }, timeout: { minutes: 1 }, initialDelay: { hours: 24 } } } } } }),
      ],
    });
    await scheduler.evaluate();
    // half of the last ten minutes' requests failed: a fast burn against a 99% objective
    const events = Array.from({ length: 10 }, (_, i) => ({ slo: 'default/checkout-success', timestamp: new Date(Date.now() - (i + 2) * 60_000).toISOString(), good: 50, total: 100 }));
    expect((await request(server).post('/api/reliability/sli-events').set('Authorization', mockCredentials.service.header()).send({ events })).status).toBe(202);
    await scheduler.evaluate();
    await scheduler.evaluate();
    const burns = (send.mock.calls as any[]).filter(([o]) => o.payload.topic === 'slo-burn:component:default/checkout');
    expect(burns.length).toBeGreaterThanOrEqual(1);
    // one per rule that started firing, none repeated on the next tick
    expect(new Set(burns.map(([o]) => o.payload.title)).size).toBe(burns.length);
    expect(burns[0][0]).toMatchObject({
      recipients: { type: 'entity', entityRef: 'component:default/checkout' },
      payload: { title: expect.stringMatching(/^checkout-success is burning its error budget \(page /), link: '/catalog/default/component/checkout/reliability', severity: 'high' },
    });
    expect(publish).toHaveBeenCalledWith({ recipients: { type: 'broadcast' }, channel: 'reliability:commander', message: { reason: 'alert-fired', entityRef: 'component:default/checkout' } });
  });
});
