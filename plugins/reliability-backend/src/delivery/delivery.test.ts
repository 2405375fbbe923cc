import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import type { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import {
  deliveryPageSchema,
  sloAlertDedupKey,
} from '@reliability-suite/plugin-reliability-common';
import { Knex } from 'knex';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { Redactor, collectSecrets } from '../redaction/Redactor';
import { DeliveryStore } from './DeliveryStore';
import { DeliveryService } from './DeliveryService';
import { ConfigReader } from '@backstage/config';
import { readDeliveryConfig as readConfig } from '../config/deliveryConfig';
import { deliverySecrets } from './targets';
import { FAKE_KEYS, startFakeVendors } from './testing/fakeVendors';

const readDeliveryConfig = (reliability: unknown) =>
  readConfig(new ConfigReader({ reliability: (reliability ?? {}) as any }));

jest.setTimeout(60_000);

type Fakes = Awaited<ReturnType<typeof startFakeVendors>>;

const slo = (targets: { name: string; target: string }[]): SloDefinition =>
  ({
    ref: 'default/checkout-availability',
    namespace: 'default',
    name: 'checkout-availability',
    title: 'Checkout availability',
    componentRef: 'component:default/checkout',
    alertPolicy: {
      source: 'openslo',
      rules: [],
      noData: true,
      targets,
    },
  } as unknown as SloDefinition);

const alert = (id = 7) => ({
  id,
  sloRef: 'default/checkout-availability',
  rule: 'page 14.4x 1h&5m',
  severity: 'page',
  details: { burnRate: 21.5, window: '1h' },
});

function configFor(fakes: Fakes, extra: Record<string, unknown> = {}) {
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
        sre: { type: 'teams', url: fakes.urls.teams },
        hooks: {
          type: 'webhook',
          url: fakes.urls.webhook,
          secret: FAKE_KEYS.webhookSecret,
        },
      },
    },
  };
}

const ALL_TARGETS = [
  { name: 'payments-pager', target: 'pagerduty:payments' },
  { name: 'payments-chat', target: 'slack:#payments-oncall' },
  { name: 'ops', target: 'opsgenie' },
  { name: 'sre', target: 'teams:sre' },
  { name: 'hooks', target: 'webhook:hooks' },
  { name: 'backstage-owners', target: 'backstage-owners' },
];

/** Every log line, for the planted-secret check. */
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

