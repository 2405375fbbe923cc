import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { Counts, CumulativePoint, SloDefinition, SloStatus } from '@internal/plugin-reliability-common';

const MIN = 60_000;
const HOUR = 3_600_000;

/** One stored bucket. */
export interface BucketRow {
  sloRef: string;
  end: number;
  bucketMs: number;
  good: number;
  total: number;
  cumGood: number;
  cumTotal: number;
}

/** A count to add to an SLO at an instant. */
export interface CountDelta {
  sloRef: string;
  timestamp: number;
  good: number;
  total: number;
}

/** A cumulative reading to look up: the SLO's cumulative counts at time t. */
export interface BoundaryRequest {
  sloRef: string;
  t: number;
}

const migrationsDir = resolvePackagePath('@internal/plugin-reliability-backend', 'migrations');

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/**
 * Storage of the reliability plugin (knex: SQLite and PostgreSQL).
 *
 * Counting design: per SLO, buckets of (good, total) plus the cumulative pair up to the bucket's end. The counts
 * in [a, b) are cum(b) - cum(a), where cum(t) is the cumulative value of the last bucket ending at or before t,
 * one index probe each: evaluation cost does not grow with the window. Minute buckets older than the minute
 * retention are compacted into hourly buckets, keeping cumulative values exact at every stored boundary.
 */
export class ReliabilityStore {
  static async create(knex: Knex, options?: { skipMigrations?: boolean }): Promise<ReliabilityStore> {
    if (!options?.skipMigrations) {
      await knex.migrate.latest({ directory: migrationsDir, tableName: 'reliability_knex_migrations' });
    }
    return new ReliabilityStore(knex);
  }

  private constructor(readonly db: Knex) {}

  // ---- SLO registry -------------------------------------------------------------------------------------

  /** Replaces the registry with the given definitions (catalog is the source of truth). */
  async syncSlos(defs: { def: SloDefinition; entityRef: string }[], now = Date.now()): Promise<void> {
    await this.db.transaction(async tx => {
      const existing = new Set((await tx('reliability_slos').select('ref')).map(r => r.ref as string));
      const rows = defs.map(({ def, entityRef }) => ({
        ref: def.ref,
        entity_ref: entityRef,
        component_ref: def.componentRef,
        definition: JSON.stringify(def),
        updated_at: now,
      }));
      for (let i = 0; i < rows.length; i += 200) {
        await tx('reliability_slos').insert(rows.slice(i, i + 200)).onConflict('ref').merge();
      }
      const keep = new Set(rows.map(r => r.ref));
      const gone = [...existing].filter(r => !keep.has(r));
      for (let i = 0; i < gone.length; i += 500) {
        const chunk = gone.slice(i, i + 500);
        await tx('reliability_slos').whereIn('ref', chunk).delete();
        await tx('reliability_status').whereIn('slo_ref', chunk).delete();
      }
    });
  }

  /** Adds or updates one SLO without touching the others. */
  async upsertSlo(def: SloDefinition, entityRef: string, now = Date.now()): Promise<void> {
    await this.db('reliability_slos')
      .insert({ ref: def.ref, entity_ref: entityRef, component_ref: def.componentRef, definition: JSON.stringify(def), updated_at: now })
      .onConflict('ref')
      .merge();
  }

  async listSlos(filter?: { componentRef?: string; refs?: string[] }): Promise<{ def: SloDefinition; entityRef: string }[]> {
    const q = this.db('reliability_slos').select('entity_ref', 'definition').orderBy('ref');
    if (filter?.componentRef) q.where('component_ref', filter.componentRef);
    if (filter?.refs) q.whereIn('ref', filter.refs);
    const rows = await q;
    return rows.map(r => ({ def: JSON.parse(r.definition), entityRef: r.entity_ref }));
  }

  async getSlo(ref: string): Promise<{ def: SloDefinition; entityRef: string } | undefined> {
    const [found] = await this.listSlos({ refs: [ref] });
    return found;
  }

  // ---- Counts -------------------------------------------------------------------------------------------

