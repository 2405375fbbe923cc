import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { parseMatcher } from '@reliability-suite/plugin-reliability-common';
import { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { RemediationEngine } from './RemediationEngine';
import { RemediationMetrics } from './metrics';
import { RemediationRule } from './rules';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-11-23T10:00:00Z');

const rule = (
  id: string,
  entityRef: string,
  match: string[],
  over: Partial<RemediationRule> = {},
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
  action: 'recording',
  params: {},
  lockKey: `recording:${id}`,
  cooldownMs: 0,
  cooldown: '0',
  maxAttempts: 1,
  attemptWindowMs: 600_000,
  attemptWindow: '10m',
  retries: 0,
  timeoutMs: 1_000,
  ...over,
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('RemediationEngine on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function setup(fail = false, maxAttempts = 1, gate?: Promise<void>) {
    const knex = await databases.init(databaseId);
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    const calls: string[] = [];
    const action: RemediationAction = {
      id: 'recording',
      description: 'records its calls',
      validate: () => [],
      target: () => 'POST http://127.0.0.1:1/fix',
      describe: c => `fix ${c.entityRef}`,
      async execute(c) {
        calls.push(`${c.ruleId}:${c.trigger.id}`);
        if (gate) await gate;
        if (fail) throw new Error('target down');
        return { detail: `fixed by ${c.ruleId}` };
      },
    };
    const engine = new RemediationEngine({
      store: stores.remediation,
      escalations: stores.escalations,
      rules: [
        rule(
          'checkout-rollback',
          'component:default/checkout',
          ['severity="page"'],
          { maxAttempts },
        ),
        rule('checkout-ticket', 'component:default/checkout', [
          'severity="ticket"',
        ]),
        rule('search-restart', 'component:default/search', ['severity="page"']),
      ],
      actions: new Map([[action.id, action]]),
      logger: mockServices.rootLogger({ level: 'error' }),
      auditor: mockServices.auditor.mock(),
      metrics: new RemediationMetrics(),
      holder: 'test',
      backoff: { baseMs: 1, capMs: 2 },
      now: () => T0,
    });
    return { engine, calls, stores };
  }

  it('runs the rules whose matchers and entity fit, once per trigger', async () => {
    const { engine, calls } = await setup(false, 5);
    const alert = {
      kind: 'alert' as const,
      id: 'a1',
      labels: { severity: 'page' },
      annotations: {},
      entityRef: 'component:default/checkout',
      receivedAt: T0,
    };
    const first = await engine.submit(alert);
    expect(first.map(r => [r.ruleId, r.state])).toEqual([
      ['checkout-rollback', 'running'],
    ]);
    await engine.idle();
    // Alertmanager alerts are not tied to an entity: every matching rule runs
    await engine.submit({
      ...alert,
      kind: 'alertmanager',
      id: 'fp1',
      entityRef: undefined,
    });
    const again = await engine.submit(alert);
    expect(again.map(r => [r.ruleId, r.state, r.duplicate])).toEqual([
      ['checkout-rollback', 'duplicate', true],
    ]);
    await engine.idle();
    expect(calls.sort()).toEqual([
      'checkout-rollback:a1',
      'checkout-rollback:fp1',
      'search-restart:fp1',
    ]);
  });

  it('dispatched: waits until each new execution has begun its call (not until it ends), or has ended without one', async () => {
    let open!: () => void;
    const { engine, calls } = await setup(
      false,
      5,
      new Promise<void>(r => {
        open = r;
      }),
    );
    const alert = {
      kind: 'alert' as const,
      id: 'a1',
      labels: { severity: 'page' },
      annotations: {},
      entityRef: 'component:default/checkout',
      receivedAt: T0,
    };
    const [first] = await engine.submit(alert);
    await engine.dispatched([first.executionId], 30_000);
    expect(calls).toEqual(['checkout-rollback:a1']);
    expect((await engine.execution(first.executionId)).state).toBe('running');
    // the same lock key is held: the next one ends without a call, and that counts as dispatched too
    const [second] = await engine.submit({ ...alert, id: 'a2' });
    await engine.dispatched([second.executionId], 30_000);
    expect((await engine.execution(second.executionId)).state).toBe('skipped');
    expect(calls).toHaveLength(1);
    open();
    await engine.idle();
    expect((await engine.execution(first.executionId)).state).toBe('succeeded');
  });

  it('answers the history with its summary and open escalations, per entity', async () => {
    const { engine } = await setup(true);
    await engine.submit({
      kind: 'alert',
      id: 'a1',
      labels: { severity: 'page' },
      annotations: {},
      entityRef: 'component:default/checkout',
      receivedAt: T0,
    });
    await engine.idle();
    const history = await engine.history('component:default/checkout', 10);
    expect(history.rules.map(r => r.id)).toEqual([
      'checkout-rollback',
      'checkout-ticket',
    ]);
    expect(history.items.map(i => [i.ruleId, i.state])).toEqual([
      ['checkout-rollback', 'failed'],
    ]);
    expect(history.summary).toMatchObject({
      executions: 1,
      succeeded: 0,
      failed: 1,
      successRate: 0,
    });
    // one attempt of one allowed: the rule escalated
    expect(history.escalations).toEqual([
      expect.objectContaining({
        ruleId: 'checkout-rollback',
        state: 'open',
        attempts: 1,
      }),
    ]);
    expect(
      (await engine.history('component:default/search', 10)).escalations,
    ).toEqual([]);
  });

  it('runs queued executions left by a stopped process, and Run now answers the settled execution', async () => {
    const { engine, calls, stores } = await setup();
    // queued by a process that stopped before calling anything
    const { id } = await stores.remediation.record({
      dedupKey: 'left-behind',
      ruleId: 'search-restart',
      entityRef: 'component:default/search',
      action: 'recording',
      target: 'POST http://127.0.0.1:1/fix',
      triggerKind: 'alert',
      triggerId: 'old',
      labels: {},
      annotations: {},
      lockKey: 'recording:search-restart',
      state: 'queued',
      dryRun: false,
      actor: null,
      createdAt: T0,
    });
    await engine.dispatch();
    await engine.idle();
    expect(calls).toEqual(['search-restart:old']);
    expect((await engine.execution(id)).state).toBe('succeeded');

    const ran = await engine.runNow(
      engine.rule('checkout-ticket')!,
      { labels: { rule: 'spoofed' } },
      'user:default/owner',
    );
    expect(ran).toMatchObject({
      ruleId: 'checkout-ticket',
      state: 'succeeded',
      actor: 'user:default/owner',
    });
    const dry = await engine.runNow(
      engine.rule('checkout-ticket')!,
      { dryRun: true },
      'user:default/owner',
    );
    expect(dry).toMatchObject({
      state: 'dry_run',
      detail: expect.stringContaining('Would fix component:default/checkout'),
    });
    expect(calls).toHaveLength(2);
  });
});
