import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { startTarget } from '../__testUtils__/targets';
import {
  genericDelivery,
  pagerDutyDelivery,
  pagerDutyIncidentEvent,
} from './testing/senders';

jest.setTimeout(120_000);

const PD_OLD = 'pd-old-signing-secret';
const PD_NEW = 'pd-new-signing-secret';
const GENERIC_SECRET = 'generic-webhook-secret-0123';

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('Webhook receivers on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let target: Awaited<ReturnType<typeof startTarget>>;

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.close();
  });

  beforeEach(async () => {
    target.calls.length = 0;
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
              webhooks: {
                pagerduty: { secrets: [PD_NEW] },
                generic: {
                  monitor: {
                    secret: GENERIC_SECRET,
                    timestampHeader: 'X-Timestamp',
                    idPath: '/alert/id',
                    labels: {
                      'payload.severity': '/alert/severity',
                      'payload.custom_details.impact': '/alert/tags/impact',
                    },
                    annotations: { summary: '/alert/title' },
                  },
                },
              },
              remediation: {
                rules: [
                  {
                    id: 'checkout-flag-off',
                    entityRef: 'component:default/checkout',
                    match: [
                      'payload.severity="error"',
                      'payload.custom_details.impact="slo_breach"',
                    ],
                    triggers: ['pagerduty', 'webhook'],
                    action: 'webhook',
                    params: {
                      url: `${target.url}/api/v1/flags/checkout-multibuy/off`,
                      body: { summary: '{{annotations.summary}}' },
                    },
                    cooldown: '0s',
                    timeout: '2s',
                  },
                ],
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
  });

  const pd = (event: Record<string, unknown>, secrets = [PD_NEW]) => {
    const d = pagerDutyDelivery(event, secrets);
    return request(server)
      .post('/api/reliability/webhooks/pagerduty')
      .set(d.headers)
      .send(d.body);
  };
  const receipts = async (query = '') =>
    (await request(server).get(`/api/reliability/webhooks/receipts${query}`))
      .body;
  const calls = async (n: number) => {
    for (let i = 0; i < 100 && target.calls.length < n; i++)
      await new Promise(r => setTimeout(r, 50));
    return target.calls;
  };

  it('runs the rule whose payload.severity and payload.custom_details match an incident.triggered, once', async () => {
    const res = await pd(pagerDutyIncidentEvent());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      duplicate: false,
      eventType: 'incident.triggered',
      remediations: [{ ruleId: 'checkout-flag-off', duplicate: false }],
    });
    const got = await calls(1);
    expect(got.map(c => [c.method, c.url])).toEqual([
      ['POST', '/api/v1/flags/checkout-multibuy/off'],
    ]);
    expect(JSON.parse(got[0].body)).toEqual({
      summary: 'checkout burns its error budget',
    });
    // PagerDuty's retry of the same event id: answered, acts on nothing
    const again = await pd(pagerDutyIncidentEvent());
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, remediations: [] });
    const page = await receipts();
    expect(page.items).toEqual([
      expect.objectContaining({
        source: 'pagerduty',
        senderId: '01DEN1HNQBVYQ2ZHUBF4UVJZZ6',
        eventType: 'incident.triggered',
        duplicates: 1,
        labels: expect.objectContaining({
          'payload.severity': 'error',
          'payload.custom_details.impact': 'slo_breach',
          'payload.custom_details.service': 'checkout',
          service: 'checkout',
          urgency: 'high',
          priority: 'P1',
          incident_key: 'slo:default/checkout-availability:page',
          event_type: 'incident.triggered',
        }),
      }),
    ]);
    expect(target.calls).toHaveLength(1);
  });

  it('runs nothing for an incident whose details do not match', async () => {
    const res = await pd(
      pagerDutyIncidentEvent(
        { id: 'other-event' },
        {
          body: {
            cef_details: { severity: 'warning' },
            details: { impact: 'slo_breach' },
          },
        },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body.remediations).toEqual([]);
  });

  it('accepts a rotated header (two v1= values) when one signs the body', async () => {
    const res = await pd(pagerDutyIncidentEvent(), [PD_OLD, PD_NEW]);
    expect(res.status).toBe(200);
    expect(res.body.duplicate).toBe(false);
    // its remediation's call ends within this test
    expect(await calls(1)).toHaveLength(1);
  });

  it('refuses a missing, wrong or tampered signature with 401 naming the header, never echoing, recording nothing', async () => {
    const none = await request(server)
      .post('/api/reliability/webhooks/pagerduty')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ event: pagerDutyIncidentEvent() }));
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/X-PagerDuty-Signature/);
    const wrong = await pd(pagerDutyIncidentEvent(), [PD_OLD]);
    expect(wrong.status).toBe(401);
    // a body changed after signing: the signature is over the raw bytes
    const d = pagerDutyDelivery(pagerDutyIncidentEvent(), [PD_NEW]);
    const tampered = await request(server)
      .post('/api/reliability/webhooks/pagerduty')
      .set(d.headers)
      .send(d.body.replace('"high"', '"low" '));
    expect(tampered.status).toBe(401);
    // the same JSON with other whitespace is other bytes
    const spaced = await request(server)
      .post('/api/reliability/webhooks/pagerduty')
      .set(d.headers)
      .send(` ${d.body}`);
    expect(spaced.status).toBe(401);
    for (const r of [none, wrong, tampered, spaced])
      expect(JSON.stringify(r.body)).not.toContain(PD_NEW);
    expect((await receipts()).items).toEqual([]);
    expect(target.calls).toEqual([]);
  });

  it('refuses a body over 1 MB with 413', async () => {
    const d = pagerDutyDelivery(
      pagerDutyIncidentEvent({}, { title: 'x'.repeat(1_100_000) }),
      [PD_NEW],
    );
    const res = await request(server)
      .post('/api/reliability/webhooks/pagerduty')
      .set(d.headers)
      .send(d.body);
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/at most 1 MB/);
  });

  it('rejects a signed but invalid envelope with 400 naming the field', async () => {
    const res = await pd({ ...pagerDutyIncidentEvent(), id: undefined });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/event\.id/);
  });

  it('records incident.resolved only', async () => {
    const res = await pd(
      pagerDutyIncidentEvent({
        id: 'resolved-1',
        event_type: 'incident.resolved',
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      eventType: 'incident.resolved',
      remediations: [],
    });
    expect((await receipts('?source=pagerduty')).items).toHaveLength(1);
  });

  describe('generic webhook with a timestamp header', () => {
    const alert = (id: string) => ({
      alert: {
        id,
        severity: 'error',
        tags: { impact: 'slo_breach' },
        title: 'checkout burns',
      },
    });
    const send = (
      payload: unknown,
      timestamp?: number,
      secret = GENERIC_SECRET,
    ) => {
      const d = genericDelivery(payload, {
        secret,
        timestampHeader: 'X-Timestamp',
        timestamp,
      });
      return request(server)
        .post('/api/reliability/webhooks/generic/monitor')
        .set(d.headers)
        .send(d.body);
    };
    const nowS = () => Math.floor(Date.now() / 1000);

    it('maps the payload to labels, runs the matching rule, dedupes by the id at idPath', async () => {
      const res = await send(alert('a-1'), nowS());
      expect(res.status).toBe(200);
      expect(res.body.remediations).toEqual([
        expect.objectContaining({
          ruleId: 'checkout-flag-off',
          duplicate: false,
        }),
      ]);
      expect((await calls(1)).length).toBe(1);
      const again = await send(alert('a-1'), nowS());
      expect(again.body).toMatchObject({ duplicate: true, remediations: [] });
      const items = (await receipts('?source=webhook')).items;
      expect(items).toEqual([
        expect.objectContaining({
          name: 'monitor',
          senderId: 'monitor:a-1',
          duplicates: 1,
          labels: {
            'payload.severity': 'error',
            'payload.custom_details.impact': 'slo_breach',
          },
        }),
      ]);
      expect(target.calls).toHaveLength(1);
    });

    it('refuses a stale or missing timestamp, and a bad signature, naming the header', async () => {
      const stale = await send(alert('a-2'), nowS() - 301);
      expect(stale.status).toBe(401);
      expect(stale.body.error.message).toMatch(/X-Timestamp/);
      const missing = await send(alert('a-2'));
      expect(missing.status).toBe(401);
      expect(missing.body.error.message).toMatch(/X-Timestamp/);
      const wrong = await send(alert('a-2'), nowS(), 'another-secret-0123456');
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.message).toMatch(/X-Signature-256/);
      expect((await receipts()).items).toEqual([]);
    });

    it('answers 400 naming the id pointer when the id is missing, 404 for an undeclared name', async () => {
      const res = await send({ alert: { severity: 'error' } }, nowS());
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/\/alert\/id/);
      const unknown = await request(server)
        .post('/api/reliability/webhooks/generic/nope')
        .send({});
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toMatch(
        /reliability\.webhooks\.generic/,
      );
    });
  });

  it('pages the receipts', async () => {
    for (const id of ['e1', 'e2', 'e3'])
      expect(
        (
          await pd(
            pagerDutyIncidentEvent({ id, event_type: 'incident.annotated' }),
          )
        ).status,
      ).toBe(200);
    const first = await receipts('?limit=2');
    expect(first.items).toHaveLength(2);
    const rest = await receipts(`?limit=2&cursor=${first.nextCursor}`);
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeUndefined();
  });
});