  /**
   * Adds counts transactionally: all or nothing. Each count goes into the bucket that covers its timestamp
   * (minute buckets, or the hourly bucket for data older than `hourlyBefore`), and every later cumulative value
   * of that SLO moves by the same amount (one range UPDATE; none for in-order appends).
   */
  async addCounts(deltas: CountDelta[], hourlyBefore: number): Promise<void> {
    // merge deltas per (slo, bucket) so each bucket is written once
    const merged = new Map<string, { sloRef: string; timestamp: number; good: number; total: number }>();
    for (const d of deltas) {
      const minuteEnd = Math.floor(d.timestamp / MIN) * MIN + MIN;
      const key = `${d.sloRef}\u0000${minuteEnd}`;
      const m = merged.get(key);
      if (m) {
        m.good += d.good;
        m.total += d.total;
      } else merged.set(key, { ...d });
    }
    const ordered = [...merged.values()].sort((a, b) => (a.sloRef < b.sloRef ? -1 : a.sloRef > b.sloRef ? 1 : a.timestamp - b.timestamp));
    await this.db.transaction(async tx => {
      for (const d of ordered) {
        await this.addOne(tx, d, hourlyBefore);
      }
    });
  }

  private async addOne(tx: Knex.Transaction, d: CountDelta, hourlyBefore: number) {
    const ts = d.timestamp;
    if (![ts, d.good, d.total].every(Number.isFinite) || d.good < 0 || d.good > d.total) {
      // the router validates first; this guards the store's own invariants and rolls the batch back
      throw new Error(`Invalid count for ${d.sloRef} at ${ts}: good=${d.good} total=${d.total}`);
    }
    // the bucket that already covers ts, if any
    const covering = await tx('reliability_buckets')
      .where('slo_ref', d.sloRef)
      .where('bucket_end', '>', ts)
      .orderBy('bucket_end', 'asc')
      .first('bucket_end', 'bucket_ms');
    let end: number;
    if (covering && Number(covering.bucket_end) - Number(covering.bucket_ms) <= ts) {
      end = Number(covering.bucket_end);
      await tx('reliability_buckets')
        .where({ slo_ref: d.sloRef, bucket_end: end })
        .update({
          good: tx.raw('good + ?', [d.good]),
          total: tx.raw('total + ?', [d.total]),
          cum_good: tx.raw('cum_good + ?', [d.good]),
          cum_total: tx.raw('cum_total + ?', [d.total]),
        });
    } else {
      const hourStart = Math.floor(ts / HOUR) * HOUR;
      let bucketMs = MIN;
      if (ts < hourlyBefore) {
        // hourly, unless minute buckets of that hour still await compaction
        const minuteInHour = await tx('reliability_buckets')
          .where('slo_ref', d.sloRef)
          .where('bucket_end', '>', hourStart)
          .where('bucket_end', '<=', hourStart + HOUR)
          .first('bucket_end');
        if (!minuteInHour) bucketMs = HOUR;
      }
      end = Math.floor(ts / bucketMs) * bucketMs + bucketMs;
      const prev = await tx('reliability_buckets')
        .where('slo_ref', d.sloRef)
        .where('bucket_end', '<', end)
        .orderBy('bucket_end', 'desc')
        .first('cum_good', 'cum_total');
      await tx('reliability_buckets').insert({
        slo_ref: d.sloRef,
        bucket_end: end,
        bucket_ms: bucketMs,
        good: d.good,
        total: d.total,
        cum_good: num(prev?.cum_good) + d.good,
        cum_total: num(prev?.cum_total) + d.total,
      });
    }
    await tx('reliability_buckets')
      .where('slo_ref', d.sloRef)
      .where('bucket_end', '>', end)
      .update({
        cum_good: tx.raw('cum_good + ?', [d.good]),
        cum_total: tx.raw('cum_total + ?', [d.total]),
      });
  }