const SECRETS = [
  FAKE_KEYS.pagerDutyRoutingKey,
  FAKE_KEYS.opsgenieApiKey,
  FAKE_KEYS.webhookSecret,
  'SlackHookSecret0123456789',
  'TeamsSig0123456789SECRETabcdefXYZ',
];

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('delivery on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let knex: Knex;
  let store: DeliveryStore;
  let fakes: Fakes;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    await ReliabilityDatabase.create(knex);
    store = new DeliveryStore(knex);
    fakes = await startFakeVendors();
  });
  afterEach(async () => {
    await fakes.close();
  });

  function service(
    o: {
      holder?: string;
      extra?: Record<string, unknown>;
      logger?: ReturnType<typeof capturingLogger>['logger'];
    } = {},
  ) {
    const raw = configFor(fakes, o.extra);
    const config = readDeliveryConfig(raw as any);
    return new DeliveryService({
      store,
      config,
      redactor: new Redactor(deliverySecrets(config.targets.values())),
      logger: o.logger ?? mockServices.logger.mock(),
      access: { visibleRecently: async () => () => true },
      slosOf: async () => ['default/checkout-availability'],
      holder: o.holder ?? 'replica-a',
      appBaseUrl: 'http://portal.example',
      random: () => 0.5,
    });
  }

  const rows = () => knex('reliability_deliveries').orderBy('id').select('*');

  it('sends a fired alert once to each target its policy names, in each vendor’s wire format, and its resolution where the page went', async () => {
    const { logger, lines } = capturingLogger();
    const s = service({ logger });
    expect(await s.fired(alert(), slo(ALL_TARGETS))).toBe(5);
    // the same event again (a retried tick, a second subscriber) is not a second page
    expect(await s.fired(alert(), slo(ALL_TARGETS))).toBe(0);
    await s.drain();
    await s.drain();
    const key = sloAlertDedupKey(alert());

    const [pd] = fakes.of('pagerduty');
    expect(fakes.of('pagerduty')).toHaveLength(1);
    expect(pd.status).toBe(202);
    expect(pd.json).toMatchObject({
      routing_key: FAKE_KEYS.pagerDutyRoutingKey,
      event_action: 'trigger',
      dedup_key: key,
      payload: {
        summary: '[page] checkout-availability fired: page 14.4x 1h&5m',
        source: 'component:default/checkout',
        severity: 'critical',
        custom_details: {
          slo: 'default/checkout-availability',
          burnRate: '21.5',
        },
      },
    });

    const [sl] = fakes.of('slack');
    expect(fakes.of('slack')).toHaveLength(1);
    expect(sl.status).toBe(200);
    expect(sl.json.text).toContain('checkout-availability fired');
    expect(Array.isArray(sl.json.blocks)).toBe(true);

    const [og] = fakes.of('opsgenie');
    expect(og).toMatchObject({ path: '/v2/alerts', status: 202 });
    expect(og.headers.authorization).toBe(
      `GenieKey ${FAKE_KEYS.opsgenieApiKey}`,
    );
    expect(og.json).toMatchObject({ alias: key, priority: 'P1' });

    const [tm] = fakes.of('teams');
    expect(tm.status).toBe(202);
    expect(tm.json.attachments[0].content.type).toBe('AdaptiveCard');

    const [wh] = fakes.of('webhook');
    expect(wh.status).toBe(200);
    expect(wh.headers['x-reliability-event']).toBe('alert.fired');
    expect(wh.headers['x-reliability-signature']).toMatch(
      /^sha256=[0-9a-f]{64}$/,
    );
    expect(wh.json).toMatchObject({
      version: '1',
      event: 'alert.fired',
      alert: { key, severity: 'page', slo: 'default/checkout-availability' },
    });

    expect(
      (await rows()).map(r => [r.target, r.state, Number(r.attempts)]),
    ).toEqual([
      ['payments', 'delivered', 1],
      ['payments-oncall', 'delivered', 1],
      ['ops', 'delivered', 1],
      ['sre', 'delivered', 1],
      ['hooks', 'delivered', 1],
    ]);

    expect(await s.transition({ ...alert(), at: Date.now() }, 'resolved')).toBe(
      5,
    );
    expect(await s.transition({ ...alert(), at: Date.now() }, 'resolved')).toBe(
      0,
    );
    await s.drain();
    expect(
      fakes.of('pagerduty').map(c => [c.json.event_action, c.json.dedup_key]),
    ).toEqual([
      ['trigger', key],
      ['resolve', key],
    ]);
    expect(fakes.of('pagerduty')[1].status).toBe(202);
    expect(fakes.of('opsgenie')[1]).toMatchObject({
      path: `/v2/alerts/${key}/close`,
      query: 'identifierType=alias',
      status: 202,
    });
    expect(fakes.of('slack')[1].json.text).toContain('resolved');
    expect(fakes.of('webhook')[1].headers['x-reliability-event']).toBe(
      'alert.resolved',
    );
    expect(fakes.of('teams')).toHaveLength(2);
    expect(fakes.calls.filter(c => c.vendor === 'none')).toEqual([]);

    // the answer of GET /delivery is what -common says it is
    const page = await s.list({}, mockCredentials());
    expect(deliveryPageSchema.parse(page).items).toHaveLength(10);
    expect(page.items.every(d => d.state === 'delivered')).toBe(true);
    // no credential in the database, the answer or the logs
    const stored = JSON.stringify(await rows());
    const answered = JSON.stringify(page) + JSON.stringify(s.targets({}));
    for (const secret of SECRETS) {
      expect(stored).not.toContain(secret);
      expect(answered).not.toContain(secret);
      expect(lines.join('\n')).not.toContain(secret);
    }
  });

  it('retries 429 and 5xx with backoff, gives up on 400 with the vendor’s reason, and keeps the routing key out of it', async () => {
    const { logger, lines } = capturingLogger();
    let clock = Date.now();
    const s = new DeliveryService({
      ...(service({ extra: { backoff: { base: '1s', cap: '2s' } } }) as any).o,
      logger,
      now: () => clock,
    });
    fakes.force(
      'pagerduty',
      { status: 429, body: '', headers: { 'retry-after': '2' } },
      { status: 503, body: 'upstream unavailable' },
    );
    fakes.force('slack', {
      status: 400,
      body: `invalid_payload ${FAKE_KEYS.slackPath}`,
      contentType: 'text/html',
    });
    fakes.force(
      'webhook',
      { status: 500, body: 'boom' },
      { status: 500, body: 'boom' },
      { status: 500, body: 'boom' },
    );
    await s.fired(
      alert(),
      slo([
        { name: 'p', target: 'pagerduty:payments' },
        { name: 'c', target: 'slack:#payments-oncall' },
        { name: 'hooks', target: 'webhook' },
      ]),
    );
    await s.drain();
    let state = await rows();
    expect(
      state.map(r => [r.target, r.state, Number(r.attempts), r.last_status]),
    ).toEqual([
      ['payments', 'queued', 1, 429],
      ['payments-oncall', 'failed', 1, 400],
      ['hooks', 'queued', 1, 500],
    ]);
    // Retry-After: 2 is honoured over a shorter backoff
    expect(Number(state[0].next_attempt_at)).toBeGreaterThanOrEqual(
      clock + 2000,
    );
    expect(state[1].last_error).toContain(
      'Slack answered HTTP 400: invalid_payload',
    );
    expect(state[1].last_error).not.toContain('SlackHookSecret');
    // nothing is due before its time
    await s.drain();
    expect(fakes.of('pagerduty')).toHaveLength(1);
    clock += 3000;
    await s.drain();
    clock += 3000;
    await s.drain();
    clock += 3000;
    await s.drain();
    state = await rows();
    expect(
      state.map(r => [r.target, r.state, Number(r.attempts), r.last_status]),
    ).toEqual([
      ['payments', 'delivered', 3, 202],
      ['payments-oncall', 'failed', 1, 400],
      ['hooks', 'failed', 3, 500],
    ]);
    expect(state[2].last_error).toBe(
      'Gave up after 3 attempts: Webhook answered HTTP 500: boom',
    );
    expect(fakes.of('pagerduty').map(c => c.status)).toEqual([429, 503, 202]);
    expect(fakes.of('slack')).toHaveLength(1);
    const page = await s.list({ state: 'failed' }, mockCredentials());
    expect(page.items.map(d => [d.target, d.lastStatus])).toEqual([
      ['hooks', 500],
      ['payments-oncall', 400],
    ]);
    for (const secret of SECRETS) {
      expect(JSON.stringify(state)).not.toContain(secret);
      expect(JSON.stringify(page)).not.toContain(secret);
      expect(lines.join('\n')).not.toContain(secret);
    }
  });

  it('refuses an invalid PagerDuty event for good, naming PagerDuty’s reason', async () => {
    const s = service({
      extra: {},
    });
    // a routing key of the wrong length: PagerDuty's 400 "invalid event"
    const bad = new DeliveryService({
      ...(s as any).o,
      config: readDeliveryConfig({
        delivery: {
          targets: {
            payments: {
              type: 'pagerduty',
              routingKey: 'short-key-9f8e7d',
              baseUrl: fakes.urls.pagerduty,
            },
          },
        },
      } as any),
      redactor: new Redactor(['short-key-9f8e7d']),
    });
    await bad.fired(
      alert(),
      slo([{ name: 'p', target: 'pagerduty:payments' }]),
    );
    await bad.drain();
    const [row] = await rows();
    expect(row.state).toBe('failed');
    expect(row.last_status).toBe(400);
    expect(row.last_error).toContain('PagerDuty answered HTTP 400');
    expect(row.last_error).toContain("Length of 'routing_key' is incorrect");
    expect(JSON.stringify(row)).not.toContain('short-key-9f8e7d');
    expect(fakes.of('pagerduty')).toHaveLength(1);
  });

  it('sends each transition exactly once with two replicas draining at the same time', async () => {
    const a = service({ holder: 'replica-a' });
    const b = service({ holder: 'replica-b' });
    const targets = slo([
      { name: 'p', target: 'pagerduty:payments' },
      { name: 'c', target: 'slack:#payments-oncall' },
      { name: 'hooks', target: 'webhook' },
    ]);
    for (let id = 1; id <= 15; id++) {
      // both replicas hear of every alert (as if each had published it): still one row per target
      await Promise.all([
        a.fired(alert(id), targets),
        b.fired(alert(id), targets),
      ]);
    }
    await Promise.all([a.drain(), b.drain(), a.drain(), b.drain()]);
    expect(fakes.of('pagerduty')).toHaveLength(15);
    expect(fakes.of('slack')).toHaveLength(15);
    expect(fakes.of('webhook')).toHaveLength(15);
    const keys = fakes.of('pagerduty').map(c => c.json.dedup_key);
    expect(new Set(keys).size).toBe(15);
    const deliveryIds = fakes
      .of('webhook')
      .map(c => c.headers['x-reliability-delivery']);
    expect(new Set(deliveryIds).size).toBe(15);
    const all = await rows();
    expect(all).toHaveLength(45);
    expect(
      all.every(r => r.state === 'delivered' && Number(r.attempts) === 1),
    ).toBe(true);
  });

  it('a send cut off by a stopped backend is sent again where the vendor dedupes, and fails as interrupted where it does not', async () => {
    const s = service();
    await s.fired(
      alert(),
      slo([
        { name: 'p', target: 'pagerduty:payments' },
        { name: 'c', target: 'slack:#payments-oncall' },
      ]),
    );
    const now = Date.now();
    // replica-x claimed both, then stopped
    expect(await store.claimDue('replica-x', now, 1000, 10)).toHaveLength(2);
    expect(await store.claimDue('replica-y', now, 1000, 10)).toHaveLength(0);
    const later = new DeliveryService({
      ...(s as any).o,
      now: () => now + 5000,
    });
    await later.drain();
    const state = await rows();
    expect(state.map(r => [r.target, r.state])).toEqual([
      ['payments', 'delivered'],
      ['payments-oncall', 'failed'],
    ]);
    expect(state[1].last_error).toContain('Interrupted');
    expect(fakes.of('slack')).toHaveLength(0);
    // the stopped holder can no longer settle what it lost
    expect(
      await store.settle(Number(state[0].id), 'replica-x', {
        state: 'failed',
        status: null,
        error: 'late',
      }),
    ).toBe(false);
  });

  it('sends nothing to targets no config names, and says so once', async () => {
    const { logger, lines } = capturingLogger();
    const s = service({ logger });
    const policy = slo([
      { name: 'devs-email', target: 'email' },
      { name: 'x', target: 'pagerduty:nobody' },
      { name: 'y', target: 'slack:payments' },
      { name: 'backstage-owners', target: 'backstage-owners' },
    ]);
    expect(await s.fired(alert(), policy)).toBe(0);
    expect(await s.fired(alert(2), policy)).toBe(0);
    expect(lines.filter(l => l.includes('nothing is sent'))).toHaveLength(3);
    expect(lines.join('\n')).toContain(
      'names payments, a pagerduty target, not slack',
    );
    expect(await rows()).toEqual([]);
    expect(await s.transition({ ...alert(), at: Date.now() }, 'resolved')).toBe(
      0,
    );
  });

  it('forgets settled deliveries past the retention, but keeps a firing one until its resolution is written', async () => {
    const s = service();
    const targets = slo([{ name: 'p', target: 'pagerduty:payments' }]);
    await s.fired(alert(1), targets);
    await s.fired(alert(2), targets);
    await s.drain();
    await s.transition({ ...alert(1), at: Date.now() }, 'resolved');
    await s.drain();
    expect(await rows()).toHaveLength(3);
    // nothing is past a 90-day retention
    expect(await store.prune(Date.now() - 90 * 86_400_000, 1000)).toBe(0);
    expect(await store.prune(Date.now() + 1000, 1000)).toBe(2);
    expect((await rows()).map(r => [Number(r.alert_id), r.transition])).toEqual(
      [[2, 'fired']],
    );
  });

  it('pages the list of deliveries and of targets', async () => {
    const s = service();
    for (let id = 1; id <= 3; id++)
      await s.fired(
        alert(id),
        slo([{ name: 'p', target: 'pagerduty:payments' }]),
      );
    const first = await s.list({ limit: 2 }, mockCredentials());
    expect(first.items.map(d => d.alertId)).toEqual([3, 2]);
    const second = await s.list(
      { limit: 2, cursor: first.nextCursor },
      mockCredentials(),
    );
    expect(second.items.map(d => d.alertId)).toEqual([1]);
    expect(second.nextCursor).toBeUndefined();
    const targets = s.targets({ limit: 2 });
    expect(targets.items).toEqual([
      { name: 'hooks', kind: 'webhook' },
      { name: 'ops', kind: 'opsgenie' },
    ]);
    expect(targets.nextCursor).toBeDefined();
  });
});

