import { Knex } from 'knex';
import type {
  ChangeEvent,
  ChangeKind,
} from '@reliability-suite/plugin-reliability-common';
import { insertedId } from '../database/rows';
import type { WriteFence } from '../database/writeFence';

const TABLE = 'reliability_changes';
const NEWEST = [
  { column: 'at', order: 'desc' as const },
  { column: 'id', order: 'desc' as const },
];

/** Change events per entity. */
export class ChangeStore {
  constructor(private readonly db: Knex) {}

  private row(r: any): ChangeEvent {
    return {
      id: Number(r.id),
      entityRef: r.entity_ref,
      kind: r.kind,
      version: r.version ?? null,
      summary: r.summary ?? null,
      author: r.author ?? null,
      link: r.link ?? null,
      at: new Date(Number(r.at)).toISOString(),
      source: r.source,
    };
  }

  async create(
    c: {
      entityRef: string;
      kind: ChangeKind;
      version?: string;
      summary?: string;
      author?: string;
      link?: string;
      at: number;
      source: string;
    },
    now: number,
    fence?: WriteFence,
  ): Promise<ChangeEvent> {
    return this.db.transaction(async tx => {
      const inserted = await tx(TABLE)
        .insert({
          entity_ref: c.entityRef,
          kind: c.kind,
          version: c.version ?? null,
          summary: c.summary?.slice(0, 500) ?? null,
          author: c.author ?? null,
          link: c.link ?? null,
          at: c.at,
          source: c.source.slice(0, 255),
          recorded_at: now,
        })
        .returning('id');
      const created = this.row(
        await tx(TABLE)
          .where({ id: insertedId(inserted) })
          .first(),
      );
      if (fence) await fence(tx, created);
      return created;
    });
  }

  /** One page of the entity's changes in [from, to), newest first. */
  async list(
    entityRef: string,
    range: { from?: number; to?: number },
    limit: number,
    offset: number,
  ): Promise<ChangeEvent[]> {
    const q = this.db(TABLE).where('entity_ref', entityRef);
    if (range.from !== undefined) q.where('at', '>=', range.from);
    if (range.to !== undefined) q.where('at', '<', range.to);
    return (await q.orderBy(NEWEST).limit(limit).offset(offset)).map(r =>
      this.row(r),
    );
  }

  /** For each (entity, t): the entity's latest change at or before t and after t - lookback. One query for all. */
  async lastBefore(
    requests: { entityRef: string; t: number }[],
    lookbackMs: number,
  ): Promise<(ChangeEvent | null)[]> {
    const refs = [...new Set(requests.map(r => r.entityRef))].slice(0, 1000);
    if (refs.length === 0) return requests.map(() => null);
    const from = Math.min(...requests.map(r => r.t)) - lookbackMs;
    const to = Math.max(...requests.map(r => r.t));
    const rows = (
      await this.db(TABLE)
        .whereIn('entity_ref', refs)
        .whereBetween('at', [from, to])
        .orderBy(NEWEST)
        .limit(10_000)
    ).map(r => this.row(r));
    return requests.map(
      ({ entityRef, t }) =>
        rows.find(
          c =>
            c.entityRef === entityRef &&
            Date.parse(c.at) <= t &&
            Date.parse(c.at) > t - lookbackMs,
        ) ?? null,
    );
  }
}
