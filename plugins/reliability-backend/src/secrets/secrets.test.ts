import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import { Registry } from 'prom-client';
import { migrateReliabilityDatabase } from '../database/migrate';
import { readSecretHygieneConfig } from '../config/secretHygieneConfig';
import { SecretHygiene, SecretNotify } from './SecretHygiene';
import { SecretHygieneStore } from './SecretHygieneStore';
import {
  SubscribableConfig,
  createSecretHygieneFeature,
  deliveryAuthFailed,
} from './feature';
import type { FeatureContext } from '../http/feature';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import { eventually } from '../__testUtils__/targets';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const PLANTED = 'pd-routing-key-PLANTED-0123456789';
const ROTATED = Date.UTC(2026, 9, 1);

const config = (
  rotatedAt = '2026-10-01',
  extra: Record<string, any> = {},
  extraBlocks: Record<string, any> = {},
) =>
  new ConfigReader({
    reliability: {
      secrets: { owners: ['group:default/platform-sre'], ...extra },
      delivery: {
        targets: {
          payments: {
            type: 'pagerduty',
            routingKey: PLANTED,
            secretHygiene: { routingKey: { rotatedAt, maxAge: '90d' } },
          },
          chat: { type: 'slack', url: 'https://hooks.slack.test/T/B/X' },
        },
      },
      alertmanager: { sharedSecret: 'am-shared-secret-PLANTED' },
      ...extraBlocks,
    },
  });

