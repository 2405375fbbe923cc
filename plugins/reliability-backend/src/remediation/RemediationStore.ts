import { Knex } from 'knex';
import type { RemediationAttempt, RemediationExecution, RemediationState, RemediationTriggerKind } from '@internal/plugin-reliability-common';
import { insertedId, isoOrNull as iso, numOrNull as num } from '../database/rows';

export interface NewExecution {
  dedupKey: string;
  ruleId: string;
  entityRef: string;
  action: string;
  target: string;
  triggerKind: RemediationTriggerKind;
  triggerId: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  lockKey: string;
  state: RemediationState;
  dryRun: boolean;
  actor: string | null;
  detail?: string | null;
  createdAt: number;
}

/** The row that drives one execution. */
export type ExecutionRow = { id: number } & Omit<NewExecution, 'dedupKey' | 'dryRun' | 'detail'>;

/**
 * Remediation executions and attempts. The execution row is the outbox: it exists (queued) before anything is
 * called, each attempt row is written (started) before its call, and leases per lock key keep replicas apart.
 */
export class RemediationStore {
  constructor(private readonly db: Knex) {}

  /**
   * Records a trigger for a rule once. A repeat (same dedup key) only counts as a duplicate. With `claim`, a new
   * record is written already running under that holder's lease (one round trip instead of insert + claim).
   */
  async record(e: NewExecution, claim?: { holder: string; leaseUntil: number }): Promise<{ id: number; inserted: boolean }> {
    const row = {
      dedup_key: e.dedupKey,
      rule_id: e.ruleId,
      entity_ref: e.entityRef,
      action: e.action,
      target: e.target,
      trigger_kind: e.triggerKind,
      trigger_id: e.triggerId,
      trigger_labels: JSON.stringify(e.labels),
      trigger_annotations: JSON.stringify(e.annotations),
      lock_key: e.lockKey,
      state: claim ? 'running' : e.state,
      holder: claim?.holder ?? null,
      lease_expires_at: claim?.leaseUntil ?? null,
      dry_run: e.dryRun,
      actor: e.actor,
      detail: e.detail ?? null,
      created_at: e.createdAt,
      finished_at: e.state === 'queued' ? null : e.createdAt,
    };
    const inserted = await this.db('reliability_remediations').insert(row).onConflict('dedup_key').ignore().returning('id');
    const id = insertedId(inserted);
    if (id !== undefined) return { id, inserted: true };
    await this.db('reliability_remediations').where('dedup_key', e.dedupKey).increment('duplicates', 1);
    const existing = await this.db('reliability_remediations').where('dedup_key', e.dedupKey).first('id');
    return { id: Number(existing.id), inserted: false };
  }

  /** Takes a queued execution for this process; false when another process (or call) has it. */
  async claim(id: number, holder: string, leaseMs: number, now: number): Promise<boolean> {
    const n = await this.db('reliability_remediations')
      .where({ id, state: 'queued' })
      .update({ state: 'running', holder, lease_expires_at: now + leaseMs });
    return n === 1;
  }

  /**
   * Takes the lease on a lock key: inserts it, or takes it over when the previous lease has expired.
   * Answers the execution holding it when it is someone else's.
   */
  async acquireLock(lockKey: string, holder: string, executionId: number, now: number, leaseMs: number): Promise<{ acquired: boolean; heldBy?: number }> {
    // RETURNING answers the row only when it was inserted or taken over (both PostgreSQL and SQLite)
    const taken = await this.db('reliability_locks')
      .insert({ lock_key: lockKey, holder, execution_id: executionId, expires_at: now + leaseMs })
      .onConflict('lock_key')
      .merge(['holder', 'execution_id', 'expires_at'])
      .where('reliability_locks.expires_at', '<', now)
      .returning(['holder', 'execution_id']);
    if (taken.length && taken[0].holder === holder && Number(taken[0].execution_id) === executionId) return { acquired: true };
    const row = await this.db('reliability_locks').where('lock_key', lockKey).first('execution_id');
    return { acquired: false, heldBy: row ? Number(row.execution_id) : undefined };
  }

  async releaseLock(lockKey: string, holder: string, executionId: number): Promise<void> {
    await this.db('reliability_locks').where({ lock_key: lockKey, holder, execution_id: executionId }).delete();
  }

  /**
   * In one round trip: when the rule last succeeded under this lock key (for the cooldown), the calls made for
   * the rule since `since` (for the attempt budget).
   */
  async guards(ruleId: string, lockKey: string, since: number): Promise<{ lastSuccessAt: number | null; attempts: number }> {
    const lastSuccess = this.db('reliability_remediations').where({ rule_id: ruleId, lock_key: lockKey, state: 'succeeded' }).max('finished_at');
    const attempts = this.db('reliability_remediation_attempts').where('rule_id', ruleId).where('started_at', '>=', since).count('*');
    const [row] = await this.db.select({ last_success: lastSuccess, attempts });
    return { lastSuccessAt: num(row?.last_success), attempts: Number(row?.attempts ?? 0) };
  }

