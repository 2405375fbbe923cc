import {
  createBackendPlugin,
  coreServices,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import eventsPlugin from '@backstage/plugin-events-backend';
import {
  EventParams,
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import {
  SignalsService,
  signalsServiceRef,
} from '@backstage/plugin-signals-node';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { reliabilityEventsModule } from './module';
import {
  alertmanagerEventsTopic,
  alertmanagerIngressValidator,
} from './events';
import { eventually, startTarget } from '../__testUtils__/targets';

jest.setTimeout(120_000);

const SECRET = 'am-shared-secret-for-events-tests';
const INGRESS = '/api/events/http/alertmanager';
const ROUTE = '/api/reliability/alertmanager/webhook';

/** A real Alertmanager (v0.27) webhook body, as alertmanager.test.ts sends it. */
const notification = (over: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="CheckoutHighErrorRate"}',
  truncatedAlerts: 0,
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
        env: 'prod',
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

/**
 * A test plugin standing in for another subscriber of the replica (as the signals backend is: its own id per
 * replica, so every replica gets every event). It records what reaches it and publishes signals.
 */
function probe(replica: string) {
  const seen: EventParams[] = [];
  const ready: { signals?: SignalsService } = {};
  const plugin = createBackendPlugin({
    pluginId: 'probe',
    register(env) {
      env.registerInit({
        deps: {
          events: eventsServiceRef,
          signals: signalsServiceRef,
          logger: coreServices.logger,
        },
        async init({ events, signals }) {
          ready.signals = signals;
          await events.subscribe({
            id: `probe-${replica}`,
            topics: ['alertmanager', 'signals'],
            onEvent: async e => {
              seen.push(e);
            },
          });
        },
      });
    },
  });
  return { plugin, seen, ready };
}

describe('the Alertmanager topic and ingress validator', () => {
  const topicOf = (eventsTopic?: string) =>
    alertmanagerEventsTopic(
      new ConfigReader({ reliability: { alertmanager: { eventsTopic } } }),
    );

  it('defaults the topic to alertmanager and refuses one that is no path segment, naming the key', () => {
    expect(topicOf()).toBe('alertmanager');
    expect(topicOf('am.prod_1')).toBe('am.prod_1');
    for (const bad of ['a/b', '', '.hidden', 'x'.repeat(101), 'a b'])
      expect(() => topicOf(bad)).toThrow(
        /reliability\.alertmanager\.eventsTopic/,
      );
  });

  it('refuses a repeated Authorization header and keeps a refused request untouched', async () => {
    const validate = alertmanagerIngressValidator(SECRET);
    const headers: Record<string, string | string[]> = {
      authorization: [`Bearer ${SECRET}`, `Bearer ${SECRET}`],
    };
    const reject = jest.fn();
    await validate(
      {
        body: notification(),
        headers,
        raw: { body: Buffer.from(''), encoding: 'utf-8' },
      },
      { reject },
    );
    expect(reject).toHaveBeenCalledWith(
      expect.objectContaining({ status: 401 }),
    );
    expect(headers.authorization).toBeDefined();
  });
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'Alertmanager through the events backend on %p',
  databaseId => {
    let target: Awaited<ReturnType<typeof startTarget>>;
    beforeAll(async () => {
      target = await startTarget();
    });
    afterAll(async () => {
      await target.close();
    });
    beforeEach(() => {
      target.calls.length = 0;
    });

    async function replica(knex: Knex, name: string) {
      const p = probe(name);
      const backend = await startTestBackend({
        features: [
          // the real events service (the test backend's default is a separate in-memory mock per plugin)
          eventsServiceFactory,
          eventsPlugin,
          reliabilityEventsModule,
          reliabilityPlugin,
          p.plugin,
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
              // the bus's long polls end within 2 s, so the backends stop quickly
              events: { notifyTimeoutMs: 2_000 },
              reliability: {
                alertmanager: { sharedSecret: SECRET },
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
                      id: 'checkout-rollback',
                      entityRef: 'component:default/checkout',
                      match: ['severity="error"', 'impact="slo_breach"'],
                      action: 'webhook',
                      params: { url: `${target.url}/rollback` },
                      lockKey: 'rollback:{{env}}',
                      cooldown: '10m',
                      retries: 0,
                      timeout: '2s',
                    },
                  ],
                },
              },
            },
          }),
        ],
      });
      return { server: backend.server, backend, probe: p };
    }

    const alertRows = (knex: Knex) =>
      knex('reliability_am_alerts').select('fingerprint', 'duplicates');
    const executionRows = (knex: Knex) =>
      knex('reliability_remediations').select('duplicates');
    /** Waits (bounded) until the replica's subscriptions are on the bus, so that what is published now reaches them. */
    const subscribed = (knex: Knex, ids: string[]) =>
      eventually(async () => {
        const rows = await knex('event_bus_subscriptions')
          .whereIn('id', ids)
          .select('id');
        return rows.length === ids.length;
      }, 20_000);
    /** Lets in-flight work finish before a "nothing more happened" assertion (bounded). */
    const quiet = () => new Promise(r => setTimeout(r, 1_500));

    it('one replica: the ingress checks the secret, and a notification acts once through the ingress and the route together', async () => {
      const knex = await databases.init(databaseId);
      const { server, probe: p } = await replica(knex, 'a');

      // missing, wrong, or not a bearer: 401 with the route's message, nothing published, stored or called
      for (const auth of [undefined, `Bearer ${SECRET}x`, SECRET]) {
        const req = request(server).post(INGRESS);
        const res = await (auth ? req.set('Authorization', auth) : req).send(
          notification(),
        );
        expect(res.status).toBe(401);
        expect(res.body.error.message).toMatch(
          /missing or wrong shared secret/,
        );
        expect(JSON.stringify(res.body)).not.toContain(SECRET);
      }
      // the right secret with a payload that is no version 4 notification: 400 naming the field
      const bad = await request(server)
        .post(INGRESS)
        .set('Authorization', `Bearer ${SECRET}`)
        .send(notification({ version: '3' }));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/version: must be "4"/);
      await quiet();
      expect(await alertRows(knex)).toEqual([]);
      expect(target.calls).toHaveLength(0);
      expect(p.seen.filter(e => e.topic === 'alertmanager')).toEqual([]);

      // the notification through the ingress: stored and remediated, as through the route
      const res = await request(server)
        .post(INGRESS)
        .set('Authorization', `Bearer ${SECRET}`)
        .send(notification());
      expect(res.status).toBe(202);
      await eventually(() => target.calls.length === 1);
      expect(target.calls[0].url).toBe('/rollback');
      const listed = await request(server).get(
        '/api/reliability/alertmanager/alerts',
      );
      expect(listed.body.items).toEqual([
        expect.objectContaining({
          fingerprint: 'a1b2c3d4e5f60718',
          status: 'firing',
          alertname: 'CheckoutHighErrorRate',
          duplicates: 0,
        }),
      ]);
      // the event the other subscribers got carries the payload, not the secret
      const events = p.seen.filter(e => e.topic === 'alertmanager');
      expect(events).toHaveLength(1);
      expect(events[0].eventPayload).toMatchObject({
        groupKey: '{}:{alertname="CheckoutHighErrorRate"}',
      });
      expect(JSON.stringify(events[0])).not.toContain(SECRET);

      // Alertmanager retries the same notification, once through the route and once through the ingress: both
      // are counted as repeats and the fix does not run again
      const retry = await request(server)
        .post(ROUTE)
        .set('Authorization', `Bearer ${SECRET}`)
        .send(notification());
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ recorded: 0, duplicates: 1 });
      expect(retry.body.remediations).toEqual([
        expect.objectContaining({ duplicate: true }),
      ]);
      const again = await request(server)
        .post(INGRESS)
        .set('Authorization', `Bearer ${SECRET}`)
        .send(notification());
      expect(again.status).toBe(202);
      await eventually(async () =>
        (await alertRows(knex)).every(r => Number(r.duplicates) === 2),
      );
      await quiet();
      expect(target.calls).toHaveLength(1);
      expect(
        (await alertRows(knex)).map(r => [r.fingerprint, Number(r.duplicates)]),
      ).toEqual([['a1b2c3d4e5f60718', 2]]);
      expect(
        (await executionRows(knex)).map(r => Number(r.duplicates)),
      ).toEqual([2]);
    });

    it('two replicas on one database: an alert posted to one replica is acted on once; the bus carries events and signals to the other', async () => {
      const knex = await databases.init(databaseId);
      const a = await replica(knex, 'a');
      const b = await replica(knex, 'b');
      // both replicas' receivers share one subscription id; each probe has its own
      await subscribed(knex, [
        'reliability.reliability-alertmanager',
        'probe.probe-a',
        'probe.probe-b',
      ]);

      const res = await request(a.server)
        .post(INGRESS)
        .set('Authorization', `Bearer ${SECRET}`)
        .send(notification());
      expect(res.status).toBe(202);
      await eventually(() => target.calls.length === 1);
      // the event reached the other replica through the PostgreSQL bus (its probe got it)...
      const atB = await eventually(
        () => b.probe.seen.find(e => e.topic === 'alertmanager'),
        20_000,
      );
      expect(atB!.eventPayload).toMatchObject({
        alerts: [expect.objectContaining({ fingerprint: 'a1b2c3d4e5f60718' })],
      });
      expect(JSON.stringify(atB)).not.toContain(SECRET);
      // ...but not to its receiver: A's receiver took it in-process under the shared id, and the bus skips the
      // subscribers an event was already handed to. One record, no repeat, one remediation, one call.
      await quiet();
      expect(target.calls).toHaveLength(1);
      expect(
        (await alertRows(knex)).map(r => [r.fingerprint, Number(r.duplicates)]),
      ).toEqual([['a1b2c3d4e5f60718', 0]]);
      expect(
        (await executionRows(knex)).map(r => Number(r.duplicates)),
      ).toEqual([0]);
      expect(a.probe.seen.filter(e => e.topic === 'alertmanager')).toHaveLength(
        1,
      );
      expect(b.probe.seen.filter(e => e.topic === 'alertmanager')).toHaveLength(
        1,
      );
      // both replicas list it
      for (const server of [a.server, b.server])
        expect(
          (await request(server).get('/api/reliability/alertmanager/alerts'))
            .body.items,
        ).toHaveLength(1);

      // a signal published on A (the signals service the plugin uses) reaches a subscriber on B through the bus
      await a.probe.ready.signals!.publish({
        recipients: { type: 'broadcast' },
        channel: 'reliability:commander',
        message: { from: 'a' },
      });
      const signal = await eventually(
        () => b.probe.seen.find(e => e.topic === 'signals'),
        20_000,
      );
      expect(signal!.eventPayload).toMatchObject({
        channel: 'reliability:commander',
        message: { from: 'a' },
      });
    });
  },
);
