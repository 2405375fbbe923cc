import { randomUUID } from 'crypto';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import {
  decodeCursor,
  pageOf,
  matchesLabels,
  percentile,
  RemediationListResponse,
} from '@reliability-suite/plugin-reliability-common';
import {
  RemediationAction,
  RemediationTriggerInfo,
} from '@reliability-suite/plugin-reliability-node';
import { RemediationRule, ruleSummary } from './rules';
import { ExecutionRow, RemediationStore } from './RemediationStore';
import { EscalationStore } from './EscalationStore';
import { CircuitBreaker } from './CircuitBreaker';
import { ExecutionRunner, ExecutionRunnerOptions } from './ExecutionRunner';
import { RemediationMetrics } from './metrics';
import { Redactor } from '../redaction/Redactor';

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
  escalations: EscalationStore;
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
  /** Told of every real success (see ExecutionRunnerOptions). */
  onSucceeded?: ExecutionRunnerOptions['onSucceeded'];
  onEscalated?: ExecutionRunnerOptions['onEscalated'];
  /** Told when a target refuses an attempt's credentials (401/403; see ExecutionRunnerOptions). */
  onAuthFailed?: ExecutionRunnerOptions['onAuthFailed'];
}

/**
 * Runs remediation rules: matches triggers to rules and hands each (rule, trigger) to the `ExecutionRunner`
 * pipeline (record, lease, guards, attempt, settle); runs the queued executions other processes left; answers the
 * history, its escalations, and Run now.
 */
export class RemediationEngine {
  private readonly platformRules: RemediationRule[];
  /** Owner-written rules (see ownerRules.ts), swapped whole by `setOwnerRules`. */
  private ownerRules: RemediationRule[] = [];
  private readonly runner: ExecutionRunner;
  private readonly running = new Map<number, Promise<void>>();
  /** Executions started here that have not begun their first call yet (see `dispatched`). */
  private readonly dispatching = new Map<number, Promise<void>>();
  private readonly now: () => number;
  private readonly redactor: Redactor;

  constructor(private readonly o: RemediationEngineOptions) {
    this.platformRules = o.rules;
    this.now = o.now ?? Date.now;
    this.redactor = o.redactor ?? new Redactor();
    this.runner = new ExecutionRunner({
      store: o.store,
      escalations: o.escalations,
      actions: o.actions,
      logger: o.logger,
      redactor: this.redactor,
      auditor: o.auditor,
      metrics: o.metrics,
      breaker: new CircuitBreaker(
        o.breaker ?? { failureThreshold: 3, openMs: 60_000 },
      ),
      holder: o.holder,
      backoff: o.backoff ?? { baseMs: 200, capMs: 5_000 },
      leaseGraceMs: o.leaseGraceMs ?? 30_000,
      now: this.now,
      onSucceeded: o.onSucceeded,
      onEscalated: o.onEscalated,
      onAuthFailed: o.onAuthFailed,
    });
  }

  /** Platform rules (app-config) followed by the owner-written rules loaded last. */
  get rules(): RemediationRule[] {
    return this.ownerRules.length
      ? [...this.platformRules, ...this.ownerRules]
      : this.platformRules;
  }

  /** Replaces every owner-written rule at once (one assignment: a trigger sees the old set or the new, never half). */
  setOwnerRules(rules: RemediationRule[]) {
    this.ownerRules = rules;
  }

  rulesFor(entityRef?: string) {
    return this.rules.filter(r => !entityRef || r.entityRef === entityRef);
  }

  rule(id: string) {
    return this.rules.find(r => r.id === id);
  }

  /**
   * The rules `submit` runs for this trigger: those of its kind whose matchers match its labels, on its entity when
   * it names one. An owner-written rule matches only a trigger of its own entity: a trigger without an entity never
   * matches one, whatever its matchers say.
   */
  matching(trigger: IncomingTrigger): RemediationRule[] {
    return this.rules.filter(
      r =>
        r.triggers.includes(trigger.kind) &&
        (r.owner
          ? trigger.entityRef === r.entityRef
          : !trigger.entityRef || trigger.entityRef === r.entityRef) &&
        matchesLabels(r.match, trigger.labels),
    );
  }

  /**
   * Records the trigger for every matching rule (or only `onlyRule`) and starts the new executions in the
   * background. Repeats of a trigger already recorded come back as duplicates and run nothing.
   */
  async submit(
    trigger: IncomingTrigger,
    options: { onlyRule?: RemediationRule; dryRun?: boolean } = {},
  ): Promise<SubmitResult[]> {
    const rules = options.onlyRule
      ? [options.onlyRule]
      : this.matching(trigger);
    const results: SubmitResult[] = [];
    for (const rule of rules) {
      const { run, ...result } = await this.runner.record(rule, trigger, {
        dryRun: options.dryRun,
      });
      results.push(result);
      if (run) this.start(run, true);
    }
    return results;
  }