  /** Bulk load of pre-computed buckets for an SLO without data (demo data, benchmarks). */
  async loadBuckets(rows: BucketRow[]): Promise<void> {
    const chunk = this.db.client.config.client === 'pg' ? 5000 : 120; // SQLite: 999 bound variables
    await this.db.transaction(async tx => {
      for (let i = 0; i < rows.length; i += chunk) {
        await tx('reliability_buckets').insert(
          rows.slice(i, i + chunk).map(r => ({
            slo_ref: r.sloRef,
            bucket_end: r.end,
            bucket_ms: r.bucketMs,
            good: r.good,
            total: r.total,
            cum_good: r.cumGood,
            cum_total: r.cumTotal,
          })),
        );
      }
    });
  }

  async hasData(sloRef: string): Promise<boolean> {
    return !!(await this.db('reliability_buckets').where('slo_ref', sloRef).first('bucket_end'));
  }

  /** The latest bucket end of an SLO, or null. */
  async lastDataAt(sloRef: string): Promise<number | null> {
    const row = await this.db('reliability_buckets').where('slo_ref', sloRef).max({ m: 'bucket_end' }).first();
    return row?.m === null || row?.m === undefined ? null : Number(row.m);
  }

  /**
   * Cumulative counts for many (SLO, t) pairs. Requests are grouped by t; each group is one query whose
   * correlated MAX(bucket_end) per SLO is a single index probe, whatever the amount of stored data.
   */
  async cumulativeAt(requests: BoundaryRequest[]): Promise<Map<string, Map<number, Counts>>> {
    const out = new Map<string, Map<number, Counts>>();
    const byT = new Map<number, string[]>();
    for (const r of requests) {
      const list = byT.get(r.t) ?? [];
      list.push(r.sloRef);
      byT.set(r.t, list);
      if (!out.has(r.sloRef)) out.set(r.sloRef, new Map());
    }
    const registered = Number((await this.db('reliability_slos').count({ n: '*' }).first())?.n ?? 0);
    for (const [t, refs] of byT) {
      const unique = [...new Set(refs)];
      // most ticks ask for every SLO at the same boundaries: then one query covers the whole registry
      const chunks = unique.length >= registered ? [undefined] : chunk(unique, 500);
      for (const part of chunks) {
        const slos = this.db('reliability_slos as s')
          .select('s.ref')
          .select(
            this.db('reliability_buckets as i').max('i.bucket_end').whereRaw('i.slo_ref = s.ref').where('i.bucket_end', '<=', t).as('e'),
          );
        if (part) slos.whereIn('s.ref', part);
        const rows = await this.db
          .select('x.ref', 'b.cum_good', 'b.cum_total')
          .from(slos.as('x'))
          .leftJoin('reliability_buckets as b', function join() {
            this.on('b.slo_ref', '=', 'x.ref').andOn('b.bucket_end', '=', 'x.e');
          });
        for (const row of rows) {
          out.get(row.ref)?.set(t, { good: num(row.cum_good), total: num(row.cum_total) });
        }
      }
    }
    return out;
  }

