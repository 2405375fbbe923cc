import { AuditorService } from '@backstage/backend-plugin-api';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  RemediationAction,
  RemediationActionError,
} from '@reliability-suite/plugin-reliability-node';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { Redactor } from '../redaction/Redactor';
import { CircuitBreaker } from './CircuitBreaker';
import { ExecutionRunner } from './ExecutionRunner';
import { RemediationMetrics } from './metrics';
import { RemediationRule } from './rules';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-11-23T10:00:00Z');

/** An action (the extension point's contract) that answers from a script: a detail, or an error to throw. */
function scriptedAction(
  script: (string | Error)[],
): RemediationAction & { calls: number } {
  const action = {
    id: 'scripted',
    description: 'answers from a script',
    calls: 0,
    validate: () => [],
    target: () => 'POST http://127.0.0.1:1/fix',
    describe: () => 'call the fix',
    async execute() {
      const next = script[action.calls++] ?? 'done';
      if (next instanceof Error) throw next;
      return { detail: next };
    },
  };
  return action;
}

const rule = (over: Partial<RemediationRule> = {}): RemediationRule => ({
  id: 'fix',
  entityRef: 'component:default/checkout',
  description: 'fix it',
  match: [],
  matchText: [],
  triggers: ['alert', 'alertmanager', 'manual'],
  action: 'scripted',
  params: {},
  lockKey: 'fix:{{env}}',
  cooldownMs: 0,
  cooldown: '0',
  maxAttempts: 5,
  attemptWindowMs: 600_000,
  attemptWindow: '10m',
  retries: 0,
  timeoutMs: 1_000,
  ...over,
});

