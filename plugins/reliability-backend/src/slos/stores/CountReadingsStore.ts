import { Knex } from 'knex';
import type { Counts } from '@reliability-suite/plugin-reliability-common';
import { compositeParentRef } from '@reliability-suite/plugin-reliability-common';
import {
  appendColumns,
  chunk,
  DriverRows,
  emptyColumns,
  isPg,
  num,
  RowColumns,
} from './rows';

const MIN = 60_000;

/** The shards a replica evaluates: `shards` of `count` (each SLO's is its `shardHash % count`). */
export interface ShardFilter {
  count: number;
  shards: number[];
}

/**
 * The join and condition that keep a read of `b` (a counts table) to the SLOs of some shards: by the hash the registry
 * stored, and rows of refs it has no hash for (a composite SLO's objectives, an SLO the registry just removed) kept.
 */
function shardClause(only: ShardFilter | undefined): {
  join: string;
  where: string;
  params: number[];
} {
  if (!only) return { join: '', where: '', params: [] };
  const join = ' LEFT JOIN reliability_slos s ON s.ref = b.slo_ref';
  if (!only.shards.length)
    return { join, where: ' AND s.shard_hash IS NULL', params: [] };
  return {
    join,
    where: ` AND (s.shard_hash IS NULL OR s.shard_hash % ? IN (${only.shards
      .map(() => '?')
      .join(', ')}))`,
    params: [only.count, ...only.shards],
  };
}

/** A cumulative reading to look up: the SLO's cumulative counts at time t. */
export interface BoundaryRequest {
  sloRef: string;
  t: number;
}
/**
 * The evaluation's bulk reads of the counts (`reliability_buckets`, `reliability_late_counts`; knex: SQLite and
 * PostgreSQL): cumulative readings at window boundaries for many SLOs at once, first data, and the rows written or
 * slid past since the tick's index last looked (CountIndex). It reads `reliability_slos` to ask the whole registry in
 * one query. It writes nothing.
 */
export class CountReadingsStore {
  private readonly rows: DriverRows;

  constructor(private readonly db: Knex) {
    this.rows = new DriverRows(db);
  }

  /**
   * Buckets ([ref, end, cumGood, cumTotal]) and late counts ([ref, at]) written after `since` (the writers' clock,
   * epoch ms); undefined when there are more than `limit` of either (a backfill: reading everything afresh is cheaper).
   * `only`: the rows of the SLOs of these shards, and of refs the registry has no hash for (a composite SLO's
   * objectives); a replica then reads what it evaluates, not every SLO's rows.
   */
  async writtenSince(
    since: number,
    limit: number,
    only?: ShardFilter,
  ): Promise<{ buckets: RowColumns; late: RowColumns } | undefined> {
    const f = shardClause(only);
    const buckets = await this.rows.columns(
      `SELECT b.slo_ref, b.bucket_end, b.cum_good, b.cum_total FROM reliability_buckets b${f.join} WHERE b.written_at > ?${f.where} LIMIT ?`,
      [since, ...f.params, limit + 1],
      4,
    );
    if (buckets.refs.length > limit) return undefined;
    const late = await this.rows.columns(
      `SELECT b.slo_ref, b.at FROM reliability_late_counts b${f.join} WHERE b.written_at > ?${f.where} LIMIT ?`,
      [since, ...f.params, limit + 1],
      2,
    );
    if (late.refs.length > limit) return undefined;
    return { buckets, late };
  }

  /**
   * Buckets ([ref, end, cumGood, cumTotal]) ending, and late counts ([ref, at, good, total]) at, inside any of the
   * (disjoint) ranges (a, b]: what boundaries moving from a to b slide past. `only` as for writtenSince.
   */
  async crossed(
    ranges: [number, number][],
    only?: ShardFilter,
  ): Promise<{ buckets: RowColumns; late: RowColumns }> {
    const out = { buckets: emptyColumns(4), late: emptyColumns(4) };
    const f = shardClause(only);
    for (const part of chunk(ranges, 100)) {
      // one index range scan each, concatenated
      const within = (cols: string, table: string, col: string) =>
        part
          .map(
            () =>
              `SELECT ${cols} FROM ${table} b${f.join} WHERE b.${col} > ? AND b.${col} <= ?${f.where}`,
          )
          .join(' UNION ALL ');
      const params = part.flatMap(range => [...range, ...f.params]);
      const b = 'b.slo_ref, b.bucket_end, b.cum_good, b.cum_total';
      const l = 'b.slo_ref, b.at, b.good, b.total';
      appendColumns(
        out.buckets,
        await this.rows.columns(
          within(b, 'reliability_buckets', 'bucket_end'),
          params,
          4,
        ),
      );
      appendColumns(
        out.late,
        await this.rows.columns(
          within(l, 'reliability_late_counts', 'at'),
          params,
          4,
        ),
      );
    }
    return out;
  }

