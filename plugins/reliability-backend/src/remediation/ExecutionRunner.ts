import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import {
  fullJitterDelayMs,
  renderTemplate,
  RemediationTriggerKind,
} from '@reliability-suite/plugin-reliability-common';
import {
  RemediationAction,
  RemediationActionContext,
  RemediationActionError,
  RemediationTriggerInfo,
} from '@reliability-suite/plugin-reliability-node';
import { RemediationRule } from './rules';
import { ExecutionRow, RemediationStore } from './RemediationStore';
import { EscalationStore } from './EscalationStore';
import { CircuitBreaker } from './CircuitBreaker';
import { RemediationMetrics } from './metrics';
import { Redactor } from '../redaction/Redactor';
import { indexKey } from '../database/rows';

export interface ExecutionRunnerOptions {
  store: RemediationStore;
  escalations: EscalationStore;
  actions: Map<string, RemediationAction>;
  logger: LoggerService;
  redactor: Redactor;
  auditor: AuditorService;
  metrics: RemediationMetrics;
  breaker: CircuitBreaker;
  /** Identifies this process in leases. */
  holder: string;
  backoff: { baseMs: number; capMs: number };
  leaseGraceMs: number;
  now: () => number;
  /** Told of every success (dry runs never get here), after it is written: the changes feature records flag flips and restarts. */
  onSucceeded?: (e: {
    rule: RemediationRule;
    detail: string;
    at: number;
  }) => Promise<void>;
  /** Called once when a rule escalates (its escalation newly opened): the owners are told. Errors are the callback's. */
  onEscalated?: (e: { rule: RemediationRule; detail: string }) => Promise<void>;
  /**
   * Called when an attempt's target refused its credentials (the action's error carries HTTP 401 or 403): secret
   * hygiene records it and escalates, naming the secrets of the rule's config by path (never a value). Its errors
   * are logged; the execution goes on as for any failure.
   */
  onAuthFailed?: (e: {
    rule: RemediationRule;
    status: 401 | 403;
  }) => Promise<void>;
}

/** What `record` did with one (rule, trigger). */
export interface Recorded {
  ruleId: string;
  executionId: number;
  duplicate: boolean;
  state: string;
  detail?: string;
  /** Set when this call recorded a new execution, claimed by this process: run it now. */
  run?: ExecutionRow;
}

/** What the first attempt's guards read, taken with the lease (see `lease`). */
export interface GuardReads {
  lastSuccessAt: number | null;
  attempts: number;
  /** The first attempt's row was written with the lease, because these reads allowed it. */
  attemptStarted?: boolean;
}

/** Whether the next attempt may go, or how the execution ends before it. */
export type GuardDecision = { go: true } | { go: false; end: Ending };

/** What one call of the action gave. */
export type AttemptResult =
  | { outcome: 'succeeded'; detail: string; at: number; latencyMs: number }
  | { outcome: 'failed'; message: string; retryable: boolean; at: number }
  /** The lease was lost before the call (another process recovered the execution): nothing was called. */
  | { outcome: 'lost' };

/** How an execution ends; `settle` writes it. */
export type Ending =
  /** `attemptLatencyMs`: the call's own latency, written on the attempt row with the execution's end. */
  | {
      kind: 'succeeded';
      detail: string;
      attempt: number;
      at: number;
      attemptLatencyMs?: number;
    }
  | {
      kind: 'failed';
      detail: string;
      attempt?: number;
      auditDetail: string;
      errors: string[];
    }
  | { kind: 'skipped'; detail: string }
  | { kind: 'escalated'; used: number; errors: string[] };

/**
 * One remediation execution as a pipeline of named steps, each a small method with its own test:
 *
 * 1. `record`: a trigger for a rule is written once (its dedup key); a new one is claimed by this process;
 * 2. `lease`: the execution's claim (unless just recorded) and the lease on the rule's lock key;
 * 3. `guards`: before each attempt, cooldown (first attempt only), attempt budget and circuit breaker;
 * 4. `attempt`: one call of the action under its timeout, the attempt row written before the call;
 * 5. `settle`: the final state, metrics, audit event and escalation (opened or resolved).
 *
 * `run` composes 2 to 5 with retries and full-jitter backoff.
 */
export class ExecutionRunner {
  constructor(private readonly o: ExecutionRunnerOptions) {}

