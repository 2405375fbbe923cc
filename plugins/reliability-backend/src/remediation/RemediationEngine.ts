import { randomUUID } from 'crypto';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { decodeCursor, pageOf, fullJitterDelayMs, matchesLabels, percentile, RemediationListResponse, renderTemplate, RemediationTriggerKind } from '@internal/plugin-reliability-common';
import { RemediationAction, RemediationActionContext, RemediationActionError, RemediationTriggerInfo } from '@internal/plugin-reliability-node';
import { RemediationRule, ruleSummary } from './rules';
import { ExecutionRow, RemediationStore } from './RemediationStore';
import { CircuitBreaker } from './CircuitBreaker';
import { RemediationMetrics } from './metrics';
import { AlertStore } from '../alerts/AlertStore';
import { Redactor } from '../redaction/Redactor';
import { indexKey } from '../database/rows';

/** A trigger arriving at the engine. */
export interface IncomingTrigger extends RemediationTriggerInfo {
  /** For the suite's own alerts: the entity the alert is about; rules for other entities ignore it. */
  entityRef?: string;
  receivedAt: number;
}

export interface SubmitResult {
  ruleId: string;
  executionId: number;
  duplicate: boolean;
  state: string;
  detail?: string;
}

export interface RemediationEngineOptions {
  store: RemediationStore;
  alerts: AlertStore;
  rules: RemediationRule[];
  actions: Map<string, RemediationAction>;
  logger: LoggerService;
  /** The one redaction step for error text from targets; defaults to URL and auth-scheme redaction only. */
  redactor?: Redactor;
  auditor: AuditorService;
  metrics: RemediationMetrics;
  /** Identifies this process in leases. */
  holder: string;
  breaker?: { failureThreshold: number; openMs: number };
  backoff?: { baseMs: number; capMs: number };
  /** Added to the longest an execution can take to form its lease (default 30 s). */
  leaseGraceMs?: number;
  now?: () => number;
}


/**
 * Runs remediation rules: matches triggers to rules, records each (rule, trigger) once, and executes it under a
 * lease on the rule's lock key with cooldown, an attempt budget, retries with full-jitter backoff, a circuit
 * breaker per target, and escalation instead of looping.
 */
