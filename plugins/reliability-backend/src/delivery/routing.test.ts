import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import type { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { sloAlertDedupKey } from '@reliability-suite/plugin-reliability-common';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { Redactor } from '../redaction/Redactor';
import { LearningRedactor } from './LearningRedactor';
import { readDeliveryConfig } from '../config/deliveryConfig';
import { DeliveryStore } from './DeliveryStore';
import { DeliveryService, SelfHealingHooks } from './DeliveryService';
import { deliverySecrets } from './targets';
import { FAKE_KEYS, startFakeVendors } from './testing/fakeVendors';

jest.setTimeout(60_000);

type Fakes = Awaited<ReturnType<typeof startFakeVendors>>;

const slo = (
  componentRef: string,
  targets: { name: string; target: string }[] = [],
): SloDefinition =>
  ({
    ref: `default/${componentRef.split('/')[1]}-availability`,
    namespace: 'default',
    name: `${componentRef.split('/')[1]}-availability`,
    title: 'Availability',
    componentRef,
    alertPolicy: { source: 'openslo', rules: [], noData: true, targets },
  } as unknown as SloDefinition);

const alertOf = (s: SloDefinition, id: number, severity = 'page') => ({
  id,
  sloRef: s.ref,
  rule: `${severity} 14.4x 1h&5m`,
  severity,
  details: { burnRate: 21.5 },
});

const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function rawConfig(fakes: Fakes, extra: Record<string, unknown> = {}) {
  return {
    delivery: {
      backoff: { base: '1ms', cap: '5ms' },
      timeout: '2s',
      maxAttempts: 3,
      ...extra,
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
        'ops-badkey': {
          type: 'opsgenie',
          apiKey: 'wrong-0000-0000-0000-000000000000',
          baseUrl: fakes.urls.opsgenie,
        },
        sre: { type: 'teams', url: fakes.urls.teams },
        hooks: {
          type: 'webhook',
          url: fakes.urls.webhook,
          secret: FAKE_KEYS.webhookSecret,
        },
      },
      routing: {
        policies: [
          {
            name: 'checkout-entity',
            match: { entity: 'component:default/checkout' },
            routes: [{ severity: '*', targets: ['hooks'] }],
          },
          {
            name: 'payments-team',
            match: { owner: 'group:default/payments-sre' },
            routes: [
              {
                severity: 'page',
                targets: ['payments'],
                escalation: [{ afterMinutes: 10, targets: ['ops'] }],
              },
              { severity: 'ticket', targets: ['payments-oncall', 'sre'] },
            ],
            quietHours: {
              timeZone: 'Europe/Berlin',
              days: ALL_DAYS,
              start: '22:00',
              end: '07:00',
            },
          },
        ],
      },
    },
  };
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)(
  'delivery routing, holds, escalation and acknowledgement on %p',
  databaseId => {
    const databases = TestDatabases.create({
      ids: ['POSTGRES_15', 'SQLITE_3'],
    });
    let knex: Knex;
    let store: DeliveryStore;
    let fakes: Fakes;
    let clock: number;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await ReliabilityDatabase.create(knex);
      store = new DeliveryStore(knex);
      fakes = await startFakeVendors();
      clock = Date.parse('2026-10-24T12:00:00Z');
    });
    afterEach(async () => {
      await fakes.close();
    });

    const ownerLookups: string[][] = [];
    function service(
      o: {
        holder?: string;
        selfHealing?: SelfHealingHooks;
        authFailed?: (t: { name: string }, status: number) => Promise<void>;
        /** Replaces the payments-team policy's routes (its quiet hours stay). */
        teamRoutes?: Record<string, unknown>[];
      } = {},
    ) {
      const raw = rawConfig(fakes);
      if (o.teamRoutes)
        (raw.delivery.routing.policies[1] as any).routes = o.teamRoutes;
      const config = readDeliveryConfig(
        new ConfigReader({ reliability: raw as any }),
      );
      return new DeliveryService({
        store,
        config,
        redactor: new Redactor(deliverySecrets(config.targets.values())),
        logger: mockServices.logger.mock(),
        access: { visibleRecently: async () => () => true },
        slosOf: async () => [],
        holder: o.holder ?? 'replica-a',
        now: () => clock,
        random: () => 0.5,
        ownersOf: async refs => {
          ownerLookups.push(refs);
          return new Map(
            refs.map(r => [
              r,
              r === 'component:default/search'
                ? ['group:default/payments-sre']
                : ['group:default/other'],
            ]),
          );
        },
        selfHealing: o.selfHealing,
        authFailed: o.authFailed as any,
      });
    }

    const rows = () => knex('reliability_deliveries').orderBy('id').select('*');

    it('routes by entity and by owner group, recording the policy and why', async () => {
      const s = service();
      const checkout = slo('component:default/checkout', [
        { name: 'chat', target: 'slack:#payments-oncall' },
      ]);
      const search = slo('component:default/search');
      const other = slo('component:default/billing');
      expect(await s.fired(alertOf(checkout, 1), checkout)).toBe(2);
      expect(await s.fired(alertOf(search, 2), search)).toBe(1);
      expect(await s.fired(alertOf(other, 3), other)).toBe(0);
      const r = await rows();
      expect(
        r.map(x => [x.alert_id.toString(), x.target, x.routed_by, x.policy]),
      ).toEqual([
        ['1', 'payments-oncall', 'slo', null],
        ['1', 'hooks', 'policy', 'checkout-entity'],
        ['2', 'payments', 'policy', 'payments-team'],
      ]);
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(1);
      expect(fakes.of('webhook')).toHaveLength(1);
      expect(fakes.of('slack')).toHaveLength(1);
    });

    it('holds ticket notifications in quiet hours, across a DST change, then sends one digest per target; a page goes at once', async () => {
      const s = service();
      const search = slo('component:default/search');
      // Saturday 24 Oct 2026, 01:00 in Berlin (CEST): quiet until 07:00 on Sunday, by then CET (06:00Z)
      clock = Date.parse('2026-10-24T23:00:00Z');
      await s.fired(alertOf(search, 11, 'ticket'), search);
      await s.fired(alertOf(search, 12, 'ticket'), search);
      await s.fired(alertOf(search, 13, 'page'), search);
      // alert 12 resolves while held: the digest says it fired and resolved
      await s.transition(
        { ...alertOf(search, 12, 'ticket'), at: clock },
        'resolved',
      );
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(1);
      expect(fakes.of('slack')).toHaveLength(0);
      const held = (await rows()).filter(r => r.held === 'quiet-hours');
      expect(held).toHaveLength(6);
      expect(new Set(held.map(r => Number(r.next_attempt_at))).size).toBe(2);
      expect(Math.min(...held.map(r => Number(r.next_attempt_at)))).toBe(
        Date.parse('2026-10-25T06:00:00Z'),
      );
      // an hour before the window's end in the old offset: still quiet
      clock = Date.parse('2026-10-25T05:30:00Z');
      await s.drain();
      expect(fakes.of('slack')).toHaveLength(0);
      clock = Date.parse('2026-10-25T06:00:01Z');
      await s.drain();
      await s.drain();
      expect(fakes.of('slack')).toHaveLength(1);
      expect(fakes.of('teams')).toHaveLength(1);
      const text = JSON.stringify(fakes.of('slack')[0].json);
      expect(text).toContain('Quiet-hours digest');
      expect(text).toContain('fired and resolved during quiet hours');
      expect(text).toContain(sloAlertDedupKey(alertOf(search, 11, 'ticket')));
      expect(
        (await rows())
          .filter(r => r.target === 'payments-oncall' || r.target === 'sre')
          .map(r => r.state),
      ).toEqual(Array(6).fill('delivered'));
    });

    it('escalates an unacknowledged page after the step, once; not after an acknowledgement', async () => {
      const s = service();
      const search = slo('component:default/search');
      await s.fired(alertOf(search, 21), search);
      await s.fired(alertOf(search, 22), search);
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(2);
      // 22 is acknowledged in the portal, 21 is not
      const ack = await s.acknowledge({
        alertKey: sloAlertDedupKey(alertOf(search, 22)),
        by: 'user:default/guest',
        source: 'portal',
      });
      expect(ack).toEqual({ acknowledged: true, firstAcknowledgement: true });
      clock += 9 * 60_000;
      await s.drain();
      expect(fakes.of('opsgenie')).toHaveLength(0);
      clock += 61_000;
      await s.drain();
      await s.drain();
      expect(fakes.of('opsgenie')).toHaveLength(1);
      expect(fakes.of('opsgenie')[0].json.alias).toBe(
        sloAlertDedupKey(alertOf(search, 21)),
      );
      const esc = (await rows()).filter(r => r.routed_by === 'escalation');
      expect(esc.map(r => [r.target, Number(r.escalation_step)])).toEqual([
        ['ops', 0],
      ]);
      // PagerDuty got the acknowledgement of 22 once, as Events v2 acknowledge with the same dedup_key
      const acks = fakes
        .of('pagerduty')
        .filter(c => c.json.event_action === 'acknowledge');
      expect(acks).toHaveLength(1);
      expect(acks[0].json.dedup_key).toBe(
        sloAlertDedupKey(alertOf(search, 22)),
      );
      const again = await s.acknowledge({
        alertKey: sloAlertDedupKey(alertOf(search, 22)),
        by: 'user:default/other',
        source: 'portal',
      });
      expect(again.firstAcknowledgement).toBe(false);
      clock += 3_600_000;
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(3);
      expect(fakes.of('opsgenie')).toHaveLength(1);
      const page = await s.list({ state: 'delivered' } as any, {} as any);
      const ackd = page.items.find(
        i => i.alertKey === sloAlertDedupKey(alertOf(search, 22)),
      );
      expect(ackd?.acknowledged).toMatchObject({
        by: 'user:default/guest',
        source: 'portal',
      });
    });

    it('an acknowledgement from PagerDuty stops escalation and is not echoed back', async () => {
      const s = service();
      const search = slo('component:default/search');
      await s.fired(alertOf(search, 31), search);
      await s.drain();
      await s.acknowledge({
        alertKey: sloAlertDedupKey(alertOf(search, 31)),
        by: 'Jane Oncall',
        source: 'pagerduty',
      });
      clock += 3_600_000;
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(1);
      expect(fakes.of('opsgenie')).toHaveLength(0);
    });

    it('grace: a healed page becomes avoided with no vendor call, reported once across two replicas', async () => {
      const avoided = jest.fn(async () => {});
      const outcome = jest.fn(async () => ({
        healed: true,
        tried: ['rollback'],
      }));
      const hooks: SelfHealingHooks = {
        graceMs: 60_000,
        covers: async () => true,
        outcome,
        avoided,
      };
      const a = service({ selfHealing: hooks, holder: 'replica-a' });
      const b = service({ selfHealing: hooks, holder: 'replica-b' });
      const checkout = slo('component:default/checkout', [
        { name: 'pager', target: 'pagerduty:payments' },
      ]);
      const alert = alertOf(checkout, 41);
      expect(await a.fired(alert, checkout)).toBe(2);
      await Promise.all([a.drain(), b.drain()]);
      expect(outcome).not.toHaveBeenCalled();
      clock += 60_000;
      await Promise.all([a.drain(), b.drain()]);
      await a.transition({ ...alert, at: clock }, 'resolved');
      await Promise.all([a.drain(), b.drain()]);
      expect(fakes.calls).toHaveLength(0);
      expect(avoided).toHaveBeenCalledTimes(1);
      expect(avoided).toHaveBeenCalledWith({
        id: 41,
        sloRef: checkout.ref,
        alertKey: sloAlertDedupKey(alert),
      });
      expect((await rows()).map(r => [r.transition, r.state])).toEqual([
        ['fired', 'avoided'],
        ['fired', 'avoided'],
        ['resolved', 'avoided'],
        ['resolved', 'avoided'],
      ]);
      const page = await a.list({ state: 'avoided' } as any, {} as any);
      expect(page.items).toHaveLength(4);
    });

    it('grace: not healed, the page goes out once saying what was tried', async () => {
      const s = service({
        selfHealing: {
          graceMs: 60_000,
          covers: async () => true,
          outcome: async () => ({
            healed: false,
            tried: ['rollback checkout-multibuy (failed: flag service 503)'],
          }),
          avoided: async () => {},
        },
      });
      const search = slo('component:default/search');
      await s.fired(alertOf(search, 51), search);
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(0);
      clock += 60_001;
      await s.drain();
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(1);
      expect(fakes.of('pagerduty')[0].json.payload.custom_details.tried).toBe(
        'rollback checkout-multibuy (failed: flag service 503)',
      );
    });

    // SRE-201 with self-healing: on-call pages ignore quiet hours (and wait for the grace), the customer-facing
    // channel respects them (and waits for the window, whatever the grace does)
    const sre201 = [
      { severity: 'page', targets: ['payments'] },
      { severity: '*', targets: ['payments-oncall'], respectQuietHours: true },
    ];

    it('grace ends without a fix: the page goes out, the quiet-hours target stays held until the window ends (one digest)', async () => {
      const s = service({
        teamRoutes: sre201,
        selfHealing: {
          graceMs: 60_000,
          covers: async () => true,
          outcome: async () => ({ healed: false, tried: ['rollback failed'] }),
          avoided: async () => {},
        },
      });
      const search = slo('component:default/search');
      const alert = alertOf(search, 81);
      // 01:00 in Berlin: quiet until 07:00 CET, 06:00Z
      clock = Date.parse('2026-10-24T23:00:00Z');
      expect(await s.fired(alert, search)).toBe(2);
      expect(
        (await rows()).map(r => [r.target, r.held, Number(r.next_attempt_at)]),
      ).toEqual([
        ['payments', 'grace', clock + 60_000],
        ['payments-oncall', 'quiet-hours', Date.parse('2026-10-25T06:00:00Z')],
      ]);
      await s.drain();
      expect(fakes.calls).toHaveLength(0);
      clock += 60_001;
      await s.drain();
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(1);
      expect(fakes.of('slack')).toHaveLength(0);
      expect(
        (await rows()).map(r => [r.target, r.state, r.held ?? null]),
      ).toEqual([
        ['payments', 'delivered', null],
        ['payments-oncall', 'queued', 'quiet-hours'],
      ]);
      // it resolves in the night: PagerDuty hears at once, the channel in the morning's digest
      await s.transition({ ...alert, at: clock }, 'resolved');
      await s.drain();
      expect(fakes.of('pagerduty')).toHaveLength(2);
      clock = Date.parse('2026-10-25T05:59:00Z');
      await s.drain();
      expect(fakes.of('slack')).toHaveLength(0);
      clock = Date.parse('2026-10-25T06:00:01Z');
      await s.drain();
      await s.drain();
      expect(fakes.of('slack')).toHaveLength(1);
      const text = JSON.stringify(fakes.of('slack')[0].json);
      expect(text).toContain('fired and resolved during quiet hours');
      expect(fakes.of('pagerduty')).toHaveLength(2);
    });

    it('grace ends healed: the quiet-hours target is avoided with the page, and the window ending meanwhile sends nothing early', async () => {
      const avoided = jest.fn(async () => {});
      let healed = false;
      const s = service({
        teamRoutes: sre201,
        selfHealing: {
          graceMs: 60_000,
          covers: async () => true,
          outcome: async () => ({ healed, tried: ['rollback'] }),
          avoided,
        },
      });
      const search = slo('component:default/search');
      const alert = alertOf(search, 82);
      // 30 s before the window's end (06:00Z): the window ends during the grace
      clock = Date.parse('2026-10-25T05:59:30Z');
      expect(await s.fired(alert, search)).toBe(2);
      clock = Date.parse('2026-10-25T06:00:10Z');
      await s.drain();
      // the channel's row is due, but its alert is still in its grace: it waits for the outcome
      expect(fakes.calls).toHaveLength(0);
      await s.transition({ ...alert, at: clock }, 'resolved');
      healed = true;
      clock = Date.parse('2026-10-25T06:00:31Z');
      await s.drain();
      await s.drain();
      expect(fakes.calls).toHaveLength(0);
      expect(avoided).toHaveBeenCalledTimes(1);
      expect(
        (await rows()).map(r => [r.target, r.transition, r.state]),
      ).toEqual([
        ['payments', 'fired', 'avoided'],
        ['payments-oncall', 'fired', 'avoided'],
        ['payments', 'resolved', 'avoided'],
        ['payments-oncall', 'resolved', 'avoided'],
      ]);
      clock = Date.parse('2026-10-25T07:00:00Z');
      await s.drain();
      expect(fakes.calls).toHaveLength(0);
    });

    it('a 401 from the vendor reports the refused credentials once', async () => {
      const authFailed = jest.fn(async () => {});
      const s = service({ authFailed });
      const billing = slo('component:default/billing', [
        { name: 'bad', target: 'opsgenie:ops-badkey' },
      ]);
      await s.fired(alertOf(billing, 61), billing);
      await s.drain();
      await s.drain();
      expect(fakes.of('opsgenie')).toHaveLength(1);
      expect(authFailed).toHaveBeenCalledTimes(1);
      expect(authFailed).toHaveBeenCalledWith(
        expect.objectContaining({ name: 'ops-badkey', kind: 'opsgenie' }),
        401,
      );
      expect((await rows())[0].state).toBe('failed');
    });

    it('a changed config applies to the next delivery (rotated Slack URL), and the redaction step knows old and new secrets', async () => {
      const first = readDeliveryConfig(
        new ConfigReader({ reliability: rawConfig(fakes) as any }),
      );
      const redactor = new LearningRedactor(
        deliverySecrets(first.targets.values()),
      );
      const s = new DeliveryService({
        store,
        config: first,
        redactor,
        logger: mockServices.logger.mock(),
        access: { visibleRecently: async () => () => true },
        slosOf: async () => [],
        holder: 'replica-a',
        now: () => clock,
      });
      const billing = slo('component:default/billing', [
        { name: 'chat', target: 'slack:payments-oncall' },
      ]);
      await s.fired(alertOf(billing, 71), billing);
      await s.drain();
      const rotatedPath =
        '/services/T0SECRET1/B0SECRET2/RotatedHookSecret98765';
      const raw = rawConfig(fakes);
      (raw.delivery.targets as any)['payments-oncall'].url =
        fakes.urls.slack.replace(FAKE_KEYS.slackPath, rotatedPath);
      const next = readDeliveryConfig(
        new ConfigReader({ reliability: raw as any }),
      );
      redactor.learn(deliverySecrets(next.targets.values()));
      s.reconfigure(next);
      await s.fired(alertOf(billing, 72), billing);
      await s.drain();
      const calls = fakes.calls.filter(c => c.path.startsWith('/services/'));
      expect(calls.map(c => c.path)).toEqual([
        FAKE_KEYS.slackPath,
        rotatedPath,
      ]);
      const said = redactor.text(
        `old ${fakes.urls.slack} new ${rotatedPath} key ${FAKE_KEYS.pagerDutyRoutingKey}`,
      );
      expect(said).not.toContain('SlackHookSecret0123456789');
      expect(said).not.toContain('RotatedHookSecret98765');
      expect(said).not.toContain(FAKE_KEYS.pagerDutyRoutingKey);
    });
  },
);