const trigger = (
  id: string,
  labels: Record<string, string> = { env: 'prod' },
) => ({
  kind: 'alertmanager' as const,
  id,
  labels,
  annotations: {},
  receivedAt: T0,
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('ExecutionRunner on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function setup(
    script: (string | Error)[] = [],
    options: { holder?: string; breaker?: CircuitBreaker } = {},
  ) {
    const knex = await databases.init(databaseId);
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    const action = scriptedAction(script);
    const audits: { outcome: string; meta: Record<string, unknown> }[] = [];
    const auditor: AuditorService = {
      async createEvent({ meta }) {
        return {
          async success() {
            audits.push({ outcome: 'succeeded', meta: meta ?? {} });
          },
          async fail() {
            audits.push({ outcome: 'failed', meta: meta ?? {} });
          },
        };
      },
    };
    const clock = { now: T0 };
    const metrics = new RemediationMetrics();
    const make = (holder: string, store = stores.remediation) =>
      new ExecutionRunner({
        store,
        escalations: stores.escalations,
        actions: new Map([[action.id, action]]),
        logger: mockServices.rootLogger({ level: 'error' }),
        redactor: new Redactor(),
        auditor,
        metrics,
        breaker:
          options.breaker ??
          new CircuitBreaker({ failureThreshold: 3, openMs: 60_000 }),
        holder,
        backoff: { baseMs: 1, capMs: 2 },
        leaseGraceMs: 1_000,
        now: () => clock.now,
      });
    return {
      runner: make(options.holder ?? 'a'),
      make,
      stores,
      action,
      audits,
      clock,
      metrics,
    };
  }

  it('record: writes a trigger once, claimed by this process; a lock key missing its labels is skipped; a dry run calls nothing', async () => {
    const { runner, stores, action } = await setup();
    const first = await runner.record(rule(), trigger('t1'));
    expect(first).toMatchObject({
      ruleId: 'fix',
      duplicate: false,
      state: 'running',
      run: expect.objectContaining({
        id: first.executionId,
        lockKey: 'fix:prod',
      }),
    });
    const again = await runner.record(rule(), trigger('t1'));
    expect(again).toEqual({
      ruleId: 'fix',
      executionId: first.executionId,
      duplicate: true,
      state: 'duplicate',
    });

    const missing = await runner.record(rule(), trigger('t2', {}));
    expect(missing).toMatchObject({
      state: 'skipped',
      detail:
        "Not run: the lock key template 'fix:{{env}}' needs label(s) env, which the alert does not carry",
    });
    expect(missing.run).toBeUndefined();

    const dry = await runner.record(rule(), trigger('t3'), { dryRun: true });
    expect(dry).toMatchObject({
      state: 'dry_run',
      detail: expect.stringContaining(
        'Dry run, nothing called. Would call the fix under lock fix:prod',
      ),
    });
    expect(action.calls).toBe(0);
    expect(
      (await stores.remediation.list({})).map(e => e.state).sort(),
    ).toEqual(['dry_run', 'running', 'skipped']);
  });

  it('record: keeps the redacted target of whatever the action answers, in the row, the run and the dry run', async () => {
    const { runner, stores, action, audits } = await setup(['fixed']);
    action.target = () =>
      'POST http://runner-user:runner-pass@127.0.0.1:1/fix?token=runner-q';
    action.describe = () =>
      'call http://runner-user:runner-pass@127.0.0.1:1/fix';
    const recorded = await runner.record(rule(), trigger('t1'));
    expect(recorded.run!.target).toBe('POST http://127.0.0.1:1/fix');
    const dry = await runner.record(rule(), trigger('t2'), { dryRun: true });
    expect(dry.detail).toContain(
      'Would call http://127.0.0.1:1/fix under lock fix:prod',
    );
    await runner.run(recorded.run!, rule(), true);
    const rows = await stores.remediation.list({});
    expect(rows.map(r => r.target)).toEqual([
      'POST http://127.0.0.1:1/fix',
      'POST http://127.0.0.1:1/fix',
    ]);
    expect(audits.map(a => a.meta.target)).toEqual([
      'POST http://127.0.0.1:1/fix',
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/runner-(user|pass|q)/);
  });

  it('lease: one execution per lock key at a time; the other is settled as skipped', async () => {
    const { runner, stores } = await setup();
    const a = (await runner.record(rule(), trigger('t1'))).run!;
    const b = (await runner.record(rule(), trigger('t2'))).run!;
    // the lease comes with the first attempt's guard reads, taken in the same round trip, and (the reads allowing
    // it, the breaker closed) with the first attempt's row
    expect(await runner.lease(a, rule(), true)).toEqual({
      lastSuccessAt: null,
      attempts: 0,
      attemptStarted: true,
    });
    expect((await stores.remediation.list({ id: a.id }))[0].attempts).toEqual([
      expect.objectContaining({ n: 1, outcome: 'started' }),
    ]);
    expect(await runner.lease(b, rule(), true)).toBe(false);
    const other = (await stores.remediation.list({ id: b.id }))[0];
    expect(other).toMatchObject({
      state: 'skipped',
      detail: `Not run: lock fix:prod is held by execution ${a.id}, which runs the same fix`,
    });
  });

  it('lease: writes no attempt when the reads forbid it (cooldown, budget) or the breaker is not closed; run then calls nothing', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 60_000 });
    const { runner, stores, action, clock } = await setup([], { breaker });
    const done = (await runner.record(rule(), trigger('t1'))).run!;
    await stores.remediation.finish(done.id, 'succeeded', 'ok', T0, 1);
    clock.now = T0 + 30_000;
    const cooling = rule({ cooldownMs: 60_000, cooldown: '1m' });
    const exec = (await runner.record(cooling, trigger('t2'))).run!;
    await runner.run(exec, cooling, true);
    expect((await stores.remediation.list({ id: exec.id }))[0]).toMatchObject({
      state: 'skipped',
      attempts: [],
      detail: expect.stringContaining('cooldown (1m)'),
    });

    await stores.remediation.startAttempt(done.id, 'fix', 1, T0, 'a', null);
    const spent = rule({ maxAttempts: 1 });
    const over = (await runner.record(spent, trigger('t3'))).run!;
    expect(await runner.lease(over, spent, true)).toEqual({
      lastSuccessAt: T0,
      attempts: 1,
      attemptStarted: false,
    });
    expect(
      (await stores.remediation.list({ id: over.id }))[0].attempts,
    ).toEqual([]);

    breaker.failure('POST http://127.0.0.1:1/fix', clock.now);
    const other = (await runner.record(rule(), trigger('t4', { env: 'eu' })))
      .run!;
    await runner.run(other, rule(), true);
    expect((await stores.remediation.list({ id: other.id }))[0]).toMatchObject({
      state: 'failed',
      attempts: [],
      detail: expect.stringContaining('circuit breaker'),
    });
    expect(action.calls).toBe(0);
  });

  it('run: when the breaker opens between the lease and the guards, the attempt written with the lease is taken back', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 60_000 });
    const { runner, stores, action } = await setup([], { breaker });
    const exec = (await runner.record(rule(), trigger('t1'))).run!;
    const lease = runner.lease.bind(runner);
    jest.spyOn(runner, 'lease').mockImplementation(async (...args) => {
      const reads = await lease(...args);
      breaker.failure('POST http://127.0.0.1:1/fix', T0); // another execution's failure, meanwhile
      return reads;
    });
    await runner.run(exec, rule(), true);
    expect((await stores.remediation.list({ id: exec.id }))[0]).toMatchObject({
      state: 'failed',
      attempts: [],
      detail: expect.stringContaining('circuit breaker'),
    });
    expect(action.calls).toBe(0);
  });

  it('lease: a queued execution another process claimed is left to it', async () => {
    const { make } = await setup();
    const a = make('a');
    const b = make('b');
    const exec = (await a.record(rule(), trigger('t1'))).run!;
    // b finds it (say, through dispatch) while a holds its claim
    expect(await b.lease(exec, rule(), false)).toBe(false);
  });

  it('guards: cooldown on the first attempt, attempt budget, then the breaker', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 60_000 });
    const { runner, stores, clock } = await setup([], { breaker });
    const done = (await runner.record(rule(), trigger('t1'))).run!;
    await stores.remediation.finish(done.id, 'succeeded', 'ok', T0, 1);
    const exec = (await runner.record(rule(), trigger('t2'))).run!;

    // within the cooldown of the last success under the same lock key
    clock.now = T0 + 30_000;
    expect(
      await runner.guards(
        exec,
        rule({ cooldownMs: 60_000, cooldown: '1m' }),
        1,
        [],
      ),
    ).toEqual({
      go: false,
      end: {
        kind: 'skipped',
        detail: `Not run: cooldown (1m) since the last success under fix:prod at ${new Date(
          T0,
        ).toISOString()}`,
      },
    });
    expect(await runner.guards(exec, rule(), 1, [])).toEqual({ go: true });

    // the attempt budget counts every attempt of the rule in its window
    await stores.remediation.startAttempt(done.id, 'fix', 1, T0, 'a', null);
    await stores.remediation.startAttempt(done.id, 'fix', 2, T0, 'a', null);
    expect(
      await runner.guards(exec, rule({ maxAttempts: 2 }), 2, [
        'attempt 1: boom',
      ]),
    ).toEqual({
      go: false,
      end: { kind: 'escalated', used: 2, errors: ['attempt 1: boom'] },
    });

    // an open breaker fails fast
    breaker.failure('POST http://127.0.0.1:1/fix', clock.now);
    expect(await runner.guards(exec, rule(), 1, [])).toMatchObject({
      go: false,
      end: {
        kind: 'failed',
        auditDetail: 'circuit open',
        detail: expect.stringContaining(
          'circuit breaker for POST http://127.0.0.1:1/fix is open',
        ),
      },
    });
  });

  it('attempt: writes the attempt, calls the action, and records a failure (a success is written by settle); an expired lease calls nothing', async () => {
    const { runner, stores, action, make } = await setup([
      'flag off',
      new RemediationActionError(
        'HTTP 400 from http://user:pw@flags.local/x?token=1',
        { retryable: false },
      ),
    ]);
    const exec = (await runner.record(rule(), trigger('t1'))).run!;
    const ok = await runner.attempt(exec, rule(), 1, true);
    expect(ok).toMatchObject({ outcome: 'succeeded', detail: 'flag off' });
    expect(
      (await stores.remediation.list({ id: exec.id }))[0].attempts.map(a => [
        a.n,
        a.outcome,
      ]),
    ).toEqual([[1, 'started']]);
    await runner.settle(exec, rule(), {
      kind: 'succeeded',
      detail: 'flag off',
      attempt: 1,
      at: T0 + 7,
      attemptLatencyMs: 3,
    });
    expect(
      (await stores.remediation.list({ id: exec.id }))[0].attempts.map(a => [
        a.n,
        a.outcome,
        a.latencyMs,
      ]),
    ).toEqual([[1, 'succeeded', 3]]);
    const other = (await runner.record(rule(), trigger('t2'))).run!;
    const failed = await runner.attempt(other, rule(), 1, true);
    expect(failed).toMatchObject({ outcome: 'failed', retryable: false });
    // the target's error text is redacted before it is kept
    expect(failed.outcome === 'failed' && failed.message).not.toMatch(
      /pw|token=1/,
    );
    const [row] = await stores.remediation.list({ id: other.id });
    expect(row.attempts.map(a => [a.n, a.outcome])).toEqual([[1, 'failed']]);
    expect(row.attempts[0].error).toContain('HTTP 400');
    // another process that does not hold the lease cannot start an attempt
    expect(await make('b').attempt(other, rule(), 2, false)).toEqual({
      outcome: 'lost',
    });
    expect(action.calls).toBe(2);
  });

  it('settle: success closes the escalation and audits; a failure that spent the budget opens one', async () => {
    const { runner, stores, audits } = await setup();
    const exec = (await runner.record(rule(), trigger('t1'))).run!;
    await stores.remediation.startAttempt(exec.id, 'fix', 1, T0, 'a', null);
    await runner.settle(exec, rule({ maxAttempts: 1 }), {
      kind: 'failed',
      detail: 'Failed after 1 attempt(s): boom',
      attempt: 1,
      auditDetail: 'boom',
      errors: ['attempt 1: boom'],
    });
    expect((await stores.remediation.list({ id: exec.id }))[0]).toMatchObject({
      state: 'failed',
      detail: 'Failed after 1 attempt(s): boom',
    });
    expect(await stores.escalations.list({ state: 'open' })).toEqual([
      expect.objectContaining({
        ruleId: 'fix',
        attempts: 1,
        executionId: exec.id,
      }),
    ]);
    expect(audits.map(a => a.outcome)).toEqual(['failed', 'failed']);

    const next = (await runner.record(rule(), trigger('t2'))).run!;
    await runner.settle(next, rule(), {
      kind: 'succeeded',
      detail: 'fixed',
      attempt: 1,
      at: T0 + 5,
    });
    expect((await stores.remediation.list({ id: next.id }))[0]).toMatchObject({
      state: 'succeeded',
      latencyMs: 5,
    });
    expect(await stores.escalations.isOpen('fix')).toBe(false);
    expect(audits.at(-1)).toEqual({
      outcome: 'succeeded',
      meta: expect.objectContaining({
        executionId: next.id,
        ruleId: 'fix',
        attempt: 1,
      }),
    });
  });

  it('run: retries a retryable failure, stops at the first success, and frees the lock', async () => {
    const { runner, stores, action, metrics } = await setup([
      new Error('ECONNRESET'),
      'rolled back',
    ]);
    const exec = (await runner.record(rule({ retries: 2 }), trigger('t1')))
      .run!;
    await runner.run(exec, rule({ retries: 2 }), true);
    expect(action.calls).toBe(2);
    expect((await stores.remediation.list({ id: exec.id }))[0]).toMatchObject({
      state: 'succeeded',
      detail: 'rolled back',
    });
    expect(await metrics.registry.metrics()).toContain(
      'selfheal_success_total{action="scripted",entity="component:default/checkout",rule="fix"} 1',
    );
    // the lock is free again: the next execution under it runs
    expect(
      await runner.lease(
        (
          await runner.record(rule(), trigger('t2'))
        ).run!,
        rule(),
        true,
      ),
    ).toEqual({ lastSuccessAt: T0, attempts: 2, attemptStarted: true });
  });

  it('run: a success is one write: the attempt, the execution and the lock together; a stop just before it leaves the attempt started, so recovery does not call again', async () => {
    const { runner, make, stores, action, clock } = await setup([
      'rolled back',
    ]);
    const exec = (await runner.record(rule(), trigger('t1'))).run!;
    // a stop between the call and the write: nothing of the success was written
    const failing = Object.create(stores.remediation);
    failing.succeed = async () => {
      throw new Error('backend stopped');
    };
    const stopped = make('a', failing);
    await expect(stopped.run(exec, rule(), true)).rejects.toThrow(
      'backend stopped',
    );
    expect((await stores.remediation.list({ id: exec.id }))[0]).toMatchObject({
      state: 'running',
      attempts: [expect.objectContaining({ n: 1, outcome: 'started' })],
    });
    // after the lease expires, recovery marks it interrupted and does not repeat the call
    clock.now = T0 + 10 * 60_000;
    const { interrupted, requeued } = await stores.remediation.recover(
      clock.now,
    );
    expect([interrupted, requeued]).toEqual([[exec.id], []]);
    expect(action.calls).toBe(1);
  });

  it('run: a rule gone from config settles its execution as skipped', async () => {
    const { runner, stores } = await setup();
    const exec = (await runner.record(rule(), trigger('t1'))).run!;
    await runner.run(exec, undefined, true);
    expect((await stores.remediation.list({ id: exec.id }))[0]).toMatchObject({
      state: 'skipped',
      detail: 'Rule fix no longer exists in config',
    });
  });
});
