import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  parseMatcher,
  type SloDefinition,
} from '@reliability-suite/plugin-reliability-common';
import type { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import { ingestSlo } from '../__testUtils__/entities';
import { SloRegistry } from '../slos';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { RemediationMetrics } from './metrics';
import { RemediationEngine } from './RemediationEngine';
import type { RemediationRule } from './rules';
import { ConfigReader } from '@backstage/config';
import { readReliabilityConfig } from '../config/readReliabilityConfig';
import { createSelfHealing } from './selfHealing';
import { sloAlertTrigger } from './triggers';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-12-05T10:00:00Z');
const PAGE = 'page 14.4x 1h&5m';

const rule = (
  id: string,
  entityRef: string,
  match: string[],
): RemediationRule => ({
  id,
  entityRef,
  description: id,
  match: match.map(m => {
    const r = parseMatcher(m);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  }),
  matchText: match,
  triggers: ['alert', 'alertmanager', 'manual'],
  action: 'flag',
  params: {},
  lockKey: `flag:${id}`,
  cooldownMs: 0,
  cooldown: '0',
  maxAttempts: 5,
  attemptWindowMs: 600_000,
  attemptWindow: '10m',
  retries: 0,
  timeoutMs: 1_000,
});

describe('reliability.remediation.selfHealing.graceSeconds', () => {
  const read = (reliability: object) =>
    readReliabilityConfig(new ConfigReader({ reliability }));
  it('defaults to 60 s and refuses a bad value, naming the key', () => {
    expect(read({}).remediation.selfHealing).toEqual({ graceMs: 60_000 });
    expect(
      read({ remediation: { selfHealing: { graceSeconds: 5 } } }).remediation
        .selfHealing,
    ).toEqual({ graceMs: 5_000 });
    expect(() =>
      read({ remediation: { selfHealing: { graceSeconds: -1 } } }),
    ).toThrow(/reliability\.remediation\.selfHealing\.graceSeconds/);
    expect(() =>
      read({ remediation: { selfHealing: { graceSeconds: 'soon' } } }),
    ).toThrow(/graceSeconds/);
  });
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('self-healing on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function setup(opts: { fail?: boolean; graceMs?: number } = {}) {
    const knex = await databases.init(databaseId);
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    const logger = mockServices.rootLogger({ level: 'error' });
    const registry = new SloRegistry(
      catalogServiceMock({
        entities: [
          ingestSlo('checkout-availability', 'checkout'),
          ingestSlo('search-availability', 'search'),
        ],
      }),
      mockServices.auth(),
      stores.slos.registry,
      logger,
    );
    await registry.sync();
    const slo = async (ref: string): Promise<SloDefinition> =>
      (await registry.byRef(ref))!.def;
    const action: RemediationAction = {
      id: 'flag',
      description: 'turns a flag off',
      validate: () => [],
      target: () => 'PATCH https://flags.example.com/flags/multibuy',
      describe: c => `flag off for ${c.entityRef}`,
      async execute() {
        if (opts.fail)
          throw new Error(
            'flag service answered 503 at https://user:hunter2@flags.example.com/x?token=abc',
          );
        return { detail: 'flag multibuy off' };
      },
    };
    const metrics = new RemediationMetrics();
    const engine = new RemediationEngine({
      store: stores.remediation,
      escalations: stores.escalations,
      rules: [
        rule('checkout-rollback', 'component:default/checkout', [
          'severity="page"',
        ]),
      ],
      actions: new Map([[action.id, action]]),
      logger,
      auditor: mockServices.auditor.mock(),
      metrics,
      holder: 'test',
      backoff: { baseMs: 1, capMs: 2 },
      now: () => T0,
    });
    const healing = createSelfHealing({
      engine,
      slos: registry,
      executions: stores.remediation,
      alerts: stores.alerts,
      metrics: metrics.registry,
      graceMs: opts.graceMs ?? 60_000,
      now: () => T0,
    });
    /** Opens and fires an alert of the SLO's rule (pendingFor 0), as the tick does. */
    const fire = async (sloRef: string, ruleName = PAGE, severity = 'page') => {
      const [fired] = await stores.alerts.apply(
        [sloRef],
        [{ sloRef, rule: ruleName, severity, details: {} }],
        T0,
        0,
      );
      return fired;
    };
    /** The tick that finds the condition gone: the alert resolves. */
    const clear = (sloRef: string) =>
      stores.alerts.apply([sloRef], [], T0 + 30_000, 0);
    const remediate = async (
      alert: Awaited<ReturnType<typeof fire>>,
      def: SloDefinition,
    ) => {
      await engine.submit(sloAlertTrigger(alert, def, T0));
      await engine.idle();
    };
    const avoidedCount = async () =>
      (await metrics.registry
        .getSingleMetric('selfheal_pages_avoided_total')!
        .get())!.values.reduce((n, v) => n + v.value, 0);
    return { healing, slo, fire, clear, remediate, avoidedCount, metrics };
  }

  it("covers a page alert that a rule matches, and not a ticket, another entity's alert or a zero grace", async () => {
    const { healing, slo, fire } = await setup();
    const checkout = await slo('default/checkout-availability');
    const search = await slo('default/search-availability');
    const page = await fire(checkout.ref);
    expect(await healing.covers(page, checkout)).toBe(true);
    expect(healing.coversSlo(checkout)).toBe(true);
    const ticket = await fire(checkout.ref, 'ticket 3x 1d&2h', 'ticket');
    expect(await healing.covers(ticket, checkout)).toBe(false);
    const other = await fire(search.ref);
    expect(await healing.covers(other, search)).toBe(false);
    expect(healing.coversSlo(search)).toBe(false);
    expect(healing.entityRefs()).toEqual(['component:default/checkout']);
    const off = await setup({ graceMs: 0 });
    expect(await off.healing.covers(page, checkout)).toBe(false);
  });

  it('is healed only when the fix succeeded and the alert resolved', async () => {
    const { healing, slo, fire, clear, remediate } = await setup();
    const checkout = await slo('default/checkout-availability');
    const alert = await fire(checkout.ref);
    // nothing ran yet
    expect(await healing.outcome(alert)).toEqual({ healed: false, tried: [] });
    await remediate(alert, checkout);
    // the fix succeeded, but the burn still holds: the page goes out, saying what was tried
    const firing = await healing.outcome(alert);
    expect(firing.healed).toBe(false);
    expect(firing.tried).toEqual([
      expect.stringMatching(/^checkout-rollback \(flag\) succeeded/),
    ]);
    await clear(checkout.ref);
    expect(await healing.outcome(alert)).toEqual({
      healed: true,
      tried: [expect.stringContaining('checkout-rollback (flag) succeeded')],
    });
    // another alert of the same SLO is not healed by this alert's fix
    const next = await fire(checkout.ref);
    await clear(checkout.ref);
    expect((await healing.outcome(next)).healed).toBe(false);
  });

  it('is not healed when the fix failed, even once the alert resolved; tried names the rule and the result, redacted', async () => {
    const { healing, slo, fire, clear, remediate } = await setup({
      fail: true,
    });
    const checkout = await slo('default/checkout-availability');
    const alert = await fire(checkout.ref);
    await remediate(alert, checkout);
    await clear(checkout.ref);
    const { healed, tried } = await healing.outcome(alert);
    expect(healed).toBe(false);
    expect(tried).toHaveLength(1);
    expect(tried[0]).toMatch(/^checkout-rollback \(flag\) (failed|escalated)/);
    expect(tried[0]).toContain('503');
    expect(tried[0]).not.toContain('hunter2');
    expect(tried[0]).not.toContain('token=abc');
    expect(tried[0]).not.toContain('\n');
  });

  it('counts an avoided page once per alert in selfheal_pages_avoided_total', async () => {
    const { healing, avoidedCount, metrics } = await setup();
    expect(await avoidedCount()).toBe(0);
    const alert = {
      id: 4,
      sloRef: 'default/checkout-availability',
      alertKey: 'reliability-4-0badc0de',
    };
    await healing.avoided(alert);
    await healing.avoided(alert);
    expect(await avoidedCount()).toBe(1);
    await healing.avoided({ ...alert, id: 5, alertKey: 'reliability-5-1' });
    expect(await avoidedCount()).toBe(2);
    expect(await metrics.registry.metrics()).toContain(
      'selfheal_pages_avoided_total{slo="default/checkout-availability"} 2',
    );
  });
});