  /** Calls made for a rule since `since` (all executions, all replicas). */
  async attemptsSince(ruleId: string, since: number): Promise<number> {
    const row = await this.db('reliability_remediation_attempts').where('rule_id', ruleId).where('started_at', '>=', since).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /**
   * Writes the attempt before the call, after renewing this process's lease; false when the lease was lost
   * (another process recovered the execution). The unique (execution, n) key refuses a second writer of the same
   * attempt. No transaction: the lease was just renewed, and recovery waits for it to expire.
   */
  async startAttempt(executionId: number, ruleId: string, n: number, now: number, holder: string, leaseUntil: number | null): Promise<boolean> {
    // leaseUntil null: the lease was taken a moment ago (the execution was recorded claimed), nothing to renew
    if (leaseUntil !== null) {
      const still = await this.db('reliability_remediations').where({ id: executionId, state: 'running', holder }).update({ lease_expires_at: leaseUntil });
      if (still !== 1) return false;
    }
    await this.db('reliability_remediation_attempts').insert({ execution_id: executionId, rule_id: ruleId, n, outcome: 'started', started_at: now });
    return true;
  }

  async finishAttempt(executionId: number, n: number, outcome: 'succeeded' | 'failed', now: number, latencyMs: number, error: string | null): Promise<void> {
    await this.db('reliability_remediation_attempts')
      .where({ execution_id: executionId, n })
      .update({ outcome, finished_at: now, latency_ms: latencyMs, error: error?.slice(0, 2000) ?? null });
  }

  async finish(executionId: number, state: RemediationState, detail: string, now: number, latencyMs: number | null): Promise<void> {
    await this.db('reliability_remediations')
      .where('id', executionId)
      .update({ state, detail: detail.slice(0, 4000), finished_at: now, latency_ms: latencyMs, holder: null, lease_expires_at: null });
  }

  async get(id: number): Promise<ExecutionRow | undefined> {
    const r = await this.db('reliability_remediations').where('id', id).first();
    return r ? toRow(r) : undefined;
  }

  /**
   * Accounts for executions whose process stopped (lease expired while running): one that had started a call is
   * marked interrupted and NOT repeated (the target may have acted); one that never called is queued again.
   * Answers the ids queued again.
   */
  async recover(now: number): Promise<{ interrupted: number[]; requeued: number[] }> {
    const stale = await this.db('reliability_remediations').where('state', 'running').where('lease_expires_at', '<', now).select('id', 'lock_key', 'holder');
    const interrupted: number[] = [];
    const requeued: number[] = [];
    for (const r of stale) {
      const id = Number(r.id);
      await this.db.transaction(async tx => {
        const started = await tx('reliability_remediation_attempts').where({ execution_id: id, outcome: 'started' }).select('n');
        const update = started.length
          ? {
              state: 'interrupted',
              finished_at: now,
              detail: `The backend holding this execution stopped during attempt ${started.map(s => s.n).join(', ')}; the target may have acted, so it was not repeated. Check the target, then use Run now if needed.`,
            }
          : { state: 'queued', detail: 'Requeued: the backend that claimed it stopped before calling the target' };
        const n = await tx('reliability_remediations').where({ id, state: 'running', holder: r.holder }).update({ ...update, holder: null, lease_expires_at: null });
        if (n !== 1) return;
        if (started.length) {
          await tx('reliability_remediation_attempts').where({ execution_id: id, outcome: 'started' }).update({ outcome: 'interrupted', finished_at: now });
          interrupted.push(id);
        } else {
          requeued.push(id);
        }
        await tx('reliability_locks').where({ lock_key: r.lock_key, execution_id: id }).delete();
      });
    }
    return { interrupted, requeued };
  }

  async queued(limit = 100): Promise<number[]> {
    const rows = await this.db('reliability_remediations').where('state', 'queued').orderBy('id').limit(limit).select('id');
    return rows.map(r => Number(r.id));
  }

  async list(filter: { entityRef?: string; entityRefs?: string[]; id?: number; limit?: number; offset?: number }): Promise<RemediationExecution[]> {
    const q = this.db('reliability_remediations').orderBy('id', 'desc').limit(filter.limit ?? 100).offset(filter.offset ?? 0).select('*');
    if (filter.entityRefs) q.whereIn('entity_ref', filter.entityRefs);
    if (filter.entityRef) q.where('entity_ref', filter.entityRef);
    if (filter.id !== undefined) q.where('id', filter.id);
    const rows = await q;
    const attempts = new Map<number, RemediationAttempt[]>();
    const ids = rows.map(r => Number(r.id));
    for (let i = 0; i < ids.length; i += 500) {
      const part = await this.db('reliability_remediation_attempts').whereIn('execution_id', ids.slice(i, i + 500)).orderBy('n').select('*');
      for (const a of part) {
        const list = attempts.get(Number(a.execution_id)) ?? [];
        list.push({ n: a.n, outcome: a.outcome, startedAt: iso(a.started_at)!, finishedAt: iso(a.finished_at), latencyMs: num(a.latency_ms), error: a.error });
        attempts.set(Number(a.execution_id), list);
      }
    }
    return rows.map(r => ({
      id: Number(r.id),
      ruleId: r.rule_id,
      entityRef: r.entity_ref,
      action: r.action,
      target: r.target,
      trigger: r.trigger_kind,
      triggerId: r.trigger_id,
      triggerLabels: JSON.parse(r.trigger_labels),
      lockKey: r.lock_key,
      state: r.state,
      dryRun: Boolean(r.dry_run),
      actor: r.actor,
      duplicates: Number(r.duplicates),
      createdAt: iso(r.created_at)!,
      finishedAt: iso(r.finished_at),
      latencyMs: num(r.latency_ms),
      detail: r.detail,
      attempts: attempts.get(Number(r.id)) ?? [],
    }));
  }
}

function toRow(r: any): ExecutionRow {
  return {
    id: Number(r.id),
    ruleId: r.rule_id,
    entityRef: r.entity_ref,
    action: r.action,
    target: r.target,
    triggerKind: r.trigger_kind,
    triggerId: r.trigger_id,
    labels: JSON.parse(r.trigger_labels),
    annotations: JSON.parse(r.trigger_annotations),
    lockKey: r.lock_key,
    state: r.state,
    actor: r.actor,
    createdAt: Number(r.created_at),
  };
}
