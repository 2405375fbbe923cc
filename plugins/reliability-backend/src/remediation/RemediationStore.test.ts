import { TestDatabases } from '@backstage/backend-test-utils';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { RemediationStore, NewExecution } from './RemediationStore';
import { EscalationStore } from './EscalationStore';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-11-22T10:00:00Z');
const exec = (over: Partial<NewExecution> = {}): NewExecution => ({
  dedupKey: 'rule|alertmanager|fp|firing|1',
  ruleId: 'rule',
  entityRef: 'component:default/checkout',
  action: 'webhook',
  target: 'POST http://127.0.0.1:1/x',
  triggerKind: 'alertmanager',
  triggerId: 'fp|firing|1',
  labels: { env: 'prod' },
  annotations: {},
  lockKey: 'rollback:prod',
  state: 'queued',
  dryRun: false,
  actor: null,
  createdAt: T0,
  ...over,
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('RemediationStore on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let store: RemediationStore;
  let escalations: EscalationStore;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    await ReliabilityDatabase.create(knex);
    store = new RemediationStore(knex);
    escalations = new EscalationStore(knex);
  });

  it('records a trigger once and lets one process claim it', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.record(exec())),
    );
    expect(results.filter(r => r.inserted)).toHaveLength(1);
    expect(new Set(results.map(r => r.id)).size).toBe(1);
    const id = results[0].id;
    const claims = await Promise.all([
      store.claim(id, 'a', 60_000, T0),
      store.claim(id, 'b', 60_000, T0),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await store.list({}))[0]).toMatchObject({
      state: 'running',
      duplicates: 19,
    });
  });

  it('stores the redacted target only, whoever built the record', async () => {
    const { id } = await store.record(
      exec({
        target:
          'PATCH http://store-user:store-pass@127.0.0.1:1/x?token=store-q#f',
      }),
    );
    expect((await store.list({ id }))[0].target).toBe(
      'PATCH http://127.0.0.1:1/x',
    );
    expect((await store.get(id))!.target).toBe('PATCH http://127.0.0.1:1/x');
  });

  it('gives a lock key to one holder until its lease expires', async () => {
    expect(
      await store.acquireLock('rollback:prod', 'a', 1, T0, 60_000),
    ).toEqual({ acquired: true });
    expect(
      await store.acquireLock('rollback:prod', 'b', 2, T0 + 1_000, 60_000),
    ).toEqual({ acquired: false, heldBy: 1 });
    expect(
      await store.acquireLock('rollback:eu', 'b', 2, T0 + 1_000, 60_000),
    ).toEqual({ acquired: true });
    // expired: taken over
    expect(
      await store.acquireLock('rollback:prod', 'b', 3, T0 + 61_000, 60_000),
    ).toEqual({ acquired: true });
    await store.releaseLock('rollback:prod', 'a', 1); // not a's any more: nothing happens
    expect(
      await store.acquireLock('rollback:prod', 'c', 4, T0 + 62_000, 60_000),
    ).toEqual({ acquired: false, heldBy: 3 });
    await store.releaseLock('rollback:prod', 'b', 3);
    expect(
      await store.acquireLock('rollback:prod', 'c', 4, T0 + 62_000, 60_000),
    ).toEqual({ acquired: true });
  });

  it('after a crash, marks a started attempt interrupted (not repeated) and requeues one never started', async () => {
    const started = await store.record(exec());
    const unstarted = await store.record(
      exec({ dedupKey: 'other', lockKey: 'rollback:eu' }),
    );
    await store.claim(started.id, 'dead', 60_000, T0);
    await store.acquireLock('rollback:prod', 'dead', started.id, T0, 60_000);
    expect(
      await store.startAttempt(started.id, 'rule', 1, T0, 'dead', T0 + 60_000),
    ).toBe(true);
    await store.claim(unstarted.id, 'dead', 60_000, T0);
    // leases still valid: nothing to recover
    expect(await store.recover(T0 + 30_000)).toEqual({
      interrupted: [],
      requeued: [],
    });
    expect(await store.recover(T0 + 61_000)).toEqual({
      interrupted: [started.id],
      requeued: [unstarted.id],
    });
    const items = await store.list({});
    expect(items.find(i => i.id === started.id)).toMatchObject({
      state: 'interrupted',
      attempts: [expect.objectContaining({ n: 1, outcome: 'interrupted' })],
    });
    expect(items.find(i => i.id === unstarted.id)).toMatchObject({
      state: 'queued',
      attempts: [],
    });
    // the lock of the dead holder is free again
    expect(
      await store.acquireLock('rollback:prod', 'live', 9, T0 + 61_000, 60_000),
    ).toEqual({ acquired: true });
    // a process that lost its lease cannot start another attempt
    expect(
      await store.startAttempt(
        started.id,
        'rule',
        2,
        T0 + 62_000,
        'dead',
        T0 + 99_000,
      ),
    ).toBe(false);
    expect(await store.attemptsSince('rule', T0 - 1)).toBe(1);
    expect(await store.guards('rule', 'rollback:prod', T0 - 1)).toEqual({
      lastSuccessAt: null,
      attempts: 1,
    });
    expect(await store.guards('rule', 'rollback:prod', T0 + 1)).toEqual({
      lastSuccessAt: null,
      attempts: 0,
    });
    await store.finish(unstarted.id, 'succeeded', 'done', T0 + 70_000, 5);
    expect(await store.guards('rule', 'rollback:eu', T0 - 1)).toEqual({
      lastSuccessAt: T0 + 70_000,
      attempts: 1,
    });
  });

  it('keeps escalations apart: at most one open per rule, closed by the next success, listed per entity', async () => {
    const e = {
      ruleId: 'rule',
      entityRef: 'component:default/checkout',
      executionId: 7,
      attempts: 3,
      attemptWindow: '10m',
    };
    const opened = await Promise.all(
      Array.from({ length: 5 }, () => escalations.open(e, T0)),
    );
    expect(opened.filter(Boolean)).toHaveLength(1);
    expect(await escalations.isOpen('rule')).toBe(true);
    expect(await escalations.isOpen('other')).toBe(false);
    expect(
      await escalations.list({
        entityRefs: ['component:default/checkout'],
        state: 'open',
      }),
    ).toEqual([
      {
        id: expect.any(Number),
        ruleId: 'rule',
        entityRef: 'component:default/checkout',
        state: 'open',
        openedAt: new Date(T0).toISOString(),
        resolvedAt: null,
        executionId: 7,
        attempts: 3,
        attemptWindow: '10m',
      },
    ]);
    // the rule's next success resolves it, in the same write as the success itself
    const { id } = await store.record(exec({ dedupKey: 'fixed' }), {
      holder: 'a',
      leaseUntil: T0 + 60_000,
    });
    await store.succeed({
      executionId: id,
      ruleId: 'rule',
      n: 1,
      at: T0 + 80_000,
      attemptLatencyMs: 5,
      latencyMs: 80_000,
      detail: 'fixed',
      lockKey: 'rollback:prod',
      holder: 'a',
    });
    expect(await escalations.isOpen('rule')).toBe(false);
    expect((await escalations.list({ state: 'resolved' }))[0].resolvedAt).toBe(
      new Date(T0 + 80_000).toISOString(),
    );
    expect((await store.list({ id }))[0]).toMatchObject({
      state: 'succeeded',
      detail: 'fixed',
      latencyMs: 80_000,
    });
    // a later escalation of the same rule is a new one
    expect(await escalations.open(e, T0 + 100_000)).toBe(true);
    expect((await escalations.list({})).map(x => x.state)).toEqual([
      'open',
      'resolved',
    ]);
    expect(
      await escalations.list({ entityRefs: ['component:default/search'] }),
    ).toEqual([]);
  });
});