  /**
   * Waits, at most `timeoutMs`, until each of these executions this process runs has begun its first call to the
   * target or ended without one.
   */
  async dispatched(ids: number[], timeoutMs: number): Promise<void> {
    const waits = ids.flatMap(id => this.dispatching.get(id) ?? []);
    if (waits.length) await within(Promise.all(waits), timeoutMs);
  }

  /** Runs an execution in the background; `fresh` when this process recorded it claimed a moment ago. */
  private start(exec: ExecutionRow, fresh: boolean) {
    if (this.running.has(exec.id)) return;
    let resolve!: () => void;
    this.dispatching.set(
      exec.id,
      new Promise<void>(r => {
        resolve = r;
      }),
    );
    const dispatched = () => {
      this.dispatching.delete(exec.id);
      resolve();
    };
    const p = this.runner
      .run(exec, this.rule(exec.ruleId), fresh, dispatched)
      .catch(e =>
        this.o.logger.error(
          `Remediation execution ${
            exec.id
          } failed unexpectedly: ${this.redactor.error(e)}`,
        ),
      )
      .finally(() => {
        this.running.delete(exec.id);
        dispatched();
      });
    this.running.set(exec.id, p);
  }

  /** Resolves when every execution this process started has finished (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  /** Waits up to `timeoutMs` for an execution this process runs to finish. */
  async settle(id: number, timeoutMs: number): Promise<void> {
    const p = this.running.get(id);
    if (p) await within(p, timeoutMs);
  }

  /** Periodic: accounts for executions of stopped processes, and runs queued ones nobody took. */
  async dispatch(): Promise<void> {
    const { interrupted, requeued } = await this.o.store.recover(this.now());
    if (interrupted.length)
      this.o.logger.warn(
        `Remediation executions ${interrupted.join(
          ', ',
        )} were interrupted mid-attempt by a stopped backend; not repeated`,
      );
    if (requeued.length)
      this.o.logger.info(
        `Remediation executions ${requeued.join(
          ', ',
        )} requeued (their backend stopped before calling the target)`,
      );
    for (const id of await this.o.store.queued()) {
      if (this.running.has(id)) continue;
      const exec = await this.o.store.get(id);
      if (exec) this.start(exec, false);
    }
  }

  /**
   * Executions, newest first, from `offset` (the summary covers the executions of this page). `visible`
   * restricts them (and the rules) to the entities the caller may read.
   */
  async history(
    entityRef: string | undefined,
    limit: number,
    offset = 0,
    visible?: (entityRef: string) => boolean,
  ): Promise<RemediationListResponse> {
    const visibleRefs = visible
      ? [...new Set(this.rules.map(r => r.entityRef))].filter(visible)
      : undefined;
    const entityRefs = entityRef ? [entityRef] : visibleRefs;
    // executions first, then escalations: an escalation is written before its execution reads as finished, so a
    // finished execution in this answer always comes with its escalation
    const items = await this.o.store.list({
      entityRef,
      entityRefs: entityRef ? undefined : visibleRefs,
      limit,
      offset,
    });
    const escalations = await this.o.escalations.list({
      entityRefs,
      state: 'open',
      limit: 100,
    });
    const done = items.filter(
      i =>
        i.state === 'succeeded' ||
        i.state === 'failed' ||
        i.state === 'escalated' ||
        i.state === 'interrupted',
    );
    const succeeded = done.filter(i => i.state === 'succeeded');
    const latencies = succeeded
      .map(i => i.latencyMs)
      .filter((v): v is number => v !== null);
    return {
      rules: this.rulesFor(entityRef)
        .filter(r => !visible || visible(r.entityRef))
        .map(ruleSummary),
      items,
      escalations,
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
  async page(
    entityRef: string | undefined,
    limit: number,
    cursor: string | undefined,
    visible: (entityRef: string) => boolean,
  ): Promise<RemediationListResponse & { nextCursor?: string }> {
    const offset = decodeCursor(cursor) ?? 0;
    const history = await this.history(entityRef, limit + 1, offset, visible);
    return { ...history, ...pageOf(history.items, offset, limit, true) };
  }

  /**
   * Run now: records a manual trigger for this one rule (a dry run describes and calls nothing), waits up to 10 s
   * for it to settle, and answers the execution. Reserved labels are the rule's own, whatever the caller sent.
   */
  async runNow(
    rule: RemediationRule,
    body: { dryRun?: boolean; labels?: Record<string, string> },
    actor: string,
  ) {
    const [result] = await this.submit(
      {
        kind: 'manual',
        id: randomUUID(),
        labels: {
          ...(body.labels ?? {}),
          entity: rule.entityRef,
          alertname: 'ManualRun',
          rule: rule.id,
        },
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

/** Waits for `p`, or `ms`, whichever comes first. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise(r => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}