  /** The longest an execution may hold its lease: every attempt at its timeout, plus backoff and a grace. */
  leaseMs(rule: RemediationRule): number {
    return (
      (rule.timeoutMs + this.o.backoff.capMs) * (rule.retries + 1) +
      this.o.leaseGraceMs
    );
  }

  templateValues(
    rule: RemediationRule,
    trigger: RemediationTriggerInfo,
    executionId: string,
  ): Record<string, unknown> {
    return {
      ...trigger.labels,
      labels: trigger.labels,
      annotations: trigger.annotations,
      entityRef: rule.entityRef,
      ruleId: rule.id,
      executionId,
      trigger: trigger.kind,
    };
  }

  context(
    rule: RemediationRule,
    trigger: RemediationTriggerInfo,
    executionId: string,
    attempt: number,
    signal: AbortSignal,
  ): RemediationActionContext {
    return {
      params: rule.params,
      trigger: {
        kind: trigger.kind,
        id: trigger.id,
        labels: trigger.labels,
        annotations: trigger.annotations,
        actor: trigger.actor,
      },
      ruleId: rule.id,
      entityRef: rule.entityRef,
      executionId,
      attempt,
      signal,
      templateValues: this.templateValues(rule, trigger, executionId),
    };
  }

  // ---- 1. record ----------------------------------------------------------------------------------------

  /**
   * Records a trigger for a rule once. A lock key that needs labels the trigger lacks is recorded skipped; a dry
   * run is recorded with what it would do; otherwise the execution is recorded claimed by this process (`run`).
   * A repeat of the same trigger is a duplicate and runs nothing.
   */
  async record(
    rule: RemediationRule,
    trigger: RemediationTriggerInfo & { receivedAt: number },
    options: { dryRun?: boolean } = {},
  ): Promise<Recorded> {
    const action = this.o.actions.get(rule.action)!;
    const lock = renderTemplate(
      rule.lockKey,
      this.templateValues(rule, trigger, ''),
    );
    const base = {
      dedupKey: indexKey(`${rule.id}|${trigger.kind}|${trigger.id}`),
      ruleId: rule.id,
      entityRef: rule.entityRef,
      action: rule.action,
      // whatever the action answers (one from another plugin included) passes the one redaction step: this form
      // alone is stored, returned, audited and keys the breaker
      target: this.o.redactor.target(action.target(rule.params)),
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
      const detail = `Not run: the lock key template '${
        rule.lockKey
      }' needs label(s) ${lock.missing.join(
        ', ',
      )}, which the alert does not carry`;
      const r = await this.o.store.record({
        ...base,
        state: 'skipped',
        detail,
      });
      return {
        ruleId: rule.id,
        executionId: r.id,
        duplicate: !r.inserted,
        state: 'skipped',
        detail,
      };
    }
    if (options.dryRun) {
      const context = this.context(
        rule,
        trigger,
        'dry-run',
        1,
        new AbortController().signal,
      );
      // what the action says it would do is redacted like its errors: it is stored and answered
      const detail = this.o.redactor.text(
        `Dry run, nothing called. Would ${action.describe(
          context,
        )} under lock ${base.lockKey} (cooldown ${rule.cooldown}, at most ${
          rule.maxAttempts
        } attempts per ${rule.attemptWindow}).`,
        4_000,
      );
      const r = await this.o.store.record({
        ...base,
        state: 'dry_run',
        detail,
      });
      return {
        ruleId: rule.id,
        executionId: r.id,
        duplicate: !r.inserted,
        state: 'dry_run',
        detail,
      };
    }
    const r = await this.o.store.record(
      { ...base, state: 'queued' },
      { holder: this.o.holder, leaseUntil: this.o.now() + this.leaseMs(rule) },
    );
    if (!r.inserted) this.o.metrics.deduplicated.inc({ rule: rule.id });
    return {
      ruleId: rule.id,
      executionId: r.id,
      duplicate: !r.inserted,
      state: r.inserted ? 'running' : 'duplicate',
      ...(r.inserted
        ? { run: { ...base, id: r.id, state: 'running' as const } }
        : {}),
    };
  }

  // ---- 2. lease -----------------------------------------------------------------------------------------

