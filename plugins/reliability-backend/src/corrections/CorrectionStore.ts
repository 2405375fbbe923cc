import { Knex } from 'knex';
import { randomUUID } from 'crypto';
import type {
  SloCorrection,
  SloCorrectionCreate,
} from '@reliability-suite/plugin-reliability-common';

const TABLE = 'reliability_corrections';

/** Budget corrections per SLO: created, listed, reverted (never deleted). */
export class CorrectionStore {
  constructor(private readonly db: Knex) {}

  private row(r: any): SloCorrection {
    return {
      id: r.id,
      sloRef: r.slo_ref,
      reason: r.reason,
      kind: r.kind,
      start: new Date(Number(r.start_at)).toISOString(),
      end:
        r.end_at === null || r.end_at === undefined
          ? null
          : new Date(Number(r.end_at)).toISOString(),
      ...(r.cron
        ? { cron: r.cron, duration: r.duration, timeZone: r.time_zone ?? 'UTC' }
        : {}),
      createdBy: r.created_by,
      createdAt: new Date(Number(r.created_at)).toISOString(),
      ...(r.reverted_at !== null && r.reverted_at !== undefined
        ? {
            revertedBy: r.reverted_by,
            revertedAt: new Date(Number(r.reverted_at)).toISOString(),
          }
        : {}),
    };
  }

  async create(
    sloRef: string,
    c: SloCorrectionCreate,
    createdBy: string,
    now: number,
  ): Promise<SloCorrection> {
    const id = randomUUID();
    await this.db(TABLE).insert({
      id,
      slo_ref: sloRef,
      kind: c.cron ? 'recurring' : 'once',
      start_at: Date.parse(c.start),
      end_at: c.end === undefined ? null : Date.parse(c.end),
      cron: c.cron?.trim() ?? null,
      time_zone: c.cron ? c.timeZone ?? 'UTC' : null,
      duration: c.duration ?? null,
      reason: c.reason,
      created_by: createdBy.slice(0, 512),
      created_at: now,
    });
    return this.row(await this.db(TABLE).where({ id }).first());
  }

  async get(id: string): Promise<SloCorrection | undefined> {
    const r = await this.db(TABLE).where({ id }).first();
    return r ? this.row(r) : undefined;
  }

  /** One page of an SLO's corrections, newest first (reverted ones included). */
  async list(
    sloRef: string,
    limit: number,
    offset: number,
  ): Promise<SloCorrection[]> {
    const rows = await this.db(TABLE)
      .where('slo_ref', sloRef)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)
      .offset(offset);
    return rows.map(r => this.row(r));
  }

  /** Reverts a correction that is not reverted yet; false when it already was. */
  async revert(id: string, by: string, now: number): Promise<boolean> {
    const n = await this.db(TABLE)
      .where({ id })
      .whereNull('reverted_at')
      .update({ reverted_by: by.slice(0, 512), reverted_at: now });
    return n > 0;
  }

  /** The corrections in force (not reverted) of these SLOs, one query per 500 refs. */
  async active(sloRefs: string[]): Promise<Map<string, SloCorrection[]>> {
    const out = new Map<string, SloCorrection[]>();
    for (let i = 0; i < sloRefs.length; i += 500) {
      const rows = await this.db(TABLE)
        .whereIn('slo_ref', sloRefs.slice(i, i + 500))
        .whereNull('reverted_at')
        .orderBy('start_at');
      for (const r of rows) {
        const c = this.row(r);
        out.set(c.sloRef, [...(out.get(c.sloRef) ?? []), c]);
      }
    }
    return out;
  }
}
