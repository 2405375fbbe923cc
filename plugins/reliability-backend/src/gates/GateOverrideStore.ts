import { Knex } from 'knex';
import { randomUUID } from 'crypto';
import type { GateOverride } from '@reliability-suite/plugin-reliability-common';

const TABLE = 'reliability_gate_overrides';

/** The deploy gate's overrides: created, listed, revoked; each expires by itself at its `until`. */
export interface GateOverrideStore {
  create(
    o: { entityRef: string; reason: string; until: number; createdBy: string },
    now: number,
  ): Promise<GateOverride>;
  get(id: string, now: number): Promise<GateOverride | undefined>;
  /** The override in force on the entity now that lasts longest, if any (one indexed query). */
  inForce(entityRef: string, now: number): Promise<GateOverride | undefined>;
  /** One page of overrides, newest first: of one entity or of those given, in force only or all. */
  list(
    filter: { entityRefs?: string[]; activeOnly: boolean },
    limit: number,
    offset: number,
    now: number,
  ): Promise<GateOverride[]>;
  /** Revokes an override in force; false when it was revoked or expired already. */
  revoke(id: string, by: string, now: number): Promise<boolean>;
}

/** The store over the plugin's database (SQLite or PostgreSQL). */
export class KnexGateOverrideStore implements GateOverrideStore {
  constructor(private readonly db: Knex) {}

  private row(r: any, now: number): GateOverride {
    const until = Number(r.until_at);
    const revoked = r.revoked_at !== null && r.revoked_at !== undefined;
    return {
      id: r.id,
      entityRef: r.entity_ref,
      reason: r.reason,
      createdBy: r.created_by,
      createdAt: new Date(Number(r.created_at)).toISOString(),
      until: new Date(until).toISOString(),
      ...(revoked
        ? {
            revokedBy: r.revoked_by,
            revokedAt: new Date(Number(r.revoked_at)).toISOString(),
          }
        : {}),
      active: !revoked && until > now,
    };
  }

  async create(
    o: { entityRef: string; reason: string; until: number; createdBy: string },
    now: number,
  ): Promise<GateOverride> {
    const id = randomUUID();
    await this.db(TABLE).insert({
      id,
      entity_ref: o.entityRef,
      reason: o.reason.slice(0, 500),
      created_by: o.createdBy.slice(0, 512),
      created_at: now,
      until_at: o.until,
    });
    return this.row(await this.db(TABLE).where({ id }).first(), now);
  }

  async get(id: string, now: number): Promise<GateOverride | undefined> {
    const r = await this.db(TABLE).where({ id }).first();
    return r ? this.row(r, now) : undefined;
  }

  async inForce(
    entityRef: string,
    now: number,
  ): Promise<GateOverride | undefined> {
    const r = await this.db(TABLE)
      .where('entity_ref', entityRef)
      .where('until_at', '>', now)
      .whereNull('revoked_at')
      .orderBy([
        { column: 'until_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    return r ? this.row(r, now) : undefined;
  }

  async list(
    filter: { entityRefs?: string[]; activeOnly: boolean },
    limit: number,
    offset: number,
    now: number,
  ): Promise<GateOverride[]> {
    let q = this.db(TABLE);
    if (filter.entityRefs) q = q.whereIn('entity_ref', filter.entityRefs);
    if (filter.activeOnly)
      q = q.where('until_at', '>', now).whereNull('revoked_at');
    const rows = await q
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)
      .offset(offset);
    return rows.map(r => this.row(r, now));
  }

  async revoke(id: string, by: string, now: number): Promise<boolean> {
    const n = await this.db(TABLE)
      .where({ id })
      .whereNull('revoked_at')
      .where('until_at', '>', now)
      .update({ revoked_by: by.slice(0, 512), revoked_at: now });
    return n > 0;
  }
}