  /**
   * Claims the execution (unless `fresh`: recorded claimed a moment ago) and takes the lease on its lock key,
   * reading the first attempt's guards in the same round trip. Answers those reads when it may go on, false when
   * not; when another execution holds the lock, this one is settled as skipped. For a fresh execution whose
   * target's breaker is closed, the same round trip also writes the first attempt's row when the reads allow it
   * (`attemptStarted`), so the call follows the lease at once.
   */
  async lease(
    exec: ExecutionRow,
    rule: RemediationRule,
    fresh: boolean,
  ): Promise<GuardReads | false> {
    const { store, holder, now } = this.o;
    const leaseMs = this.leaseMs(rule);
    if (!fresh && !(await store.claim(exec.id, holder, leaseMs, now())))
      return false; // another process has it
    const startFirst =
      fresh && this.o.breaker.state(exec.target, now()) === 'closed'
        ? { cooldownMs: rule.cooldownMs }
        : undefined;
    const lock = await store.acquireLockWithGuards(
      exec.lockKey,
      holder,
      exec.id,
      now(),
      leaseMs,
      {
        ruleId: rule.id,
        since: now() - rule.attemptWindowMs,
        limit: rule.maxAttempts,
        startFirst,
      },
    );
    if (!lock.acquired || !lock.guards) {
      await this.settle(exec, rule, {
        kind: 'skipped',
        detail: `Not run: lock ${exec.lockKey} is held by execution ${
          lock.heldBy ?? '?'
        }, which runs the same fix`,
      });
      return false;
    }
    return lock.guards;
  }

  // ---- 3. guards ----------------------------------------------------------------------------------------

  /**
   * Before attempt `n`: the cooldown since the last success under the same lock key (first attempt only), the
   * rule's attempt budget over its window (all executions, all replicas), and the target's circuit breaker.
   */
  async guards(
    exec: ExecutionRow,
    rule: RemediationRule,
    n: number,
    errors: string[],
    firstReads?: GuardReads,
  ): Promise<GuardDecision> {
    const { store, now } = this.o;
    const since = now() - rule.attemptWindowMs;
    let used: number;
    if (n === 1) {
      const g =
        firstReads ??
        (await store.guards(rule.id, exec.lockKey, since, rule.maxAttempts));
      if (
        g.lastSuccessAt !== null &&
        now() - g.lastSuccessAt < rule.cooldownMs
      ) {
        return {
          go: false,
          end: {
            kind: 'skipped',
            detail: `Not run: cooldown (${
              rule.cooldown
            }) since the last success under ${exec.lockKey} at ${new Date(
              g.lastSuccessAt,
            ).toISOString()}`,
          },
        };
      }
      used = g.attempts;
    } else {
      used = await store.attemptsSince(rule.id, since, rule.maxAttempts);
    }
    if (used >= rule.maxAttempts)
      return { go: false, end: { kind: 'escalated', used, errors } };
    if (!this.o.breaker.allow(exec.target, now())) {
      this.o.metrics.circuitOpen.set({ rule: rule.id, action: rule.action }, 1);
      const detail = `Not called: the circuit breaker for ${
        exec.target
      } is open after repeated failures${
        errors.length ? `; earlier: ${errors.join('; ')}` : ''
      }`;
      return {
        go: false,
        end: { kind: 'failed', detail, auditDetail: 'circuit open', errors },
      };
    }
    return { go: true };
  }

  // ---- 4. attempt ---------------------------------------------------------------------------------------

