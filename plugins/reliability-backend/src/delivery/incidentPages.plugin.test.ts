import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { deliveryPageSchema } from '@reliability-suite/plugin-reliability-common';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { eventually } from '../__testUtils__/targets';
import { FAKE_KEYS, startFakeVendors } from './testing/fakeVendors';

jest.setTimeout(90_000);

const component: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace: 'default' },
  spec: { owner: 'payments-sre', type: 'service', lifecycle: 'production' },
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('incident pages through the plugin on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it("declaring an incident on checkout pages its roles to the owner group's PagerDuty and Slack route; the portal acknowledges it by the incident key; resolving resolves PagerDuty", async () => {
    const fakes = await startFakeVendors();
    const scheduler = manualScheduler();
    const knex = await databases.init(databaseId);
    try {
      const { server } = await startTestBackend({
        features: [
          reliabilityPlugin,
          scheduler.factory,
          catalogServiceMock.factory({ entities: [component] }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              reliability: {
                delivery: {
                  targets: {
                    payments: {
                      type: 'pagerduty',
                      routingKey: FAKE_KEYS.pagerDutyRoutingKey,
                      baseUrl: fakes.urls.pagerduty,
                    },
                    'payments-oncall': { type: 'slack', url: fakes.urls.slack },
                  },
                  routing: {
                    policies: [
                      {
                        name: 'payments-team',
                        match: { owner: 'group:default/payments-sre' },
                        routes: [
                          {
                            severity: 'page',
                            targets: ['payments', 'payments-oncall'],
                          },
                        ],
                      },
                    ],
                  },
                },
              },
            },
          }),
        ],
      });
      const declared = await request(server)
        .post('/api/reliability/incidents')
        .send({
          entityRef: 'component:default/checkout',
          title: 'Checkout errors',
          severity: 'SEV1',
          roles: { commander: 'user:default/ana', comms: 'user:default/cy' },
        });
      expect(declared.status).toBe(201);
      const id = declared.body.id;
      await scheduler.run('reliability-delivery-drain');
      await eventually(
        () =>
          fakes.of('pagerduty').length >= 1 && fakes.of('slack').length >= 1,
      );
      await scheduler.run('reliability-delivery-drain');
      expect(fakes.of('pagerduty')).toHaveLength(1);
      expect(fakes.of('slack')).toHaveLength(1);
      const [trigger] = fakes.of('pagerduty');
      expect(trigger.status).toBe(202);
      expect(trigger.json).toMatchObject({
        event_action: 'trigger',
        payload: {
          source: 'component:default/checkout',
          severity: 'critical',
          custom_details: {
            commander: 'user:default/ana',
            comms: 'user:default/cy',
          },
        },
      });
      const key = trigger.json.dedup_key;
      expect(key).toMatch(
        new RegExp(`^reliability-incident-${id}-[0-9a-f]{8}$`),
      );

      const ack = await request(server).post(
        `/api/reliability/delivery/alerts/${key}/acknowledge`,
      );
      expect(ack.status).toBe(200);
      expect(ack.body).toEqual({ alertKey: key, firstAcknowledgement: true });

      const resolved = await request(server)
        .post(`/api/reliability/incidents/${id}/status`)
        .send({ status: 'resolved', text: 'PSP failover done' });
      expect(resolved.status).toBe(200);
      await scheduler.run('reliability-delivery-drain');
      await eventually(() => fakes.of('pagerduty').length >= 3);
      await scheduler.run('reliability-delivery-drain');
      expect(
        fakes.of('pagerduty').map(c => [c.json.event_action, c.json.dedup_key]),
      ).toEqual([
        ['trigger', key],
        ['acknowledge', key],
        ['resolve', key],
      ]);
      expect(fakes.of('slack')).toHaveLength(2);

      const page = await request(server)
        .get('/api/reliability/delivery')
        .query({ entityRef: 'component:default/checkout' });
      expect(page.status).toBe(200);
      expect(
        deliveryPageSchema.parse(page.body).items.map(d => d.transition),
      ).toEqual(['resolved', 'resolved', 'acknowledged', 'fired', 'fired']);
      expect(JSON.stringify(page.body)).not.toContain(
        FAKE_KEYS.pagerDutyRoutingKey,
      );
    } finally {
      await fakes.close();
    }
  });
});