function mockCredentials() {
  return {
    $$type: '@backstage/BackstageCredentials',
    principal: { type: 'user', userEntityRef: 'user:default/sam' },
  } as any;
}

describe('reading reliability.delivery', () => {
  it('leaves every credential to the redaction step: the plugin’s own, and delivery’s', () => {
    const urls = {
      slack: `http://127.0.0.1:9${FAKE_KEYS.slackPath}`,
      teams: `http://127.0.0.1:9${FAKE_KEYS.teamsPath}?${FAKE_KEYS.teamsQuery}`,
    };
    const raw = {
      delivery: {
        targets: {
          p: { type: 'pagerduty', routingKey: FAKE_KEYS.pagerDutyRoutingKey },
          o: { type: 'opsgenie', apiKey: FAKE_KEYS.opsgenieApiKey },
          s: { type: 'slack', url: urls.slack },
          t: { type: 'teams', url: urls.teams },
          w: {
            type: 'webhook',
            url: 'http://127.0.0.1:9/h',
            secret: FAKE_KEYS.webhookSecret,
          },
        },
      },
    };
    const plugin = collectSecrets(raw);
    for (const k of [
      FAKE_KEYS.pagerDutyRoutingKey,
      FAKE_KEYS.opsgenieApiKey,
      FAKE_KEYS.webhookSecret,
    ])
      expect(plugin).toContain(k);
    const redactor = new Redactor([
      ...plugin,
      ...deliverySecrets(readDeliveryConfig(raw).targets.values()),
    ]);
    const text = redactor.text(
      `failed: ${urls.slack} ${urls.teams} key ${FAKE_KEYS.pagerDutyRoutingKey} path ${FAKE_KEYS.slackPath} services`,
    );
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // a word of the path that is no secret stays readable
    expect(text).toContain('services');
  });

  it('names the key of each problem, never its value', () => {
    const read = (targets: unknown) => () =>
      readDeliveryConfig({ delivery: { targets } } as any);
    expect(read({ p: { type: 'pager' } })).toThrow(
      'reliability.delivery.targets.p.type: must be one of pagerduty, slack, opsgenie, teams, webhook',
    );
    expect(
      read({ p: { type: 'slack', url: 'not a url SECRETSECRET' } }),
    ).toThrow(
      /^reliability\.delivery\.targets\.p\.url: must be an http\(s\) URL$/,
    );
    expect(
      read({
        w: { type: 'webhook', url: 'https://x.example', secret: 'short' },
      }),
    ).toThrow(
      'reliability.delivery.targets.w.secret: must be at least 16 characters',
    );
    expect(read({ p: { type: 'pagerduty' } })).toThrow(/routingKey/);
    expect(read({ 'a.b': { type: 'slack', url: 'https://x' } })).toThrow();
    expect(readDeliveryConfig(undefined).targets.size).toBe(0);
  });
});