  /**
   * Attempt `n`: renews the lease and writes the attempt row, then calls the action under the rule's timeout. A
   * failure is written on the attempt row here; a success is written by `settle`, with the execution's end.
   */
  async attempt(
    exec: ExecutionRow,
    rule: RemediationRule,
    n: number,
    fresh: boolean,
    options: { onCalling?: () => void; started?: boolean } = {},
  ): Promise<AttemptResult> {
    const { store, metrics, now } = this.o;
    const renewTo = fresh && n === 1 ? null : now() + this.leaseMs(rule);
    // `started`: the row was written with the lease a moment ago (see `lease`)
    if (
      !options.started &&
      !(await store.startAttempt(
        exec.id,
        rule.id,
        n,
        now(),
        this.o.holder,
        renewTo,
      ))
    )
      return { outcome: 'lost' };
    const labels = {
      action: rule.action,
      entity: rule.entityRef,
      rule: rule.id,
    };
    metrics.attempts.inc(labels);
    const action = this.o.actions.get(rule.action)!;
    const started = now();
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`timed out after ${rule.timeoutMs} ms`)),
      rule.timeoutMs,
    );
    try {
      options.onCalling?.();
      const result = await Promise.race([
        action.execute(
          this.context(
            rule,
            triggerOf(exec),
            String(exec.id),
            n,
            controller.signal,
          ),
        ),
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener('abort', () =>
            reject(
              new RemediationActionError(
                `timed out after ${rule.timeoutMs} ms`,
              ),
            ),
          ),
        ),
      ]);
      const at = now();
      metrics.successes.inc(labels);
      metrics.latency.observe(labels, (at - started) / 1000);
      this.o.breaker.success(exec.target);
      metrics.circuitOpen.set({ rule: rule.id, action: rule.action }, 0);
      // an action's own account of its success is stored and answered too: the same redaction as its errors
      return {
        outcome: 'succeeded',
        detail: this.o.redactor.text(result.detail, 4_000),
        at,
        latencyMs: at - started,
      };
    } catch (e) {
      const at = now();
      // an error from a target passes the one redaction step: the only form that is stored, returned or logged
      const message = this.o.redactor.error(e);
      metrics.latency.observe(labels, (at - started) / 1000);
      this.o.breaker.failure(exec.target, at);
      if (this.o.breaker.state(exec.target, at) === 'open')
        metrics.circuitOpen.set({ rule: rule.id, action: rule.action }, 1);
      await store.finishAttempt(
        exec.id,
        n,
        'failed',
        at,
        at - started,
        message,
      );
      const status = e instanceof RemediationActionError ? e.status : undefined;
      if ((status === 401 || status === 403) && this.o.onAuthFailed) {
        await this.o
          .onAuthFailed({ rule, status })
          .catch(err =>
            this.o.logger.warn(
              `Rule ${
                rule.id
              }: could not record the refused credentials: ${this.o.redactor.error(
                err,
              )}`,
            ),
          );
      }
      return {
        outcome: 'failed',
        message,
        retryable: !(e instanceof RemediationActionError) || e.retryable,
        at,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- 5. settle ----------------------------------------------------------------------------------------

  /**
   * Writes how the execution ended: its state and detail, the audit event, and the escalation. A success resolves
   * the rule's open escalation; reaching the attempt budget opens one (also after a final failure that spent it).
   */
  async settle(
    exec: ExecutionRow,
    rule: RemediationRule,
    end: Ending,
  ): Promise<void> {
    const { store, now } = this.o;
    switch (end.kind) {
      case 'skipped':
        await store.finish(exec.id, 'skipped', end.detail, now(), null);
        return;
      case 'succeeded':
        // the attempt's outcome, the execution's end, the lock's release and the escalation's resolution in one write
        await store.succeed({
          executionId: exec.id,
          ruleId: rule.id,
          n: end.attempt,
          at: end.at,
          attemptLatencyMs: end.attemptLatencyMs ?? 0,
          latencyMs: end.at - exec.createdAt,
          detail: end.detail,
          lockKey: exec.lockKey,
          holder: this.o.holder,
        });
        await this.audit(exec, rule, 'succeeded', end.detail, end.attempt);
        await this.o.onSucceeded?.({ rule, detail: end.detail, at: end.at });
        return;
      case 'failed': {
        // the escalation is open before the execution reads as finished: whoever sees it settled sees both
        if (end.attempt !== undefined) {
          const used = await store.attemptsSince(
            rule.id,
            now() - rule.attemptWindowMs,
          );
          if (used >= rule.maxAttempts)
            await this.escalate(exec, rule, used, end.errors, false);
        }
        await store.finish(exec.id, 'failed', end.detail, now(), null);
        await this.audit(exec, rule, 'failed', end.auditDetail, end.attempt);
        return;
      }
      case 'escalated':
        await this.escalate(exec, rule, end.used, end.errors, true);
        return;
      default:
    }
  }

  private async escalate(
    exec: ExecutionRow,
    rule: RemediationRule,
    used: number,
    errors: string[],
    finishExecution: boolean,
  ) {
    const now = this.o.now();
    const detail = `Escalated: ${used} attempts in ${
      rule.attemptWindow
    } reached the rule's limit of ${rule.maxAttempts}; a human needs to look${
      errors.length ? `. ${errors.join('; ')}` : ''
    }`;
    // open first: an execution that reads as escalated always has its escalation
    const opened = await this.o.escalations.open(
      {
        ruleId: rule.id,
        entityRef: rule.entityRef,
        executionId: exec.id,
        attempts: used,
        attemptWindow: rule.attemptWindow,
      },
      now,
    );
    this.o.metrics.escalations.inc({
      action: rule.action,
      entity: rule.entityRef,
      rule: rule.id,
    });
    if (finishExecution)
      await this.o.store.finish(exec.id, 'escalated', detail, now, null);
    await this.audit(exec, rule, 'failed', detail);
    if (opened)
      await this.o.onEscalated?.({ rule, detail }).catch(() => undefined);
  }

  private async audit(
    exec: ExecutionRow,
    rule: RemediationRule,
    outcome: 'succeeded' | 'failed',
    detail: string,
    attempt?: number,
  ) {
    const event = await this.o.auditor.createEvent({
      eventId: 'remediation-execution',
      severityLevel: 'high',
      meta: {
        executionId: exec.id,
        ruleId: rule.id,
        entityRef: rule.entityRef,
        action: rule.action,
        target: exec.target,
        trigger: exec.triggerKind,
        triggerId: exec.triggerId,
        actor: exec.actor,
        attempt,
      },
    });
    if (outcome === 'succeeded') await event.success({ meta: { detail } });
    else await event.fail({ error: new Error(detail) });
  }

  // ---- the pipeline -------------------------------------------------------------------------------------

  /**
   * Runs one execution: `fresh` when this process recorded it claimed a moment ago; otherwise (a queued one) it
   * is claimed first. A rule removed from config since settles it as skipped. `onCalling` is told when the first
   * call to the target begins.
   */
  async run(
    exec: ExecutionRow,
    rule: RemediationRule | undefined,
    fresh: boolean,
    onCalling?: () => void,
  ): Promise<void> {
    const { store, holder, now } = this.o;
    if (!rule) {
      if (fresh || (await store.claim(exec.id, holder, 60_000, now()))) {
        await store.finish(
          exec.id,
          'skipped',
          `Rule ${exec.ruleId} no longer exists in config`,
          now(),
          null,
        );
      }
      return;
    }
    const firstReads = await this.lease(exec, rule, fresh);
    if (!firstReads) return;
    let released = false;
    try {
      const errors: string[] = [];
      for (let n = 1; n <= rule.retries + 1; n++) {
        const decision = await this.guards(
          exec,
          rule,
          n,
          errors,
          n === 1 ? firstReads : undefined,
        );
        const started = n === 1 && Boolean(firstReads.attemptStarted);
        if (!decision.go) {
          // the reads allowed it, then the breaker opened meanwhile: nothing was called
          if (started) await store.cancelAttempt(exec.id, 1);
          await this.settle(exec, rule, decision.end);
          return;
        }
        const result = await this.attempt(exec, rule, n, fresh, {
          onCalling: n === 1 ? onCalling : undefined,
          started,
        });
        if (result.outcome === 'lost') {
          this.o.logger.warn(
            `Remediation execution ${exec.id}: lease lost before attempt ${n}; stopping`,
          );
          return;
        }
        if (result.outcome === 'succeeded') {
          await this.settle(exec, rule, {
            kind: 'succeeded',
            detail: result.detail,
            attempt: n,
            at: result.at,
            attemptLatencyMs: result.latencyMs,
          });
          released = true; // with the success, in the same write
          return;
        }
        errors.push(`attempt ${n}: ${result.message}`);
        if (!result.retryable || n === rule.retries + 1) {
          const detail = `Failed after ${n} attempt(s): ${errors.join('; ')}${
            result.retryable
              ? ''
              : ' (not retried: the target refused the request)'
          }`;
          await this.settle(exec, rule, {
            kind: 'failed',
            detail,
            attempt: n,
            auditDetail: result.message,
            errors,
          });
          return;
        }
        await new Promise(r =>
          setTimeout(
            r,
            fullJitterDelayMs(
              n - 1,
              this.o.backoff.baseMs,
              this.o.backoff.capMs,
            ),
          ),
        );
      }
    } finally {
      if (!released) await store.releaseLock(exec.lockKey, holder, exec.id);
    }
  }
}

function triggerOf(exec: ExecutionRow): RemediationTriggerInfo {
  return {
    kind: exec.triggerKind,
    id: exec.triggerId,
    labels: exec.labels,
    annotations: exec.annotations,
    actor: exec.actor ?? undefined,
  };
}
