import {
  TestDatabases,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  deliveryPageSchema,
  incidentDedupKey,
} from '@reliability-suite/plugin-reliability-common';
import type { Incident } from '@reliability-suite/plugin-reliability-common';
import { Knex } from 'knex';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { Redactor } from '../redaction/Redactor';
import { readDeliveryConfig } from '../config/deliveryConfig';
import { IncidentStore } from '../incidents/IncidentStore';
import { IncidentService } from '../incidents/IncidentService';
import type { IncidentPager } from '../incidents/IncidentService';
import { DeliveryStore } from './DeliveryStore';
import { DeliveryService } from './DeliveryService';
import { deliverySecrets } from './targets';
import { FAKE_KEYS, startFakeVendors } from './testing/fakeVendors';

jest.setTimeout(60_000);

type Fakes = Awaited<ReturnType<typeof startFakeVendors>>;

const CHECKOUT = 'component:default/checkout';
const OWNER = 'user:default/ana';
const MIN = 60_000;
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const SECRETS = [
  FAKE_KEYS.pagerDutyRoutingKey,
  FAKE_KEYS.opsgenieApiKey,
  'SlackHookSecret0123456789',
  'TeamsSig0123456789SECRETabcdefXYZ',
];

/** checkout's policy: pages to PagerDuty and Slack (escalating to Opsgenie), tickets to Teams; quiet 08:00–20:00. */
function rawConfig(fakes: Fakes) {
  return {
    delivery: {
      backoff: { base: '1ms', cap: '5ms' },
      timeout: '2s',
      maxAttempts: 3,
      targets: {
        payments: {
          type: 'pagerduty',
          routingKey: FAKE_KEYS.pagerDutyRoutingKey,
          baseUrl: fakes.urls.pagerduty,
        },
        'payments-oncall': { type: 'slack', url: fakes.urls.slack },
        ops: {
          type: 'opsgenie',
          apiKey: FAKE_KEYS.opsgenieApiKey,
          baseUrl: fakes.urls.opsgenie,
        },
        sre: { type: 'teams', url: fakes.urls.teams },
      },
      routing: {
        policies: [
          {
            name: 'checkout-entity',
            match: { entity: CHECKOUT },
            routes: [
              {
                severity: 'page',
                targets: ['payments', 'payments-oncall'],
                escalation: [{ afterMinutes: 5, targets: ['ops'] }],
              },
              { severity: 'ticket', targets: ['sre'] },
            ],
            quietHours: {
              timeZone: 'Europe/Berlin',
              days: ALL_DAYS,
              start: '08:00',
              end: '20:00',
            },
          },
        ],
      },
    },
  };
}

