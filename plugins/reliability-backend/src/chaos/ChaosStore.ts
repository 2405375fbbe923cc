import { Knex } from 'knex';
import type {
  ChaosExperiment,
  ChaosExperimentRecord,
  ChaosState,
} from '@reliability-suite/plugin-reliability-common';
import {
  insertedId,
  isoOrNull as iso,
  numOrNull as num,
} from '../database/rows';
import { ChaosRunStore } from './ChaosRunStore';

/** Chaos experiments and their versions; every state change is one conditional update (no lost transitions). */
export class ChaosStore {
  /** The experiments' runs (manual and scheduled starts, refusals). */
  readonly runs: ChaosRunStore;

  constructor(private readonly db: Knex) {
    this.runs = new ChaosRunStore(db);
  }

  private row(r: any): ChaosExperimentRecord {
    return {
      id: Number(r.id),
      entityRef: r.entity_ref,
      name: r.name,
      state: r.state,
      experiment: JSON.parse(r.spec),
      version: Number(r.version),
      author: r.author,
      approvedBy: r.approved_by ?? null,
      approvedAt: iso(r.approved_at),
      createdAt: iso(r.created_at)!,
      updatedAt: iso(r.updated_at)!,
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
      abortReason: r.abort_reason ?? null,
      budgetAtStart: num(r.budget_at_start),
      budgetSpent: num(r.budget_spent),
    };
  }

  /** A new draft at version 1; undefined when the entity already has an experiment of that name. */
  async create(e: {
    entityRef: string;
    experiment: ChaosExperiment;
    author: string;
    now: number;
  }): Promise<ChaosExperimentRecord | undefined> {
    return this.db.transaction(async tx => {
      const inserted = await tx('reliability_chaos_experiments')
        .insert({
          entity_ref: e.entityRef,
          name: e.experiment.name,
          state: 'draft',
          spec: JSON.stringify(e.experiment),
          version: 1,
          author: e.author,
          created_at: e.now,
          updated_at: e.now,
        })
        .onConflict(['entity_ref', 'name'])
        .ignore()
        .returning('id');
      const id = insertedId(inserted);
      if (id === undefined) return undefined;
      await tx('reliability_chaos_versions').insert({
        experiment_id: id,
        version: 1,
        spec: JSON.stringify(e.experiment),
        author: e.author,
        created_at: e.now,
      });
      return this.row(
        await tx('reliability_chaos_experiments').where('id', id).first(),
      );
    });
  }

  /**
   * A new version from `baseVersion`, back to draft (a changed experiment needs approval again). Answers the
   * record, or why not: `conflict` (someone saved since), `state` (running or finished: not editable).
   */
  async update(
    id: number,
    e: {
      baseVersion: number;
      experiment: ChaosExperiment;
      author: string;
      now: number;
    },
  ): Promise<ChaosExperimentRecord | 'conflict' | 'state'> {
    return this.db.transaction(async tx => {
      const n = await tx('reliability_chaos_experiments')
        .where({ id, version: e.baseVersion })
        .whereIn('state', ['draft', 'approved'])
        .update({
          spec: JSON.stringify(e.experiment),
          version: e.baseVersion + 1,
          state: 'draft',
          approved_by: null,
          approved_at: null,
          updated_at: e.now,
        });
      if (n !== 1) {
        const current = await tx('reliability_chaos_experiments')
          .where('id', id)
          .first('state', 'version');
        return current && !['draft', 'approved'].includes(current.state)
          ? 'state'
          : 'conflict';
      }
      await tx('reliability_chaos_versions').insert({
        experiment_id: id,
        version: e.baseVersion + 1,
        spec: JSON.stringify(e.experiment),
        author: e.author,
        created_at: e.now,
      });
      return this.row(
        await tx('reliability_chaos_experiments').where('id', id).first(),
      );
    });
  }

  async get(id: number): Promise<ChaosExperimentRecord | undefined> {
    const r = await this.db('reliability_chaos_experiments')
      .where('id', id)
      .first();
    return r ? this.row(r) : undefined;
  }

  /** Newest first. */
  async list(filter: {
    entityRef?: string;
    states?: ChaosState[];
    limit: number;
    offset: number;
  }): Promise<ChaosExperimentRecord[]> {
    const q = this.db('reliability_chaos_experiments')
      .select('*')
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset);
    if (filter.entityRef) q.where('entity_ref', filter.entityRef);
    if (filter.states) q.whereIn('state', filter.states);
    return (await q).map(r => this.row(r));
  }

  /** Since when each abort condition of a running experiment has held (index -> epoch ms). */
  async guardState(id: number): Promise<Record<string, number>> {
    const r = await this.db('reliability_chaos_experiments')
      .where('id', id)
      .first('guard_state');
    return r?.guard_state ? JSON.parse(r.guard_state) : {};
  }

  async setGuardState(
    id: number,
    state: Record<string, number>,
  ): Promise<void> {
    await this.db('reliability_chaos_experiments')
      .where({ id, state: 'running' })
      .update({ guard_state: JSON.stringify(state) });
  }

  async versions(
    id: number,
    limit: number,
    offset: number,
  ): Promise<
    {
      version: number;
      author: string;
      createdAt: string;
      experiment: ChaosExperiment;
    }[]
  > {
    const rows = await this.db('reliability_chaos_versions')
      .where('experiment_id', id)
      .orderBy('version', 'desc')
      .limit(limit)
      .offset(offset);
    return rows.map(r => ({
      version: Number(r.version),
      author: r.author,
      createdAt: iso(r.created_at)!,
      experiment: JSON.parse(r.spec),
    }));
  }

  /**
   * Moves an experiment from one of `from` to `to` with the given fields, in one conditional update: two callers
   * (two replicas, a guard and a kill switch) never both make the same transition. False when it was not in `from`.
   */
  async transition(
    id: number,
    from: ChaosState[],
    to: ChaosState,
    fields: {
      approvedBy?: string;
      startedAt?: number;
      finishedAt?: number;
      abortReason?: string;
      budgetAtStart?: number | null;
      budgetSpent?: number | null;
      experiment?: ChaosExperiment;
    },
    now: number,
  ): Promise<boolean> {
    const n = await this.db('reliability_chaos_experiments')
      .where('id', id)
      .whereIn('state', from)
      .update({
        state: to,
        updated_at: now,
        ...(fields.approvedBy !== undefined
          ? { approved_by: fields.approvedBy, approved_at: now }
          : {}),
        ...(fields.startedAt !== undefined
          ? { started_at: fields.startedAt }
          : {}),
        ...(fields.finishedAt !== undefined
          ? { finished_at: fields.finishedAt }
          : {}),
        ...(fields.abortReason !== undefined
          ? { abort_reason: fields.abortReason }
          : {}),
        ...(fields.budgetAtStart !== undefined
          ? { budget_at_start: fields.budgetAtStart }
          : {}),
        ...(fields.budgetSpent !== undefined
          ? { budget_spent: fields.budgetSpent }
          : {}),
        ...(fields.experiment !== undefined
          ? { spec: JSON.stringify(fields.experiment) }
          : {}),
      });
    return n === 1;
  }
}
