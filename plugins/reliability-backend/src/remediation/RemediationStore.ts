import { Knex } from 'knex';
import type {
  RemediationAttempt,
  RemediationExecution,
  RemediationState,
  RemediationTriggerKind,
} from '@reliability-suite/plugin-reliability-common';
import { isoOrNull as iso, numOrNull as num } from '../database/rows';
import { redactTarget } from '../redaction/Redactor';

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
export type ExecutionRow = { id: number } & Omit<
  NewExecution,
  'dedupKey' | 'dryRun' | 'detail'
>;

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
  async record(
    e: NewExecution,
    claim?: { holder: string; leaseUntil: number },
  ): Promise<{ id: number; inserted: boolean }> {
    const row = {
      dedup_key: e.dedupKey,
      rule_id: e.ruleId,
      entity_ref: e.entityRef,
      action: e.action,
      // the redacted target only, whoever built the record: a URL's userinfo, query and fragment never reach the table
      target: redactTarget(e.target),
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
    // one statement either way: a repeat counts itself on the first record and answers its id (a new record is the
    // only one with no duplicates)
    const [written] = await this.db('reliability_remediations')
      .insert(row)
      .onConflict('dedup_key')
      .merge({
        duplicates: this.db.raw('?? + 1', [
          'reliability_remediations.duplicates',
        ]),
      })
      .returning(['id', 'duplicates']);
    return {
      id: Number(written.id),
      inserted: Number(written.duplicates) === 0,
    };
  }

  /** Takes a queued execution for this process; false when another process (or call) has it. */
  async claim(
    id: number,
    holder: string,
    leaseMs: number,
    now: number,
  ): Promise<boolean> {
    const n = await this.db('reliability_remediations')
      .where({ id, state: 'queued' })
      .update({ state: 'running', holder, lease_expires_at: now + leaseMs });
    return n === 1;
  }

  /**
   * Takes the lease on a lock key: inserts it, or takes it over when the previous lease has expired.
   * Answers the execution holding it when it is someone else's.
   */
  async acquireLock(
    lockKey: string,
    holder: string,
    executionId: number,
    now: number,
    leaseMs: number,
  ): Promise<{ acquired: boolean; heldBy?: number }> {
    // RETURNING answers the row only when it was inserted or taken over (both PostgreSQL and SQLite)
    const taken = await this.db('reliability_locks')
      .insert({
        lock_key: lockKey,
        holder,
        execution_id: executionId,
        expires_at: now + leaseMs,
      })
      .onConflict('lock_key')
      .merge(['holder', 'execution_id', 'expires_at'])
      .where('reliability_locks.expires_at', '<', now)
      .returning(['holder', 'execution_id']);
    if (
      taken.length &&
      taken[0].holder === holder &&
      Number(taken[0].execution_id) === executionId
    )
      return { acquired: true };
    const row = await this.db('reliability_locks')
      .where('lock_key', lockKey)
      .first('execution_id');
    return {
      acquired: false,
      heldBy: row ? Number(row.execution_id) : undefined,
    };
  }

  /**
   * `acquireLock`, and when it is taken, the first attempt's `guards` read at the same moment. With `startFirst`,
   * also the first attempt's row (`startAttempt`, nothing to renew) when those reads allow it: no success under
   * the lock key within `cooldownMs`, fewer than `limit` attempts since `since`. On PostgreSQL all of it is one
   * statement (data-modifying CTEs: the reads see every success committed before it, and a success and its lock
   * release commit together, see `succeed`); on SQLite it is the separate statements, each a few microseconds
   * in-process.
   */
  async acquireLockWithGuards(
    lockKey: string,
    holder: string,
    executionId: number,
    now: number,
    leaseMs: number,
    guard: {
      ruleId: string;
      since: number;
      limit: number;
      startFirst?: { cooldownMs: number };
    },
  ): Promise<{
    acquired: boolean;
    heldBy?: number;
    guards?: {
      lastSuccessAt: number | null;
      attempts: number;
      attemptStarted: boolean;
    };
  }> {
    if (this.db.client.config.client !== 'pg') {
      const lock = await this.acquireLock(
        lockKey,
        holder,
        executionId,
        now,
        leaseMs,
      );
      if (!lock.acquired) return lock;
      const reads = await this.guards(
        guard.ruleId,
        lockKey,
        guard.since,
        guard.limit,
      );
      const allowed =
        Boolean(guard.startFirst) &&
        (reads.lastSuccessAt === null ||
          reads.lastSuccessAt <= now - guard.startFirst!.cooldownMs) &&
        reads.attempts < guard.limit;
      if (allowed)
        await this.startAttempt(
          executionId,
          guard.ruleId,
          1,
          now,
          holder,
          null,
        );
      return { ...lock, guards: { ...reads, attemptStarted: allowed } };
    }
    const start = guard.startFirst;
    const { rows } = await this.db.raw(
      `WITH taken AS (
         INSERT INTO reliability_locks (lock_key, holder, execution_id, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (lock_key) DO UPDATE SET holder = excluded.holder, execution_id = excluded.execution_id, expires_at = excluded.expires_at
         WHERE reliability_locks.expires_at < ?
         RETURNING holder, execution_id),
       reads AS (
         SELECT
           (SELECT execution_id FROM taken WHERE holder = ? AND execution_id = ?) AS taken_by,
           (SELECT execution_id FROM reliability_locks WHERE lock_key = ?) AS held_by,
           (SELECT max(finished_at) FROM reliability_remediations WHERE rule_id = ? AND lock_key = ? AND state = 'succeeded') AS last_success,
           (SELECT count(*) FROM (SELECT 1 FROM reliability_remediation_attempts WHERE rule_id = ? AND started_at >= ? LIMIT ?) AS budget) AS attempts),
       started AS (
         INSERT INTO reliability_remediation_attempts (execution_id, rule_id, n, outcome, started_at)
         SELECT ?, ?, 1, 'started', ? FROM reads
         WHERE ? AND reads.taken_by IS NOT NULL AND (reads.last_success IS NULL OR reads.last_success <= ?) AND reads.attempts < ?
         RETURNING 1)
       SELECT reads.*, (SELECT count(*) FROM started) AS started FROM reads`,
      [
        lockKey,
        holder,
        executionId,
        now + leaseMs,
        now,
        holder,
        executionId,
        lockKey,
        guard.ruleId,
        lockKey,
        guard.ruleId,
        guard.since,
        guard.limit,
        executionId,
        guard.ruleId,
        now,
        Boolean(start),
        now - (start?.cooldownMs ?? 0),
        guard.limit,
      ],
    );
    const row = rows[0];
    if (row.taken_by === null)
      return { acquired: false, heldBy: num(row.held_by) ?? undefined };
    return {
      acquired: true,
      guards: {
        lastSuccessAt: num(row.last_success),
        attempts: Number(row.attempts),
        attemptStarted: Number(row.started) === 1,
      },
    };
  }

  /** Takes back an attempt row written before its guards said no (see `acquireLockWithGuards`): nothing was called. */
  async cancelAttempt(executionId: number, n: number): Promise<void> {
    await this.db('reliability_remediation_attempts')
      .where({ execution_id: executionId, n, outcome: 'started' })
      .delete();
  }

  /**
   * A success, written at once: the attempt's outcome, the execution's final state, the release of its lock, and
   * the resolution of the rule's open escalation (the one write `EscalationStore.resolve` does, made here so
   * that a success is one statement). One statement on PostgreSQL (data-modifying CTEs), one transaction on
   * SQLite. Being one write, a stop between them cannot leave a succeeded attempt under a running execution
   * (which recovery would requeue and call again).
   */
  async succeed(e: {
    executionId: number;
    ruleId: string;
    n: number;
    at: number;
    attemptLatencyMs: number;
    latencyMs: number;
    detail: string;
    lockKey: string;
    holder: string;
  }): Promise<void> {
    const detail = e.detail.slice(0, 4000);
    if (this.db.client.config.client === 'pg') {
      await this.db.raw(
        `WITH a AS (
           UPDATE reliability_remediation_attempts SET outcome = 'succeeded', finished_at = ?, latency_ms = ?, error = NULL WHERE execution_id = ? AND n = ?),
         l AS (
           DELETE FROM reliability_locks WHERE lock_key = ? AND holder = ? AND execution_id = ?),
         e AS (
           UPDATE reliability_escalations SET state = 'resolved', open_key = NULL, resolved_at = ? WHERE open_key = ?)
         UPDATE reliability_remediations SET state = 'succeeded', detail = ?, finished_at = ?, latency_ms = ?, holder = NULL, lease_expires_at = NULL WHERE id = ?`,
        [
          e.at,
          e.attemptLatencyMs,
          e.executionId,
          e.n,
          e.lockKey,
          e.holder,
          e.executionId,
          e.at,
          e.ruleId,
          detail,
          e.at,
          e.latencyMs,
          e.executionId,
        ],
      );
      return;
    }
    await this.db.transaction(async tx => {
      await tx('reliability_remediation_attempts')
        .where({ execution_id: e.executionId, n: e.n })
        .update({
          outcome: 'succeeded',
          finished_at: e.at,
          latency_ms: e.attemptLatencyMs,
          error: null,
        });
      await tx('reliability_locks')
        .where({
          lock_key: e.lockKey,
          holder: e.holder,
          execution_id: e.executionId,
        })
        .delete();
      await tx('reliability_escalations')
        .where('open_key', e.ruleId)
        .update({ state: 'resolved', open_key: null, resolved_at: e.at });
      await tx('reliability_remediations').where('id', e.executionId).update({
        state: 'succeeded',
        detail,
        finished_at: e.at,
        latency_ms: e.latencyMs,
        holder: null,
        lease_expires_at: null,
      });
    });
  }

  async releaseLock(
    lockKey: string,
    holder: string,
    executionId: number,
  ): Promise<void> {
    await this.db('reliability_locks')
      .where({ lock_key: lockKey, holder, execution_id: executionId })
      .delete();
  }

  /**
   * In one round trip: when the rule last succeeded under this lock key (for the cooldown), the calls made for
   * the rule since `since` (for the attempt budget).
   */
  async guards(
    ruleId: string,
    lockKey: string,
    since: number,
    limit?: number,
  ): Promise<{ lastSuccessAt: number | null; attempts: number }> {
    const lastSuccess = this.db('reliability_remediations')
      .where({ rule_id: ruleId, lock_key: lockKey, state: 'succeeded' })
      .max('finished_at');
    const [row] = await this.db.select({
      last_success: lastSuccess,
      attempts: this.attemptsQuery(ruleId, since, limit),
    });
    return {
      lastSuccessAt: num(row?.last_success),
      attempts: Number(row?.attempts ?? 0),
    };
  }

  /**
   * Calls made for a rule since `since` (all executions, all replicas), counted up to `limit` when given: the
   * budget check only needs to know whether the limit is reached, so its cost stays bounded by the limit.
   */
  async attemptsSince(
    ruleId: string,
    since: number,
    limit?: number,
  ): Promise<number> {
    const [row] = await this.db.select({
      n: this.attemptsQuery(ruleId, since, limit),
    });
    return Number(row?.n ?? 0);
  }

  private attemptsQuery(ruleId: string, since: number, limit?: number) {
    const rows = this.db('reliability_remediation_attempts')
      .where('rule_id', ruleId)
      .where('started_at', '>=', since);
    if (limit === undefined) return rows.count('*');
    return this.db
      .from(rows.select(this.db.raw('1')).limit(limit).as('budget'))
      .count('*');
  }

  /**
   * Writes the attempt before the call, after renewing this process's lease; false when the lease was lost
   * (another process recovered the execution). The unique (execution, n) key refuses a second writer of the same
   * attempt. No transaction: the lease was just renewed, and recovery waits for it to expire.
   */
  async startAttempt(
    executionId: number,
    ruleId: string,
    n: number,
    now: number,
    holder: string,
    leaseUntil: number | null,
  ): Promise<boolean> {
    // leaseUntil null: the lease was taken a moment ago (the execution was recorded claimed), nothing to renew
    if (leaseUntil !== null) {
      const still = await this.db('reliability_remediations')
        .where({ id: executionId, state: 'running', holder })
        .update({ lease_expires_at: leaseUntil });
      if (still !== 1) return false;
    }
    await this.db('reliability_remediation_attempts').insert({
      execution_id: executionId,
      rule_id: ruleId,
      n,
      outcome: 'started',
      started_at: now,
    });
    return true;
  }

  async finishAttempt(
    executionId: number,
    n: number,
    outcome: 'succeeded' | 'failed',
    now: number,
    latencyMs: number,
    error: string | null,
  ): Promise<void> {
    await this.db('reliability_remediation_attempts')
      .where({ execution_id: executionId, n })
      .update({
        outcome,
        finished_at: now,
        latency_ms: latencyMs,
        error: error?.slice(0, 2000) ?? null,
      });
  }

  async finish(
    executionId: number,
    state: RemediationState,
    detail: string,
    now: number,
    latencyMs: number | null,
  ): Promise<void> {
    await this.db('reliability_remediations')
      .where('id', executionId)
      .update({
        state,
        detail: detail.slice(0, 4000),
        finished_at: now,
        latency_ms: latencyMs,
        holder: null,
        lease_expires_at: null,
      });
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
  async recover(
    now: number,
  ): Promise<{ interrupted: number[]; requeued: number[] }> {
    const stale = await this.db('reliability_remediations')
      .where('state', 'running')
      .where('lease_expires_at', '<', now)
      .select('id', 'lock_key', 'holder');
    const interrupted: number[] = [];
    const requeued: number[] = [];
    for (const r of stale) {
      const id = Number(r.id);
      await this.db.transaction(async tx => {
        const started = await tx('reliability_remediation_attempts')
          .where({ execution_id: id, outcome: 'started' })
          .select('n');
        const update = started.length
          ? {
              state: 'interrupted',
              finished_at: now,
              detail: `The backend holding this execution stopped during attempt ${started
                .map(s => s.n)
                .join(
                  ', ',
                )}; the target may have acted, so it was not repeated. Check the target, then use Run now if needed.`,
            }
          : {
              state: 'queued',
              detail:
                'Requeued: the backend that claimed it stopped before calling the target',
            };
        const n = await tx('reliability_remediations')
          .where({ id, state: 'running', holder: r.holder })
          .update({ ...update, holder: null, lease_expires_at: null });
        if (n !== 1) return;
        if (started.length) {
          await tx('reliability_remediation_attempts')
            .where({ execution_id: id, outcome: 'started' })
            .update({ outcome: 'interrupted', finished_at: now });
          interrupted.push(id);
        } else {
          requeued.push(id);
        }
        await tx('reliability_locks')
          .where({ lock_key: r.lock_key, execution_id: id })
          .delete();
      });
    }
    return { interrupted, requeued };
  }

  async queued(limit = 100): Promise<number[]> {
    const rows = await this.db('reliability_remediations')
      .where('state', 'queued')
      .orderBy('id')
      .limit(limit)
      .select('id');
    return rows.map(r => Number(r.id));
  }

  /**
   * The first execution of a rule that acted or tried to (not a dry run, not skipped by a guard), created in
   * [from, to] (epoch ms): what a chaos expectation that the rule fires reads. Uses the (rule_id, created_at) index.
   */
  async firstOf(
    ruleId: string,
    from: number,
    to: number,
  ): Promise<
    | { id: number; entityRef: string; state: string; createdAt: number }
    | undefined
  > {
    const r = await this.db('reliability_remediations')
      .where('rule_id', ruleId)
      .whereBetween('created_at', [from, to])
      .where('dry_run', false)
      .whereNotIn('state', ['dry_run', 'skipped'])
      .orderBy('created_at')
      .orderBy('id')
      .first('id', 'entity_ref', 'state', 'created_at');
    return r
      ? {
          id: Number(r.id),
          entityRef: r.entity_ref,
          state: r.state,
          createdAt: Number(r.created_at),
        }
      : undefined;
  }

  async list(filter: {
    entityRef?: string;
    entityRefs?: string[];
    id?: number;
    limit?: number;
    offset?: number;
  }): Promise<RemediationExecution[]> {
    const q = this.db('reliability_remediations')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .select('*');
    if (filter.entityRefs) q.whereIn('entity_ref', filter.entityRefs);
    if (filter.entityRef) q.where('entity_ref', filter.entityRef);
    if (filter.id !== undefined) q.where('id', filter.id);
    const rows = await q;
    const attempts = new Map<number, RemediationAttempt[]>();
    const ids = rows.map(r => Number(r.id));
    for (let i = 0; i < ids.length; i += 500) {
      const part = await this.db('reliability_remediation_attempts')
        .whereIn('execution_id', ids.slice(i, i + 500))
        .orderBy('n')
        .select('*');
      for (const a of part) {
        const list = attempts.get(Number(a.execution_id)) ?? [];
        list.push({
          n: a.n,
          outcome: a.outcome,
          startedAt: iso(a.started_at)!,
          finishedAt: iso(a.finished_at),
          latencyMs: num(a.latency_ms),
          error: a.error,
        });
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