describe('secret hygiene config', () => {
  it('names every secret by path, declared or only referenced', () => {
    const c = readSecretHygieneConfig(
      config(
        '2026-10-01',
        { defaultMaxAge: '30d' },
        {
          webhooks: { pagerduty: { secrets: ['whsec-PLANTED-1'] } },
          synthetics: { secrets: { login: 'pw-PLANTED' } },
          remediation: {
            kubernetes: {
              clusters: [
                {
                  name: 'prod',
                  url: 'https://k8s.test',
                  serviceAccountToken: 'sa-PLANTED',
                  secretHygiene: {
                    serviceAccountToken: {
                      rotatedAt: '2026-11-01T08:00:00+01:00',
                    },
                  },
                },
              ],
            },
          },
        },
      ),
    );
    expect(c.owners).toEqual(['group:default/platform-sre']);
    expect(c.secrets).toEqual([
      { path: 'reliability.alertmanager.sharedSecret', maxAgeMs: 30 * DAY },
      { path: 'reliability.delivery.targets.chat.url', maxAgeMs: 30 * DAY },
      {
        path: 'reliability.delivery.targets.payments.routingKey',
        rotatedAtMs: ROTATED,
        rotatedAt: '2026-10-01T00:00:00.000Z',
        maxAgeMs: 90 * DAY,
      },
      {
        path: 'reliability.remediation.kubernetes.clusters[0].serviceAccountToken',
        rotatedAtMs: Date.UTC(2026, 10, 1, 7),
        rotatedAt: '2026-11-01T07:00:00.000Z',
        maxAgeMs: 30 * DAY,
      },
      { path: 'reliability.synthetics.secrets', maxAgeMs: 30 * DAY },
      { path: 'reliability.webhooks.pagerduty.secrets', maxAgeMs: 30 * DAY },
    ]);
    expect(JSON.stringify(c)).not.toContain('PLANTED');
  });

  it.each([
    [
      { routingKey: { rotatedAt: '2026-13-01', maxAge: '90d' } },
      'reliability.delivery.targets.payments.secretHygiene.routingKey.rotatedAt',
    ],
    [
      { routingKey: { rotatedAt: '2026-10-01', maxAge: '3M' } },
      'reliability.delivery.targets.payments.secretHygiene.routingKey.maxAge',
    ],
    [
      { routingKey: { rotatedAt: '2026-10-01', maxAge: 'soon' } },
      'reliability.delivery.targets.payments.secretHygiene.routingKey.maxAge',
    ],
    [
      { apiKey: { rotatedAt: '2026-10-01' } },
      'reliability.delivery.targets.payments.secretHygiene.apiKey: names no key',
    ],
    [
      { routingKey: { rotated: '2026-10-01' } },
      'reliability.delivery.targets.payments.secretHygiene.routingKey.rotated: unknown key',
    ],
  ])('refuses %j naming the path', (secrets, message) => {
    const bad = new ConfigReader({
      reliability: {
        delivery: {
          targets: {
            payments: {
              type: 'pagerduty',
              routingKey: PLANTED,
              secretHygiene: secrets,
            },
          },
        },
      },
    });
    let error: unknown;
    try {
      readSecretHygieneConfig(bad);
    } catch (e) {
      error = e;
    }
    expect(String(error)).toContain(message);
    expect(String(error)).not.toContain(PLANTED);
  });

  it('refuses a bad default max age and owners', () => {
    expect(() =>
      readSecretHygieneConfig(
        new ConfigReader({ reliability: { secrets: { defaultMaxAge: '1Y' } } }),
      ),
    ).toThrow('reliability.secrets.defaultMaxAge');
    expect(() =>
      readSecretHygieneConfig(
        new ConfigReader({
          reliability: { secrets: { owners: ['platform'] } },
        }),
      ),
    ).toThrow('reliability.secrets.owners[0]');
  });
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('SecretHygiene on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let knex: Knex;
  let now: number;
  let registry: Registry;
  let sent: { owners: string[]; title: string; description: string }[];
  let cfg: ReturnType<typeof readSecretHygieneConfig>;
  let hygiene: SecretHygiene;
  const logger = mockServices.logger.mock();

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    await migrateReliabilityDatabase(knex);
    now = ROTATED;
    registry = new Registry();
    sent = [];
    cfg = readSecretHygieneConfig(config());
    const notify: SecretNotify = async (owners, p) => {
      sent.push({ owners, title: p.title, description: p.description });
    };
    hygiene = new SecretHygiene({
      config: () => cfg,
      store: new SecretHygieneStore(knex),
      registry,
      notify,
      logger,
      now: () => now,
    });
  });

  const gauge = async (name: string, secret: string) =>
    (await registry.getSingleMetric(name)!.get()).values.find(
      v => v.labels.secret === secret,
    )?.value;
  const PD = 'reliability.delivery.targets.payments.routingKey';
  const stateOf = async (secret: string) =>
    (await hygiene.list({})).items.find(s => s.secret === secret)?.state;

  it('ages and states around the boundaries, one notification per change', async () => {
    await hygiene.check();
    expect(await stateOf(PD)).toBe('ok');
    expect(await gauge('reliability_secret_age_seconds', PD)).toBe(0);
    expect(await gauge('reliability_secret_max_age_seconds', PD)).toBe(
      90 * 86_400,
    );
    expect(sent).toEqual([]);

    now = ROTATED + 76 * DAY - 1; // a millisecond before due-soon
    await hygiene.check();
    expect(await stateOf(PD)).toBe('ok');
    expect(sent).toHaveLength(0);

    now = ROTATED + 76 * DAY;
    await hygiene.check();
    await hygiene.check(); // no change: no second notification
    expect(await stateOf(PD)).toBe('due-soon');
    expect(await gauge('reliability_secret_age_seconds', PD)).toBe(76 * 86_400);
    expect(sent).toHaveLength(1);
    expect(sent[0].owners).toEqual(['group:default/platform-sre']);
    expect(sent[0].title).toContain(PD);

    now = ROTATED + 90 * DAY;
    await hygiene.check();
    expect(await stateOf(PD)).toBe('expired');
    expect(sent).toHaveLength(2);
    expect(sent[1].title).toContain('older than its maximum age');

    // rotated: the config changes, the check sees it without a restart
    cfg = readSecretHygieneConfig(config('2026-12-25'));
    await hygiene.check();
    expect(await stateOf(PD)).toBe('ok');
    expect(await gauge('reliability_secret_age_seconds', PD)).toBe(
      (ROTATED + 90 * DAY - Date.UTC(2026, 11, 25)) / 1000,
    );
    expect(sent).toHaveLength(3);
    // unknown secrets (no rotation date) have no age gauge and tell nobody
    expect(
      await gauge(
        'reliability_secret_age_seconds',
        'reliability.alertmanager.sharedSecret',
      ),
    ).toBeUndefined();
    expect(await stateOf('reliability.alertmanager.sharedSecret')).toBe(
      'unknown',
    );
    expect(JSON.stringify(sent)).not.toContain('PLANTED');
  });

  it('a second replica does not tell the owners again', async () => {
    now = ROTATED + 80 * DAY;
    await hygiene.check();
    const other = new SecretHygiene({
      config: () => cfg,
      store: new SecretHygieneStore(knex),
      registry: new Registry(),
      notify: async (owners, p) => {
        sent.push({ owners, title: p.title, description: p.description });
      },
      logger,
      now: () => now,
    });
    await other.check();
    expect(sent).toHaveLength(1);
  });

  it('authFailed escalates once per secret per hour, naming the path, never the value', async () => {
    const port = deliveryAuthFailed(hygiene);
    await port({ name: 'payments' }, 401);
    await port('payments', 403);
    expect(sent).toHaveLength(1);
    expect(sent[0].title).toBe(`Credentials refused: ${PD} (HTTP 401)`);
    expect(sent[0].description).toContain('delivery target payments');
    now += 3_600_000;
    await port('payments', 403);
    expect(sent).toHaveLength(2);
    const page = await hygiene.list({});
    expect(page.items.find(s => s.secret === PD)?.lastAuthFailure).toEqual({
      at: new Date(now).toISOString(),
      where: 'delivery target payments',
      status: 403,
    });
    const rows = await knex('reliability_secret_hygiene').select();
    const logs = JSON.stringify((logger.warn as jest.Mock).mock.calls);
    for (const text of [
      JSON.stringify(sent),
      JSON.stringify(page),
      JSON.stringify(rows),
      logs,
    ])
      expect(text).not.toContain('PLANTED');
    expect(logs).toContain(PD);
  });

  it('pages and filters the list', async () => {
    await hygiene.check();
    const first = await hygiene.list({ limit: 2 });
    expect(first.items.map(s => s.secret)).toEqual([
      'reliability.alertmanager.sharedSecret',
      'reliability.delivery.targets.chat.url',
    ]);
    const second = await hygiene.list({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map(s => s.secret)).toEqual([PD]);
    expect(second.nextCursor).toBeUndefined();
    expect(
      (await hygiene.list({ state: 'unknown' })).items.map(s => s.secret),
    ).not.toContain(PD);
  });
});

