import { Knex } from 'knex';
import type {
  ChaosExpectationResult,
  ChaosFollowUpItem,
  ChaosRun,
  ChaosRunState,
} from '@reliability-suite/plugin-reliability-common';
import { insertedId, isoOrNull as iso } from '../database/rows';

const TABLE = 'reliability_chaos_runs';

/**
 * The runs of chaos experiments. A scheduled start is claimed by inserting its row (experiment, cron time) under a
 * unique key, so of two replicas only one starts it; every later change is a conditional update.
 */
export class ChaosRunStore {
  constructor(private readonly db: Knex) {}

  private row(r: any): ChaosRun {
    return {
      id: Number(r.id),
      experimentId: Number(r.experiment_id),
      trigger: r.trigger,
      scheduledFor: iso(r.scheduled_for),
      state: r.state,
      reason: r.reason ?? null,
      startedAt: iso(r.started_at),
      endsAt: iso(r.ends_at),
      finishedAt: iso(r.finished_at),
      expectations: r.expectations ? JSON.parse(r.expectations) : null,
      evaluatedAt: iso(r.evaluated_at),
      followUp: JSON.parse(r.follow_up ?? '[]'),
      incidentId:
        r.incident_id === null || r.incident_id === undefined
          ? null
          : Number(r.incident_id),
    };
  }

  async get(id: number): Promise<ChaosRun | undefined> {
    const r = await this.db(TABLE).where('id', id).first();
    return r ? this.row(r) : undefined;
  }

  /** Runs that ended (completed or aborted) and whose expectations are not yet checked, oldest first. */
  async toEvaluate(limit: number): Promise<ChaosRun[]> {
    const rows = await this.db(TABLE)
      .whereIn('state', ['completed', 'aborted'])
      .whereNull('evaluated_at')
      .orderBy('id', 'asc')
      .limit(limit);
    return rows.map(r => this.row(r));
  }

  /**
   * Records a run's checked expectations and its follow-up in one conditional update: false when another replica
   * recorded them first (so each unmet expectation becomes one action item, whoever ends the run).
   */
  async recordEvaluation(
    id: number,
    results: ChaosExpectationResult[],
    followUp: ChaosFollowUpItem[],
    now: number,
  ): Promise<boolean> {
    return (
      (await this.db(TABLE)
        .where('id', id)
        .whereNull('evaluated_at')
        .update({
          expectations: JSON.stringify(results),
          follow_up: JSON.stringify(followUp),
          evaluated_at: now,
        })) === 1
    );
  }

  /** Links a run of an experiment to an incident; false when the experiment has no such run. */
  async linkIncident(
    experimentId: number,
    id: number,
    incidentId: number,
  ): Promise<boolean> {
    return (
      (await this.db(TABLE)
        .where({ id, experiment_id: experimentId })
        .update({ incident_id: incidentId })) === 1
    );
  }

  /** Claims the scheduled start of an experiment at a cron time: its run id, or undefined when a replica has it. */
  async claim(
    experimentId: number,
    scheduledFor: number,
    now: number,
  ): Promise<number | undefined> {
    return insertedId(
      await this.db(TABLE)
        .insert({
          experiment_id: experimentId,
          trigger: 'schedule',
          scheduled_for: scheduledFor,
          state: 'starting',
          created_at: now,
        })
        .onConflict(['experiment_id', 'scheduled_for'])
        .ignore()
        .returning('id'),
    );
  }

  /** A start from the portal or the engine: a run that is running from now. */
  async manual(
    experimentId: number,
    startedAt: number,
    endsAt: number,
  ): Promise<void> {
    await this.db(TABLE).insert({
      experiment_id: experimentId,
      trigger: 'manual',
      state: 'running',
      started_at: startedAt,
      ends_at: endsAt,
      created_at: startedAt,
    });
  }

  /** A claimed run refused, with why. */
  async refuse(id: number, reason: string, now: number): Promise<void> {
    await this.db(TABLE)
      .where({ id, state: 'starting' })
      .update({ state: 'refused', reason, finished_at: now });
  }

  /** A claimed run started. */
  async started(id: number, startedAt: number, endsAt: number): Promise<void> {
    await this.db(TABLE)
      .where({ id, state: 'starting' })
      .update({ state: 'running', started_at: startedAt, ends_at: endsAt });
  }

  /**
   * Ends the open runs (starting or running) of an experiment: `completed` or `aborted`, with why. Answers how many.
   */
  async finish(
    experimentId: number,
    state: Extract<ChaosRunState, 'completed' | 'aborted'>,
    reason: string | null,
    now: number,
  ): Promise<number> {
    return this.db(TABLE)
      .where('experiment_id', experimentId)
      .whereIn('state', ['starting', 'running'])
      .update({ state, reason, finished_at: now });
  }

  /** Open runs (oldest first, at most `limit`): for closing those whose experiment moved on. */
  async open(limit: number): Promise<ChaosRun[]> {
    const rows = await this.db(TABLE)
      .whereIn('state', ['starting', 'running'])
      .orderBy('id', 'asc')
      .limit(limit);
    return rows.map(r => this.row(r));
  }

  /** Closes one open run (a conditional update: false when another replica closed it first). */
  async close(
    id: number,
    state: Extract<ChaosRunState, 'completed' | 'aborted' | 'refused'>,
    reason: string | null,
    now: number,
  ): Promise<boolean> {
    return (
      (await this.db(TABLE)
        .where('id', id)
        .whereIn('state', ['starting', 'running'])
        .update({ state, reason, finished_at: now })) === 1
    );
  }

  /**
   * How many experiments of an entity have run to the end: completed, or with a completed run (a scheduled
   * experiment goes back to approved after each run). At most `limit`.
   */
  async completedExperiments(
    entityRef: string,
    limit: number,
  ): Promise<number> {
    const rows = await this.db('reliability_chaos_experiments as e')
      .where('e.entity_ref', entityRef)
      .where(q =>
        q
          .where('e.state', 'completed')
          .orWhereExists(
            this.db(`${TABLE} as r`)
              .select(this.db.raw('1'))
              .whereRaw('r.experiment_id = e.id')
              .where('r.state', 'completed'),
          ),
      )
      .select('e.id')
      .limit(limit);
    return rows.length;
  }

  /** A page of an experiment's runs, newest first. */
  async list(
    experimentId: number,
    limit: number,
    offset: number,
  ): Promise<ChaosRun[]> {
    const rows = await this.db(TABLE)
      .where('experiment_id', experimentId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset);
    return rows.map(r => this.row(r));
  }
}