function capturingLogger() {
  const lines: string[] = [];
  const logger = mockServices.logger.mock();
  for (const level of ['error', 'warn', 'info', 'debug'] as const)
    (logger[level] as jest.Mock).mockImplementation(
      (m: string, meta?: unknown) =>
        lines.push(`${m} ${meta ? JSON.stringify(meta) : ''}`),
    );
  (logger.child as jest.Mock).mockReturnValue(logger);
  return { logger, lines };
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)("paging an incident's roles through delivery routing on %p", databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let knex: Knex;
  let fakes: Fakes;
  // Saturday 5 Dec 2026, 11:00 in Berlin: inside checkout's quiet hours
  let clock: number;
  let log: ReturnType<typeof capturingLogger>;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    await ReliabilityDatabase.create(knex);
    fakes = await startFakeVendors();
    clock = Date.parse('2026-12-05T10:00:00Z');
    log = capturingLogger();
  });
  afterEach(async () => {
    await fakes.close();
  });

  function delivery(holder: string) {
    const config = readDeliveryConfig(
      new ConfigReader({ reliability: rawConfig(fakes) as any }),
    );
    return new DeliveryService({
      store: new DeliveryStore(knex),
      config,
      redactor: new Redactor(deliverySecrets(config.targets.values())),
      logger: log.logger,
      access: { visibleRecently: async () => () => true },
      slosOf: async () => [],
      holder,
      now: () => clock,
      random: () => 0.5,
    });
  }

  /** The incidents service as the plugin wires it: its pager port is delivery's (feature.ts, without the logging). */
  function incidents(d: DeliveryService) {
    const pager: IncidentPager = {
      paged: async (i, revision) => {
        await d.incidentPaged(i, revision);
      },
      resolved: async i => {
        await d.incidentResolved(i);
      },
    };
    return new IncidentService({
      store: new IncidentStore(knex),
      access: { filter: async () => () => true } as any,
      entities: { must: async () => {} } as any,
      runbooks: { entity: async () => ({}) } as any,
      catalog: {} as any,
      pager,
      now: () => clock,
    });
  }

  const credentials = mockCredentials.user(OWNER);
  const rows = () => knex('reliability_deliveries').orderBy('id').select('*');
  const pdCalls = () =>
    fakes
      .of('pagerduty')
      .map(c => [c.json.event_action, c.json.dedup_key, c.status]);

  it('pages the roles at once on declaration (one trigger to PagerDuty, one Slack message, quiet hours ignored), once across two replicas; a role change is said again under the same key; resolving resolves PagerDuty once', async () => {
    const a = delivery('replica-a');
    const b = delivery('replica-b');
    const svc = incidents(a);
    const incident = await svc.declare(
      {
        entityRef: CHECKOUT,
        title: 'Checkout errors',
        severity: 'SEV1',
        roles: { commander: OWNER, ops: 'user:default/bo' },
      },
      OWNER,
      credentials,
    );
    const key = incidentDedupKey(incident);
    expect(key).toMatch(/^reliability-incident-\d+-[0-9a-f]{8}$/);
    // both replicas drain at once (replica-a also drains on its own after the write): nothing goes twice
    await Promise.all([a.drain(), b.drain(), a.drain()]);
    await Promise.all([a.drain(), b.drain()]);
    expect(pdCalls()).toEqual([['trigger', key, 202]]);
    expect(fakes.of('pagerduty')[0].json).toMatchObject({
      routing_key: FAKE_KEYS.pagerDutyRoutingKey,
      payload: {
        summary: `[page] Incident ${incident.id} SEV1 fired: declared: Checkout errors`,
        source: CHECKOUT,
        severity: 'critical',
        group: 'incident',
        custom_details: {
          incident: String(incident.id),
          commander: OWNER,
          ops: 'user:default/bo',
          incidentSeverity: 'SEV1',
        },
      },
    });
    expect(fakes.of('slack')).toHaveLength(1);
    expect(fakes.of('slack')[0].json.text).toContain(
      `Incident ${incident.id} SEV1 fired`,
    );
    expect(JSON.stringify(fakes.of('slack')[0].json.blocks)).toContain(key);
    // the ticket route (Teams) is not a page; escalation (Opsgenie) waits for its 5 minutes
    expect(fakes.of('teams')).toEqual([]);
    expect(fakes.of('opsgenie')).toEqual([]);
    expect(
      (await rows()).map(r => [
        r.alert_key,
        r.target,
        r.transition,
        r.state,
        r.held,
        r.routed_by,
        r.policy,
      ]),
    ).toEqual([
      [
        key,
        'payments',
        'fired',
        'delivered',
        null,
        'policy',
        'checkout-entity',
      ],
      [
        key,
        'payments-oncall',
        'fired',
        'delivered',
        null,
        'policy',
        'checkout-entity',
      ],
    ]);

    // the same page again (a retried request) writes nothing
    expect(await a.incidentPaged(incident)).toBe(0);

    // a new Comms: said again, once per target, under the incident's key; the same roles again change nothing
    clock += MIN;
    const changed = await svc.setRoles(
      incident.id,
      OWNER,
      { comms: 'user:default/cy' },
      credentials,
    );
    await svc.setRoles(
      incident.id,
      OWNER,
      { comms: 'user:default/cy' },
      credentials,
    );
    await Promise.all([a.drain(), b.drain()]);
    expect(pdCalls()).toEqual([
      ['trigger', key, 202],
      ['trigger', key, 202],
    ]);
    expect(fakes.of('pagerduty')[1].json.payload.custom_details).toMatchObject({
      comms: 'user:default/cy',
      commander: OWNER,
    });
    expect(fakes.of('slack')).toHaveLength(2);
    expect(fakes.of('slack')[1].json.text).toContain('roles changed');
    expect(changed.roles.comms).toBe('user:default/cy');

    // resolved: PagerDuty resolves the incident's key, Slack hears it; closing after that sends nothing more
    clock += MIN;
    await svc.updateStatus(
      incident.id,
      OWNER,
      'resolved',
      'PSP failover done',
      credentials,
    );
    await svc.close(
      incident.id,
      OWNER,
      { impact: '3% of checkouts failed', rootCauses: [], actionItems: [] },
      credentials,
    );
    await Promise.all([a.drain(), b.drain()]);
    expect(pdCalls()).toEqual([
      ['trigger', key, 202],
      ['trigger', key, 202],
      ['resolve', key, 202],
    ]);
    expect(fakes.of('slack')).toHaveLength(3);
    expect(fakes.of('slack')[2].json.text).toContain('resolved');
    // the resolution stopped the escalation: past its 5 minutes, Opsgenie is never paged
    clock += 10 * MIN;
    await Promise.all([a.drain(), b.drain()]);
    expect(fakes.of('opsgenie')).toEqual([]);
    expect(fakes.calls.filter(c => c.vendor === 'none')).toEqual([]);

    // GET /delivery shows the incident's pages with its entity; no credential in rows, answers or logs
    const page = await a.list({ entityRef: CHECKOUT }, credentials);
    expect(deliveryPageSchema.parse(page).items).toHaveLength(6);
    expect(page.items.every(d => d.alertKey === key && d.sloRef === '')).toBe(
      true,
    );
    expect(
      (await a.list({ entityRef: 'component:default/other' }, credentials))
        .items,
    ).toEqual([]);
    const stored = JSON.stringify(await rows());
    for (const secret of SECRETS) {
      expect(stored).not.toContain(secret);
      expect(JSON.stringify(page)).not.toContain(secret);
      expect(log.lines.join('\n')).not.toContain(secret);
    }
  });

  it('escalates an unacknowledged incident page after its minutes, and not once the portal acknowledged it', async () => {
    const d = delivery('replica-a');
    const svc = incidents(d);
    const first = await svc.declare(
      { entityRef: CHECKOUT, title: 'Payments down', severity: 'SEV2' },
      OWNER,
      credentials,
    );
    const second = await svc.declare(
      { entityRef: CHECKOUT, title: 'Search slow', severity: 'SEV3' },
      OWNER,
      credentials,
    );
    await d.drain();
    expect(fakes.of('pagerduty')).toHaveLength(2);
    // the declarer is the commander when nobody is named
    expect(fakes.of('pagerduty')[0].json.payload.custom_details.commander).toBe(
      OWNER,
    );
    const ack = await d.acknowledgeInPortal(
      incidentDedupKey(second),
      OWNER,
      async () => true,
    );
    expect(ack.firstAcknowledgement).toBe(true);
    clock += 4 * MIN;
    await d.drain();
    expect(fakes.of('opsgenie')).toEqual([]);
    clock += 2 * MIN;
    await d.drain();
    await d.drain();
    // the first escalates to Opsgenie (alias: the incident's key), once; the acknowledged one does not
    expect(fakes.of('opsgenie').map(c => [c.path, c.json.alias])).toEqual([
      ['/v2/alerts', incidentDedupKey(first)],
    ]);
    expect(fakes.of('opsgenie')[0].json.details).toMatchObject({
      incident: String(first.id),
    });
    // PagerDuty heard the portal's acknowledgement of the second
    expect(
      fakes
        .of('pagerduty')
        .filter(c => c.json.event_action === 'acknowledge')
        .map(c => c.json.dedup_key),
    ).toEqual([incidentDedupKey(second)]);
  });

  it('pages nothing for an entity no policy routes, for an incident without roles, or for a role change after resolution', async () => {
    const d = delivery('replica-a');
    const svc = incidents(d);
    await svc.declare(
      {
        entityRef: 'component:default/billing',
        title: 'Invoices late',
        severity: 'SEV3',
      },
      OWNER,
      credentials,
    );
    await svc.declare(
      {
        entityRef: CHECKOUT,
        title: 'Nobody assigned yet',
        severity: 'SEV3',
        roles: {},
      },
      OWNER,
      credentials,
    );
    expect(await rows()).toEqual([]);
    const i = await svc.declare(
      { entityRef: CHECKOUT, title: 'Checkout errors', severity: 'SEV2' },
      OWNER,
      credentials,
    );
    await svc.updateStatus(i.id, OWNER, 'resolved', 'fixed', credentials);
    // reopened, and a role changes: its page was resolved, so it is not said again (PagerDuty would open a new one)
    await svc.updateStatus(i.id, OWNER, 'investigating', 'again', credentials);
    await svc.setRoles(i.id, OWNER, { comms: 'user:default/cy' }, credentials);
    await d.drain();
    expect(pdCalls().map(([action]) => action)).toEqual(['trigger', 'resolve']);
    // a resolved incident is never paged, whoever asks
    const resolved = { ...i, status: 'resolved' } as Incident;
    expect(await d.incidentPaged(resolved, 999)).toBe(0);
  });
});