  /** Time of the first bucket (its start) per SLO; one index probe each. */
  async firstDataAt(refs: string[]): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    for (let i = 0; i < refs.length; i += 500) {
      const chunk = refs.slice(i, i + 500);
      const rows = await this.db('reliability_slos as s')
        .select('s.ref')
        .select(this.db('reliability_buckets as b').min('b.bucket_end').whereRaw('b.slo_ref = s.ref').as('first_end'))
        .whereIn('s.ref', chunk);
      for (const r of rows) {
        out.set(r.ref, r.first_end === null || r.first_end === undefined ? null : Number(r.first_end) - MIN);
      }
    }
    return out;
  }

  /** Buckets of one SLO with end in [from, to], plus the one before (the reading at from). */
  async readCumulative(sloRef: string, from: number, to: number): Promise<CumulativePoint[]> {
    const before = await this.db('reliability_buckets')
      .where('slo_ref', sloRef)
      .where('bucket_end', '<', from)
      .orderBy('bucket_end', 'desc')
      .first('bucket_end', 'cum_good', 'cum_total');
    const rows = await this.db('reliability_buckets')
      .where('slo_ref', sloRef)
      .whereBetween('bucket_end', [from, to])
      .orderBy('bucket_end', 'asc')
      .select('bucket_end', 'cum_good', 'cum_total');
    const all = before ? [before, ...rows] : rows;
    return all.map(r => ({ end: Number(r.bucket_end), cumGood: num(r.cum_good), cumTotal: num(r.cum_total) }));
  }

  /**
   * Folds minute buckets that end at or before `before` (rounded down to the hour) into hourly buckets.
   * Cumulative values stay exact: an hourly bucket carries the cumulative value of its last minute.
   * Returns the number of minute buckets folded.
   */
  async compact(before: number, maxSlos = 1000): Promise<number> {
    const horizon = Math.floor(before / HOUR) * HOUR;
    const refs = (
      await this.db('reliability_buckets')
        .distinct('slo_ref')
        .where('bucket_ms', MIN)
        .where('bucket_end', '<=', horizon)
        .limit(maxSlos)
    ).map(r => r.slo_ref as string);
    let folded = 0;
    for (const ref of refs) {
      await this.db.transaction(async tx => {
        const rows = await tx('reliability_buckets')
          .where({ slo_ref: ref, bucket_ms: MIN })
          .where('bucket_end', '<=', horizon)
          .orderBy('bucket_end', 'asc')
          .select('bucket_end', 'good', 'total', 'cum_good', 'cum_total');
        const hours = new Map<number, { good: number; total: number; cumGood: number; cumTotal: number }>();
        for (const r of rows) {
          const hourEnd = Math.ceil(Number(r.bucket_end) / HOUR) * HOUR;
          const h = hours.get(hourEnd) ?? { good: 0, total: 0, cumGood: 0, cumTotal: 0 };
          h.good += num(r.good);
          h.total += num(r.total);
          h.cumGood = num(r.cum_good);
          h.cumTotal = num(r.cum_total);
          hours.set(hourEnd, h);
        }
        await tx('reliability_buckets').where({ slo_ref: ref, bucket_ms: MIN }).where('bucket_end', '<=', horizon).delete();
        for (const [hourEnd, h] of hours) {
          const existing = await tx('reliability_buckets').where({ slo_ref: ref, bucket_end: hourEnd }).first('good');
          if (existing) {
            // an hourly bucket of this hour exists already (late data went there): it cannot, since late data
            // for an hour with minute buckets goes to minute buckets; merge defensively anyway.
            await tx('reliability_buckets')
              .where({ slo_ref: ref, bucket_end: hourEnd })
              .update({ good: tx.raw('good + ?', [h.good]), total: tx.raw('total + ?', [h.total]), cum_good: h.cumGood, cum_total: h.cumTotal });
          } else {
            await tx('reliability_buckets').insert({
              slo_ref: ref, bucket_end: hourEnd, bucket_ms: HOUR, good: h.good, total: h.total, cum_good: h.cumGood, cum_total: h.cumTotal,
            });
          }
        }
        folded += rows.length;
      });
    }
    return folded;
  }

  // ---- Status -------------------------------------------------------------------------------------------

  async saveStatuses(items: { sloRef: string; status: SloStatus }[]): Promise<void> {
    if (!items.length) return;
    const rows = items.map(i => ({
      slo_ref: i.sloRef,
      state: i.status.state,
      evaluated_at: Date.parse(i.status.evaluatedAt),
      status: JSON.stringify(i.status),
    }));
    await this.db.transaction(async tx => {
      for (let i = 0; i < rows.length; i += 200) {
        await tx('reliability_status').insert(rows.slice(i, i + 200)).onConflict('slo_ref').merge();
      }
    });
  }

  async getStatuses(refs: string[]): Promise<Map<string, SloStatus>> {
    const out = new Map<string, SloStatus>();
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await this.db('reliability_status').whereIn('slo_ref', refs.slice(i, i + 500)).select('slo_ref', 'status');
      for (const r of rows) out.set(r.slo_ref, JSON.parse(r.status));
    }
    return out;
  }
}
