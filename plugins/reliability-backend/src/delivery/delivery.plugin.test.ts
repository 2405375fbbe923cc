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

const ingest = {
  metricSource: {
    type: 'Ingest',
    spec: { endpoint: '/api/reliability/sli-events' },
  },
};

const spike: Entity = {
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name: 'checkout-spike', namespace: 'default' },
  spec: {
    service: 'checkout',
    indicator: {
      spec: { ratioMetric: { counter: true, good: ingest, total: ingest } },
    },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99.5 }],
    alertPolicies: [
      {
        kind: 'AlertPolicy',
        metadata: { name: 'checkout-spike' },
        spec: {
          conditions: [
            {
              kind: 'AlertCondition',
              metadata: { name: 'spike' },
              spec: {
                severity: 'page',
                condition: {
                  kind: 'burnrate',
                  op: 'gte',
                  threshold: 14,
                  lookbackWindow: '5m',
                },
              },
            },
          ],
          notificationTargets: [
            {
              kind: 'AlertNotificationTarget',
              metadata: { name: 'payments-pager' },
              spec: { target: 'pagerduty:payments' },
            },
            {
              kind: 'AlertNotificationTarget',
              metadata: { name: 'payments-chat' },
              spec: { target: 'slack:#payments-oncall' },
            },
            {
              kind: 'AlertNotificationTarget',
              metadata: { name: 'backstage-owners' },
              spec: { target: 'backstage-owners' },
            },
          ],
        },
      },
    ],
  },
  relations: [{ type: 'measures', targetRef: 'component:default/checkout' }],
};

const component: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace: 'default' },
  spec: { owner: 'payments-sre' },
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('delivery through the plugin on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('a burn on checkout triggers PagerDuty once with the alert’s dedup_key and sends Slack one message; the resolution follows', async () => {
    const fakes = await startFakeVendors();
    const scheduler = manualScheduler();
    const knex = await databases.init(databaseId);
    try {
      const { server } = await startTestBackend({
        features: [
          reliabilityPlugin,
          scheduler.factory,
          catalogServiceMock.factory({ entities: [component, spike] }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              reliability: {
                alerting: { pendingFor: '0' },
                delivery: {
                  targets: {
                    payments: {
                      type: 'pagerduty',
                      routingKey: FAKE_KEYS.pagerDutyRoutingKey,
                      baseUrl: fakes.urls.pagerduty,
                    },
                    'payments-oncall': { type: 'slack', url: fakes.urls.slack },
                  },
                },
              },
            },
          }),
        ],
      });
      await scheduler.evaluate(); // registers the SLO
      const minute = new Date(
        Math.floor(Date.now() / 60_000) * 60_000 - 30_000,
      ).toISOString();
      const send = (good: number, total: number) =>
        request(server)
          .post('/api/reliability/sli-events')
          .send({
            events: [
              {
                slo: 'default/checkout-spike',
                timestamp: minute,
                good,
                total,
              },
            ],
          })
          .expect(202);
      // half of the last minute's checkouts fail: a 100x burn
      await send(500, 1000);
      await scheduler.evaluate();
      await scheduler.run('reliability-delivery-drain');
      await eventually(
        () =>
          fakes.of('pagerduty').length >= 1 && fakes.of('slack').length >= 1,
      );
      await scheduler.evaluate(); // the alert stays open: nothing is sent again
      await scheduler.run('reliability-delivery-drain');
      expect(fakes.of('pagerduty')).toHaveLength(1);
      expect(fakes.of('slack')).toHaveLength(1);
      const [trigger] = fakes.of('pagerduty');
      expect(trigger.status).toBe(202);
      expect(trigger.json.event_action).toBe('trigger');
      const alerts = (
        await request(server)
          .get('/api/reliability/alerts')
          .query({ state: 'firing' })
      ).body.items;
      expect(alerts).toHaveLength(1);
      expect(trigger.json.dedup_key).toMatch(
        new RegExp(`^reliability-${alerts[0].id}-[0-9a-f]{8}$`),
      );

      // acknowledged in the portal: once, recorded, and PagerDuty hears it as acknowledge with the same dedup_key
      const ackPath = `/api/reliability/delivery/alerts/${trigger.json.dedup_key}/acknowledge`;
      const ack = await request(server).post(ackPath);
      expect(ack.status).toBe(200);
      expect(ack.body).toEqual({
        alertKey: trigger.json.dedup_key,
        firstAcknowledgement: true,
      });
      expect((await request(server).post(ackPath)).body).toMatchObject({
        firstAcknowledgement: false,
      });
      const badKey = await request(server).post(
        '/api/reliability/delivery/alerts/not-a-key/acknowledge',
      );
      expect(badKey.status).toBe(400);
      expect(JSON.stringify(badKey.body)).toContain('alertKey');
      const unknown = await request(server).post(
        '/api/reliability/delivery/alerts/reliability-999999-00000000/acknowledge',
      );
      expect(unknown.status).toBe(404);
      await scheduler.run('reliability-delivery-drain');
      await eventually(() => fakes.of('pagerduty').length >= 2);
      expect(fakes.of('pagerduty')[1].json).toEqual({
        routing_key: FAKE_KEYS.pagerDutyRoutingKey,
        event_action: 'acknowledge',
        dedup_key: trigger.json.dedup_key,
      });

      // a million good checkouts in the same minute: the burn is gone, the alert resolves, PagerDuty hears it
      await send(1_000_000, 1_000_000);
      await scheduler.evaluate();
      await scheduler.run('reliability-delivery-drain');
      await eventually(() => fakes.of('pagerduty').length >= 3);
      expect(fakes.of('pagerduty')).toHaveLength(3);
      expect(fakes.of('pagerduty')[2].json).toEqual({
        routing_key: FAKE_KEYS.pagerDutyRoutingKey,
        event_action: 'resolve',
        dedup_key: trigger.json.dedup_key,
      });
      await eventually(() => fakes.of('slack').length >= 2);
      expect(fakes.of('slack')[1].json.text).toContain('resolved');

      const page = await request(server)
        .get('/api/reliability/delivery')
        .query({ entityRef: 'component:default/checkout' });
      expect(page.status).toBe(200);
      expect(
        deliveryPageSchema
          .parse(page.body)
          .items.map(d => [d.targetKind, d.transition, d.state]),
      ).toEqual([
        ['slack', 'resolved', 'delivered'],
        ['pagerduty', 'resolved', 'delivered'],
        ['pagerduty', 'acknowledged', 'delivered'],
        ['slack', 'fired', 'delivered'],
        ['pagerduty', 'fired', 'delivered'],
      ]);
      const targets = await request(server).get(
        '/api/reliability/delivery/targets',
      );
      expect(targets.body).toEqual({
        items: [
          { name: 'payments', kind: 'pagerduty' },
          { name: 'payments-oncall', kind: 'slack' },
        ],
      });
      const bad = await request(server)
        .get('/api/reliability/delivery')
        .query({ state: 'lost' });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain(
        'must be one of queued, sending, delivered, failed',
      );
      // the routing key and the hook URL's secret are nowhere but in the config
      const stored = JSON.stringify(
        await knex('reliability_deliveries').select('*'),
      );
      for (const secret of [
        FAKE_KEYS.pagerDutyRoutingKey,
        'SlackHookSecret0123456789',
      ]) {
        expect(stored).not.toContain(secret);
        expect(JSON.stringify(page.body)).not.toContain(secret);
        expect(JSON.stringify(targets.body)).not.toContain(secret);
      }
    } finally {
      await fakes.close();
    }
  });
});