  /**
   * Per SLO and t, the last bucket at or before t (its end and cumulative counts) and the sum of the late counts at
   * or before t.
   * One query per distinct t for the whole registry when every registered SLO is asked, else per 500 SLOs.
   */
  async readings(requests: BoundaryRequest[]): Promise<{
    at: Map<
      string,
      Map<
        number,
        {
          end: number | null;
          cumGood: number;
          cumTotal: number;
          lateGood: number;
          lateTotal: number;
        }
      >
    >;
  }> {
    const at = new Map<
      string,
      Map<
        number,
        {
          end: number | null;
          cumGood: number;
          cumTotal: number;
          lateGood: number;
          lateTotal: number;
        }
      >
    >();
    const byT = new Map<number, string[]>();
    for (const r of requests) {
      const list = byT.get(r.t);
      if (list) list.push(r.sloRef);
      else byT.set(r.t, [r.sloRef]);
      if (!at.has(r.sloRef)) at.set(r.sloRef, new Map());
    }
    const registered = Number(
      (await this.db('reliability_slos').count({ n: '*' }).first())?.n ?? 0,
    );
    for (const [t, refs] of byT) {
      const all = [...new Set(refs)];
      for (const part of this.refChunks(all, registered)) {
        for (const row of await this.lastBucketsAt(part, t)) {
          at.get(row.ref)?.set(t, {
            end: row.end,
            cumGood: row.cumGood,
            cumTotal: row.cumTotal,
            lateGood: 0,
            lateTotal: 0,
          });
        }
        for (const row of await this.lateSumsAt(part, t)) {
          const c = at.get(row.ref)?.get(t);
          if (c)
            at.get(row.ref)!.set(t, {
              ...c,
              lateGood: row.good,
              lateTotal: row.total,
            });
        }
      }
    }
    return { at };
  }

  /**
   * Splits refs into query parts: the whole registry (undefined) when every registered SLO is asked, else by 500;
   * a composite SLO's objectives (counted under refs outside the registry) always by ref.
   */
  private refChunks(
    all: string[],
    registered: number,
  ): (string[] | undefined)[] {
    const parts = all.filter(r => compositeParentRef(r) !== undefined);
    const unique = parts.length
      ? all.filter(r => compositeParentRef(r) === undefined)
      : all;
    const chunks: (string[] | undefined)[] =
      unique.length > 0 && unique.length >= registered
        ? [undefined]
        : chunk(unique, 500);
    return [...chunks, ...chunk(parts, 500)];
  }

  /** The last bucket at or before t of each SLO: of the whole registry (refs undefined) or of the refs given. */
  private async lastBucketsAt(
    refs: string[] | undefined,
    t: number,
  ): Promise<
    { ref: string; end: number | null; cumGood: number; cumTotal: number }[]
  > {
    let rows: {
      ref: string;
      bucket_end: unknown;
      cum_good: unknown;
      cum_total: unknown;
    }[];
    if (!refs) {
      const slos = this.db('reliability_slos as s')
        .select('s.ref')
        .select(
          this.db('reliability_buckets as i')
            .max('i.bucket_end')
            .whereRaw('i.slo_ref = s.ref')
            .where('i.bucket_end', '<=', t)
            .as('e'),
        );
      rows = await this.db
        .select('x.ref', 'b.bucket_end', 'b.cum_good', 'b.cum_total')
        .from(slos.as('x'))
        .leftJoin('reliability_buckets as b', function join() {
          this.on('b.slo_ref', '=', 'x.ref').andOn('b.bucket_end', '=', 'x.e');
        });
    } else if (isPg(this.db)) {
      rows = (
        await this.db.raw(
          `SELECT r.ref, b.bucket_end, b.cum_good, b.cum_total FROM unnest(?::text[]) AS r(ref)
           LEFT JOIN LATERAL (SELECT x.bucket_end, x.cum_good, x.cum_total FROM reliability_buckets x WHERE x.slo_ref = r.ref AND x.bucket_end <= ? ORDER BY x.bucket_end DESC LIMIT 1) AS b ON true`,
          [refs, t],
        )
      ).rows;
    } else {
      rows = await this.db.raw(
        `SELECT m.ref, b.bucket_end, b.cum_good, b.cum_total
         FROM (SELECT j.value AS ref, (SELECT MAX(x.bucket_end) FROM reliability_buckets x WHERE x.slo_ref = j.value AND x.bucket_end <= ?) AS e FROM json_each(?) AS j) AS m
         LEFT JOIN reliability_buckets b ON b.slo_ref = m.ref AND b.bucket_end = m.e`,
        [t, JSON.stringify(refs)],
      );
    }
    return rows.map(r => ({
      ref: r.ref,
      end:
        r.bucket_end === null || r.bucket_end === undefined
          ? null
          : Number(r.bucket_end),
      cumGood: num(r.cum_good),
      cumTotal: num(r.cum_total),
    }));
  }

