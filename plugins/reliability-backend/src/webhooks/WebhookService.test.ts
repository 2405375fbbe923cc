import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { pagerDutyWebhookSchema } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityEvents } from '../events/ReliabilityEvents';
import { RemediationEngine } from '../remediation/RemediationEngine';
import { RemediationMetrics } from '../remediation/metrics';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { readWebhooksConfig } from './config';
import { WebhookService } from './WebhookService';
import { pagerDutyIncidentEvent } from './testing/senders';

jest.setTimeout(60_000);

describe('readWebhooksConfig', () => {
  const generic = (over: Record<string, unknown>) => ({
    webhooks: {
      generic: {
        monitor: {
          secret: 'generic-webhook-secret-0123',
          idPath: '/id',
          labels: { severity: '/severity' },
          ...over,
        },
      },
    },
  });

  it('reads secrets and mappings with their defaults', () => {
    const c = readWebhooksConfig({
      webhooks: {
        pagerduty: { secrets: ['pd-signing-secret'] },
        generic: generic({}).webhooks.generic,
      },
    } as any);
    expect(c.pagerDutySecrets).toEqual(['pd-signing-secret']);
    expect(c.generic.get('monitor')?.config.signatureHeader).toBe(
      'X-Signature-256',
    );
    expect(readWebhooksConfig(undefined).pagerDutySecrets).toEqual([]);
  });

  it.each([
    [
      { labels: { severity: 'severity' } },
      /^reliability\.webhooks\.generic\.monitor\.labels\.severity: .*start with '\/'/,
    ],
    [
      { labels: { '1bad': '/x' } },
      /^reliability\.webhooks\.generic\.monitor\.labels\.1bad: must be a label name/,
    ],
    [{ idPath: '/a~9' }, /^reliability\.webhooks\.generic\.monitor\.idPath: /],
    [
      { secret: 'short' },
      /^reliability\.webhooks\.generic\.monitor\.secret: must be at least 16 characters/,
    ],
  ])(
    'refuses a bad mapping at startup naming its path (%#)',
    (over, message) => {
      expect(() => readWebhooksConfig(generic(over) as any)).toThrow(message);
    },
  );

  it('never echoes a secret it refuses', () => {
    expect(() =>
      readWebhooksConfig(generic({ secret: 'tiny-secret' }) as any),
    ).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('tiny-secret'),
      }),
    );
  });
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('WebhookService on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('publishes AlertAcknowledged for incident.acknowledged with its incident_key, once', async () => {
    const knex = await databases.init(databaseId);
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    const events = new ReliabilityEvents();
    const acks: unknown[] = [];
    events.subscribe('AlertAcknowledged', async p => {
      acks.push(p);
    });
    const engine = new RemediationEngine({
      store: stores.remediation,
      escalations: stores.escalations,
      rules: [],
      actions: new Map(),
      logger: mockServices.rootLogger({ level: 'error' }),
      auditor: mockServices.auditor.mock(),
      metrics: new RemediationMetrics(),
      holder: 'test',
    });
    const service = new WebhookService({
      store: stores.webhooks,
      remediation: engine,
      events,
      config: readWebhooksConfig(undefined),
    });
    const ack = pagerDutyWebhookSchema.parse({
      event: pagerDutyIncidentEvent({
        id: 'ack-1',
        event_type: 'incident.acknowledged',
        occurred_at: '2026-12-05T10:05:00.000Z',
      }),
    });
    const r = await service.pagerDuty(ack);
    expect(r).toMatchObject({
      duplicate: false,
      acknowledged: 'slo:default/checkout-availability:page',
    });
    expect(acks).toEqual([
      {
        alertKey: 'slo:default/checkout-availability:page',
        by: 'Mei Tanaka',
        source: 'pagerduty',
        at: Date.parse('2026-12-05T10:05:00.000Z'),
      },
    ]);
    expect((await service.pagerDuty(ack)).duplicate).toBe(true);
    expect(acks).toHaveLength(1);
  });
});