describe('the secret hygiene feature', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  it('applies a rotation date change without a restart (config subscription)', async () => {
    const knex = await databases.init('SQLITE_3');
    await migrateReliabilityDatabase(knex);
    let reader = config('2026-10-01');
    const listeners: (() => void)[] = [];
    const rootConfig = {
      getOptionalConfig: (k: string) => reader.getOptionalConfig(k),
      getOptional: (k: string) => reader.getOptional(k),
      subscribe: (fn: () => void) => {
        listeners.push(fn);
        return { unsubscribe: () => listeners.splice(0) };
      },
    } as unknown as SubscribableConfig;
    const send = jest.fn(async () => {});
    const registry = new Registry();
    const logger = mockServices.logger.mock();
    logger.child.mockReturnValue(logger);
    const feature = createSecretHygieneFeature(
      {
        logger,
        redactor: { error: (e: unknown) => String(e) },
        config: { notificationsEnabled: true },
        stores: { secrets: new SecretHygieneStore(knex) },
      } as unknown as FeatureContext<{ secrets: SecretHygieneStore }>,
      {
        rootConfig,
        notifications: { send } as unknown as NotificationService,
        metrics: registry,
        now: () => Date.UTC(2026, 11, 30),
      },
    );
    const age = async () =>
      (
        await registry.getSingleMetric('reliability_secret_age_seconds')!.get()
      ).values.find(
        v =>
          v.labels.secret ===
          'reliability.delivery.targets.payments.routingKey',
      )?.value;
    await feature.secrets.check();
    expect(await age()).toBe((Date.UTC(2026, 11, 30) - ROTATED) / 1000);
    expect(send).toHaveBeenCalledTimes(1); // 90 days old: expired
    expect(send.mock.calls[0]).toEqual([
      expect.objectContaining({
        recipients: {
          type: 'entity',
          entityRef: ['group:default/platform-sre'],
        },
      }),
    ]);

    reader = config('2026-12-29');
    listeners.forEach(l => l());
    await eventually(async () => (await age()) === 86_400);
    expect(await age()).toBe(86_400);

    // a bad edit keeps the last good config, naming the path in the log
    reader = config('2026-12-32');
    listeners.forEach(l => l());
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining(
        'reliability.delivery.targets.payments.secretHygiene.routingKey.rotatedAt',
      ),
    );
    await feature.secrets.check();
    expect(await age()).toBe(86_400);
    feature.stop();
    expect(listeners).toHaveLength(0);
  });
});