  /** The late counts at or before t, summed per SLO (few rows: compaction absorbs those older than the retention). */
  private async lateSumsAt(
    refs: string[] | undefined,
    t: number,
  ): Promise<{ ref: string; good: number; total: number }[]> {
    const q = this.db('reliability_late_counts')
      .where('at', '<=', t)
      .groupBy('slo_ref')
      .select('slo_ref')
      .sum({ g: 'good', n: 'total' });
    if (refs) q.whereIn('slo_ref', refs);
    return ((await q) as { slo_ref: string; g: unknown; n: unknown }[]).map(
      r => ({ ref: r.slo_ref, good: num(r.g), total: num(r.n) }),
    );
  }

  /**
   * Cumulative counts for many (SLO, t) pairs. Requests are grouped by t; each group is one query whose
   * correlated MAX(bucket_end) per SLO is a single index probe, whatever the amount of stored data.
   */
  async cumulativeAt(
    requests: BoundaryRequest[],
  ): Promise<Map<string, Map<number, Counts>>> {
    const out = new Map<string, Map<number, Counts>>();
    const { at } = await this.readings(requests);
    for (const [ref, byT] of at) {
      const m = new Map<number, Counts>();
      for (const [t, c] of byT)
        m.set(t, {
          good: c.cumGood + c.lateGood,
          total: c.cumTotal + c.lateTotal,
        });
      out.set(ref, m);
    }
    return out;
  }

  /** Time of the first bucket (its start) per SLO; one index probe each. */
  async firstDataAt(refs: string[]): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    for (const [ref, f] of await this.firsts(refs)) {
      const starts = [f.end, f.late]
        .filter((x): x is number => x !== null)
        .map(x => x - MIN);
      out.set(ref, starts.length ? Math.min(...starts) : null);
    }
    return out;
  }

  /** Per SLO: the end of its first bucket and the time of its first late count (null when none). */
  async firsts(
    refs: string[],
  ): Promise<Map<string, { end: number | null; late: number | null }>> {
    const out = new Map<string, { end: number | null; late: number | null }>();
    for (let i = 0; i < refs.length; i += 500) {
      const part = refs.slice(i, i + 500);
      const regular = part.filter(r => compositeParentRef(r) === undefined);
      const rows: { ref: string; first_end: unknown }[] = regular.length
        ? await this.db('reliability_slos as s')
            .select('s.ref')
            .select(
              this.db('reliability_buckets as b')
                .min('b.bucket_end')
                .whereRaw('b.slo_ref = s.ref')
                .as('first_end'),
            )
            .whereIn('s.ref', regular)
        : [];
      // a composite SLO's objectives count under refs of their own, outside the registry: one probe each
      for (const ref of part.filter(r => compositeParentRef(r) !== undefined)) {
        rows.push({
          ref,
          first_end:
            (
              await this.db('reliability_buckets')
                .where('slo_ref', ref)
                .min({ m: 'bucket_end' })
                .first()
            )?.m ?? null,
        });
      }
      for (const r of rows)
        out.set(r.ref, {
          end:
            r.first_end === null || r.first_end === undefined
              ? null
              : Number(r.first_end),
          late: null,
        });
      const late = await this.db('reliability_late_counts')
        .whereIn('slo_ref', part)
        .groupBy('slo_ref')
        .select('slo_ref')
        .min({ first_at: 'at' });
      for (const r of late as { slo_ref: string; first_at: unknown }[]) {
        out.set(r.slo_ref, {
          end: out.get(r.slo_ref)?.end ?? null,
          late: Number(r.first_at),
        });
      }
    }
    return out;
  }
}
