import { Knex } from 'knex';
import {
  dayOf,
  Drill,
  DrillRecord,
} from '@reliability-suite/plugin-reliability-common';
import { insertedId } from '../database/rows';

const TABLE = 'reliability_drills';
const KEY = ['entity_ref', 'date', 'kind', 'region'];
/** Rows per insert statement (16 columns each: well under SQLite's and PostgreSQL's bind-variable limits). */
const CHUNK = 200;

/** An entity's drill log. Reads never write; an import is one transaction, all of it or none. */
export class DrillStore {
  constructor(private readonly db: Knex) {}

  private row(r: any): DrillRecord {
    const durationMin = Number(r.duration_min);
    const opt = (v: unknown) =>
      v === null || v === undefined ? undefined : Number(v);
    return {
      id: Number(r.id),
      entityRef: r.entity_ref,
      date: dayOf(Number(r.date)),
      kind: r.kind,
      region: r.region,
      toRegion: r.to_region ?? undefined,
      durationMin,
      success: Boolean(r.success),
      rtoSeconds: opt(r.rto_s),
      rpoSeconds: opt(r.rpo_s),
      replicationLagSeconds: opt(r.replication_lag_s),
      steps: JSON.parse(r.steps),
      notes: r.notes,
      evidence: JSON.parse(r.evidence),
      measuredRtoSeconds: opt(r.rto_s) ?? durationMin * 60,
      recordedBy: r.recorded_by,
      recordedAt: new Date(Number(r.recorded_at)).toISOString(),
    };
  }

  private columns(entityRef: string, d: Drill, by: string, now: number) {
    return {
      entity_ref: entityRef,
      date: d.date,
      kind: d.kind,
      region: d.region,
      to_region: d.toRegion ?? null,
      duration_min: d.durationMin,
      success: d.success,
      rto_s: d.rtoSeconds ?? null,
      rpo_s: d.rpoSeconds ?? null,
      replication_lag_s: d.replicationLagSeconds ?? null,
      steps: JSON.stringify(d.steps),
      notes: d.notes,
      evidence: JSON.stringify(d.evidence),
      recorded_by: by,
      recorded_at: now,
    };
  }

  /** One drill; undefined when the entity already has a drill of that kind and region on that day. */
  async create(
    entityRef: string,
    drill: Drill,
    by: string,
    now: number,
  ): Promise<DrillRecord | undefined> {
    const id = insertedId(
      await this.db(TABLE)
        .insert(this.columns(entityRef, drill, by, now))
        .onConflict(KEY)
        .ignore()
        .returning('id'),
    );
    return id === undefined
      ? undefined
      : this.row(await this.db(TABLE).where({ id }).first());
  }

  /**
   * A drill log, in one transaction: new drills are added, drills already there (same day, kind and region) take the
   * file's values. Answers how many of each.
   */
  async import(
    entityRef: string,
    drills: Drill[],
    by: string,
    now: number,
  ): Promise<{ added: number; updated: number }> {
    // one drill per key: the file's last row of a key wins
    const byKey = new Map(
      drills.map(d => [`${d.date}|${d.kind}|${d.region}`, d]),
    );
    const unique = [...byKey.values()];
    return this.db.transaction(async tx => {
      let existing = 0;
      for (let i = 0; i < unique.length; i += CHUNK) {
        const part = unique.slice(i, i + CHUNK);
        const [{ n }] = await tx(TABLE)
          .where('entity_ref', entityRef)
          .whereIn(
            ['date', 'kind', 'region'],
            part.map(d => [d.date, d.kind, d.region]),
          )
          .count({ n: '*' });
        existing += Number(n);
        await tx(TABLE)
          .insert(part.map(d => this.columns(entityRef, d, by, now)))
          .onConflict(KEY)
          .merge([
            'to_region',
            'duration_min',
            'success',
            'rto_s',
            'rpo_s',
            'replication_lag_s',
            'steps',
            'notes',
            'evidence',
            'recorded_by',
            'recorded_at',
          ]);
      }
      return { added: unique.length - existing, updated: existing };
    });
  }

  /** One page of the entity's drills, newest first. */
  async list(
    entityRef: string,
    limit: number,
    offset: number,
  ): Promise<DrillRecord[]> {
    const rows = await this.db(TABLE)
      .where('entity_ref', entityRef)
      .orderBy([
        { column: 'date', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)
      .offset(offset);
    return rows.map(r => this.row(r));
  }

  /** The latest drill, and the latest successful one. */
  async latest(
    entityRef: string,
  ): Promise<{ last: DrillRecord | null; lastSuccess: DrillRecord | null }> {
    const order = [
      { column: 'date', order: 'desc' as const },
      { column: 'id', order: 'desc' as const },
    ];
    const [last, lastSuccess] = await Promise.all([
      this.db(TABLE).where('entity_ref', entityRef).orderBy(order).first(),
      this.db(TABLE)
        .where({ entity_ref: entityRef, success: true })
        .orderBy(order)
        .first(),
    ]);
    return {
      last: last ? this.row(last) : null,
      lastSuccess: lastSuccess ? this.row(lastSuccess) : null,
    };
  }

  /** Each entity's latest successful drill (epoch ms of its day), one page of entities at a time. */
  async lastSuccessPerEntity(
    limit: number,
    offset: number,
    kinds?: readonly string[],
  ): Promise<{ entityRef: string; at: number }[]> {
    const rows = await this.db(TABLE)
      .where('success', true)
      .modify(q => {
        if (kinds) q.whereIn('kind', [...kinds]);
      })
      .groupBy('entity_ref')
      .select('entity_ref')
      .max({ at: 'date' })
      .orderBy('entity_ref')
      .limit(limit)
      .offset(offset);
    return rows.map((r: any) => ({
      entityRef: r.entity_ref,
      at: Number(r.at),
    }));
  }
}