export class RemediationEngine {
  readonly rules: RemediationRule[];
  private readonly breaker: CircuitBreaker;
  private readonly running = new Map<number, Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly o: RemediationEngineOptions) {
    this.rules = o.rules;
    this.breaker = new CircuitBreaker(o.breaker ?? { failureThreshold: 3, openMs: 60_000 });
    this.now = o.now ?? Date.now;
    this.redactor = o.redactor ?? new Redactor();
  }

  private readonly redactor: Redactor;

  /** An error from a target, through the one redaction step: the only form that is stored, returned or logged. */
  private errorText(e: unknown): string {
    return this.redactor.error(e);
  }

  rulesFor(entityRef?: string) {
    return this.rules.filter(r => !entityRef || r.entityRef === entityRef);
  }

  rule(id: string) {
    return this.rules.find(r => r.id === id);
  }

  private matching(trigger: IncomingTrigger): RemediationRule[] {
    return this.rules.filter(
      r =>
        r.triggers.includes(trigger.kind) &&
        (!trigger.entityRef || trigger.entityRef === r.entityRef) &&
        matchesLabels(r.match, trigger.labels),
    );
  }

  private templateValues(rule: RemediationRule, trigger: RemediationTriggerInfo, executionId: string): Record<string, unknown> {
    return { ...trigger.labels, labels: trigger.labels, annotations: trigger.annotations, entityRef: rule.entityRef, ruleId: rule.id, executionId, trigger: trigger.kind };
  }

  /**
   * Records the trigger for every matching rule (or only `onlyRule`) and starts the new executions in the
   * background. Repeats of a trigger already recorded come back as duplicates and run nothing.
   */
  async submit(trigger: IncomingTrigger, options: { onlyRule?: RemediationRule; dryRun?: boolean } = {}): Promise<SubmitResult[]> {
    const rules = options.onlyRule ? [options.onlyRule] : this.matching(trigger);
    const results: SubmitResult[] = [];
    for (const rule of rules) {
      const action = this.o.actions.get(rule.action)!;
      const lock = renderTemplate(rule.lockKey, this.templateValues(rule, trigger, ''));
      const base = {
        dedupKey: indexKey(`${rule.id}|${trigger.kind}|${trigger.id}`),
        ruleId: rule.id,
        entityRef: rule.entityRef,
        action: rule.action,
        target: action.target(rule.params),
        triggerKind: trigger.kind as RemediationTriggerKind,
        triggerId: trigger.id,
        labels: trigger.labels,
        annotations: trigger.annotations,
        // labels can make a lock key of any length: the indexed column holds its digest then
        lockKey: indexKey(lock.text),
        dryRun: Boolean(options.dryRun),
        actor: trigger.actor ?? null,
        createdAt: trigger.receivedAt,
      };
      if (lock.missing.length) {
        const detail = `Not run: the lock key template '${rule.lockKey}' needs label(s) ${lock.missing.join(', ')}, which the alert does not carry`;
        const r = await this.o.store.record({ ...base, state: 'skipped', detail });
        results.push({ ruleId: rule.id, executionId: r.id, duplicate: !r.inserted, state: 'skipped', detail });
        continue;
      }
      if (options.dryRun) {
        const context = this.context(rule, trigger, 'dry-run', 1, new AbortController().signal);
        const detail = `Dry run, nothing called. Would ${action.describe(context)} under lock ${indexKey(lock.text)} (cooldown ${rule.cooldown}, at most ${rule.maxAttempts} attempts per ${rule.attemptWindow}).`;
        const r = await this.o.store.record({ ...base, state: 'dry_run', detail });
        results.push({ ruleId: rule.id, executionId: r.id, duplicate: !r.inserted, state: 'dry_run', detail });
        continue;
      }
      // recorded already claimed by this process: it runs it right away
      const r = await this.o.store.record({ ...base, state: 'queued' }, { holder: this.o.holder, leaseUntil: this.now() + this.leaseMs(rule) });
      if (!r.inserted) this.o.metrics.deduplicated.inc({ rule: rule.id });
      results.push({ ruleId: rule.id, executionId: r.id, duplicate: !r.inserted, state: r.inserted ? 'running' : 'duplicate' });
      if (r.inserted) this.start(r.id, { ...base, id: r.id, state: 'running' });
    }
    return results;
  }

  private context(rule: RemediationRule, trigger: RemediationTriggerInfo, executionId: string, attempt: number, signal: AbortSignal): RemediationActionContext {
    return {
      params: rule.params,
      trigger: { kind: trigger.kind, id: trigger.id, labels: trigger.labels, annotations: trigger.annotations, actor: trigger.actor },
      ruleId: rule.id,
      entityRef: rule.entityRef,
      executionId,
      attempt,
      signal,
      templateValues: this.templateValues(rule, trigger, executionId),
    };
  }

  /** Runs an execution in the background; `row` spares reading back what submit just wrote. */
  private start(id: number, row?: ExecutionRow) {
    if (this.running.has(id)) return;
    const p = this.execute(id, row)
      .catch(e => this.o.logger.error(`Remediation execution ${id} failed unexpectedly: ${this.errorText(e)}`))
      .finally(() => this.running.delete(id));
    this.running.set(id, p);
  }

  /** Resolves when every execution this process started has finished (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  /** Waits up to `timeoutMs` for an execution this process runs to finish. */
  async settle(id: number, timeoutMs: number): Promise<void> {
    const p = this.running.get(id);
    if (!p) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p, new Promise(r => { timer = setTimeout(r, timeoutMs); })]);
    clearTimeout(timer);
  }

  /** Periodic: accounts for executions of stopped processes, and runs queued ones nobody took. */
  async dispatch(): Promise<void> {
    const { interrupted, requeued } = await this.o.store.recover(this.now());
    if (interrupted.length) this.o.logger.warn(`Remediation executions ${interrupted.join(', ')} were interrupted mid-attempt by a stopped backend; not repeated`);
    if (requeued.length) this.o.logger.info(`Remediation executions ${requeued.join(', ')} requeued (their backend stopped before calling the target)`);
    for (const id of await this.o.store.queued()) this.start(id);
  }

  private leaseMs(rule: RemediationRule) {
    const backoff = this.o.backoff ?? { baseMs: 200, capMs: 5_000 };
    return (rule.timeoutMs + backoff.capMs) * (rule.retries + 1) + (this.o.leaseGraceMs ?? 30_000);
  }

  /** Runs an execution: `row` is one submit recorded already claimed; without it, a queued one is claimed first. */
  private async execute(id: number, row?: ExecutionRow): Promise<void> {
    const { store } = this.o;
    const exec = row ?? (await store.get(id));
    if (!exec) return;
    const rule = this.rule(exec.ruleId);
    if (!rule) {
      if (row || (await store.claim(id, this.o.holder, 60_000, this.now()))) {
        await store.finish(id, 'skipped', `Rule ${exec.ruleId} no longer exists in config`, this.now(), null);
      }
      return;
    }
    const leaseMs = this.leaseMs(rule);
    if (!row && !(await store.claim(id, this.o.holder, leaseMs, this.now()))) return; // another process has it
    const lock = await store.acquireLock(exec.lockKey, this.o.holder, id, this.now(), leaseMs);
    if (!lock.acquired) {
      await store.finish(id, 'skipped', `Not run: lock ${exec.lockKey} is held by execution ${lock.heldBy ?? '?'}, which runs the same fix`, this.now(), null);
      return;
    }
    try {
      await this.executeLocked(exec, rule, leaseMs, Boolean(row));
    } finally {
      await store.releaseLock(exec.lockKey, this.o.holder, id);
    }
  }

  /** `fresh`: the execution was recorded claimed a moment ago, so its first attempt needs no lease renewal. */
  private async executeLocked(exec: ExecutionRow, rule: RemediationRule, leaseMs: number, fresh: boolean): Promise<void> {
    const { store, metrics } = this.o;
    const action = this.o.actions.get(rule.action)!;
    const labels = { action: rule.action, entity: rule.entityRef, rule: rule.id };
    const guards = await store.guards(rule.id, exec.lockKey, this.now() - rule.attemptWindowMs);
    const lastSuccess = guards.lastSuccessAt;
    if (lastSuccess !== null && this.now() - lastSuccess < rule.cooldownMs) {
      await store.finish(exec.id, 'skipped', `Not run: cooldown (${rule.cooldown}) since the last success under ${exec.lockKey} at ${new Date(lastSuccess).toISOString()}`, this.now(), null);
      return;
    }
    const errors: string[] = [];
    for (let n = 1; n <= rule.retries + 1; n++) {
      const used = n === 1 ? guards.attempts : await store.attemptsSince(rule.id, this.now() - rule.attemptWindowMs);
      if (used >= rule.maxAttempts) {
        await this.escalate(exec, rule, used, errors);
        return;
      }
      if (!this.breaker.allow(exec.target, this.now())) {
        metrics.circuitOpen.set({ rule: rule.id, action: rule.action }, 1);
        await store.finish(exec.id, 'failed', `Not called: the circuit breaker for ${exec.target} is open after repeated failures${errors.length ? `; earlier: ${errors.join('; ')}` : ''}`, this.now(), null);
        await this.audit(exec, rule, 'failed', 'circuit open');
        return;
      }
      if (!(await store.startAttempt(exec.id, rule.id, n, this.now(), this.o.holder, fresh && n === 1 ? null : this.now() + leaseMs))) {
        this.o.logger.warn(`Remediation execution ${exec.id}: lease lost before attempt ${n}; stopping`);
        return;
      }
      metrics.attempts.inc(labels);
      const started = this.now();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error(`timed out after ${rule.timeoutMs} ms`)), rule.timeoutMs);
      try {
        const result = await Promise.race([
          action.execute(this.context(rule, triggerOf(exec), String(exec.id), n, controller.signal)),
          new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new RemediationActionError(`timed out after ${rule.timeoutMs} ms`)))),
        ]);
        const done = this.now();
        clearTimeout(timer);
        metrics.successes.inc(labels);
        metrics.latency.observe(labels, (done - started) / 1000);
        this.breaker.success(exec.target);
        metrics.circuitOpen.set({ rule: rule.id, action: rule.action }, 0);
        await store.finishAttempt(exec.id, n, 'succeeded', done, done - started, null);
        await store.finish(exec.id, 'succeeded', result.detail, done, done - exec.createdAt);
        if (guards.escalated) await this.o.alerts.resolveEscalation(rule.id, done);
        await this.audit(exec, rule, 'succeeded', result.detail, n);
        return;
      } catch (e) {
        clearTimeout(timer);
        const done = this.now();
        const message = this.errorText(e);
        errors.push(`attempt ${n}: ${message}`);
        metrics.latency.observe(labels, (done - started) / 1000);
        this.breaker.failure(exec.target, done);
        if (this.breaker.state(exec.target, done) === 'open') metrics.circuitOpen.set({ rule: rule.id, action: rule.action }, 1);
        await store.finishAttempt(exec.id, n, 'failed', done, done - started, message);
        const retryable = !(e instanceof RemediationActionError) || e.retryable;
        if (!retryable || n === rule.retries + 1) {
          await store.finish(exec.id, 'failed', `Failed after ${n} attempt(s): ${errors.join('; ')}${retryable ? '' : ' (not retried: the target refused the request)'}`, done, null);
          await this.audit(exec, rule, 'failed', message, n);
          const usedNow = await store.attemptsSince(rule.id, this.now() - rule.attemptWindowMs);
          if (usedNow >= rule.maxAttempts) await this.escalate(exec, rule, usedNow, errors, false);
          return;
        }
        const b = this.o.backoff ?? { baseMs: 200, capMs: 5_000 };
        await new Promise(r => setTimeout(r, fullJitterDelayMs(n - 1, b.baseMs, b.capMs)));
      }
    }
  }

  /** Stops retrying: opens an escalation alert, counts it, and notes it in the history. */
  private async escalate(exec: ExecutionRow, rule: RemediationRule, used: number, errors: string[], finishExecution = true) {
    const now = this.now();
    const detail = `Escalated: ${used} attempts in ${rule.attemptWindow} reached the rule's limit of ${rule.maxAttempts}; a human needs to look${errors.length ? `. ${errors.join('; ')}` : ''}`;
    if (finishExecution) await this.o.store.finish(exec.id, 'escalated', detail, now, null);
    this.o.metrics.escalations.inc({ action: rule.action, entity: rule.entityRef, rule: rule.id });
    await this.o.alerts.openEscalation(rule.id, rule.entityRef, { ruleId: rule.id, entityRef: rule.entityRef, attempts: used, window: rule.attemptWindow, executionId: exec.id }, now);
    await this.audit(exec, rule, 'failed', detail);
  }

  private async audit(exec: ExecutionRow, rule: RemediationRule, outcome: 'succeeded' | 'failed', detail: string, attempt?: number) {
    const event = await this.o.auditor.createEvent({
      eventId: 'remediation-execution',
      severityLevel: 'high',
      meta: { executionId: exec.id, ruleId: rule.id, entityRef: rule.entityRef, action: rule.action, target: exec.target, trigger: exec.triggerKind, triggerId: exec.triggerId, actor: exec.actor, attempt },
    });
    if (outcome === 'succeeded') await event.success({ meta: { detail } });
    else await event.fail({ error: new Error(detail) });
  }

  /**
   * Executions, newest first, from `offset` (the summary covers the executions of this page). `visible`
   * restricts them (and the rules) to the entities the caller may read.
   */
  async history(entityRef: string | undefined, limit: number, offset = 0, visible?: (entityRef: string) => boolean): Promise<RemediationListResponse> {
    const visibleRefs = visible ? [...new Set(this.rules.map(r => r.entityRef))].filter(visible) : undefined;
    const items = await this.o.store.list({ entityRef, entityRefs: entityRef ? undefined : visibleRefs, limit, offset });
    const done = items.filter(i => i.state === 'succeeded' || i.state === 'failed' || i.state === 'escalated' || i.state === 'interrupted');
    const succeeded = done.filter(i => i.state === 'succeeded');
    const latencies = succeeded.map(i => i.latencyMs).filter((v): v is number => v !== null);
    return {
      rules: this.rulesFor(entityRef).filter(r => !visible || visible(r.entityRef)).map(ruleSummary),
      items,
      summary: {
        executions: items.length,
        succeeded: succeeded.length,
        failed: done.length - succeeded.length,
        deduplicated: items.reduce((n, i) => n + i.duplicates, 0),
        successRate: done.length ? succeeded.length / done.length : null,
        latencyP50Ms: percentile(latencies, 50),
        latencyP95Ms: percentile(latencies, 95),
      },
    };
  }

  /** One page of the history (`limit` from `cursor`), restricted to the entities `visible` passes. */
  async page(entityRef: string | undefined, limit: number, cursor: string | undefined, visible: (entityRef: string) => boolean): Promise<RemediationListResponse & { nextCursor?: string }> {
    const offset = decodeCursor(cursor) ?? 0;
    const history = await this.history(entityRef, limit + 1, offset, visible);
    return { ...history, ...pageOf(history.items, offset, limit, true) };
  }

  /**
   * Run now: records a manual trigger for this one rule (a dry run describes and calls nothing), waits up to 10 s
   * for it to settle, and answers the execution. Reserved labels are the rule's own, whatever the caller sent.
   */
  async runNow(rule: RemediationRule, body: { dryRun?: boolean; labels?: Record<string, string> }, actor: string) {
    const [result] = await this.submit(
      {
        kind: 'manual',
        id: randomUUID(),
        labels: { ...(body.labels ?? {}), entity: rule.entityRef, alertname: 'ManualRun', rule: rule.id },
        annotations: {},
        actor,
        receivedAt: this.now(),
      },
      { onlyRule: rule, dryRun: body.dryRun },
    );
    await this.settle(result.executionId, 10_000);
    return (await this.execution(result.executionId)) ?? result;
  }

  /** One execution with its attempts. */
  async execution(id: number) {
    const [item] = await this.o.store.list({ id, limit: 1 });
    return item;
  }
}

function triggerOf(exec: ExecutionRow): RemediationTriggerInfo {
  return { kind: exec.triggerKind, id: exec.triggerId, labels: exec.labels, annotations: exec.annotations, actor: exec.actor ?? undefined };
}
