import { Knex } from 'knex';
import type { CumulativePoint } from '@reliability-suite/plugin-reliability-common';
import { chunk, isPg, num } from './rows';

const MIN = 60_000;
const HOUR = 3_600_000;

/**
 * PostgreSQL advisory locks that serialize the writers of an SLO's counts (ingest, closing time slices, compaction):
 * one of COUNT_LOCK_STRIPES locks per SLO, `pg_advisory_xact_lock(COUNT_LOCK_SPACE, hashtext(ref) & (stripes - 1))`.
 * Striped, so that a batch holds at most 256 locks whatever its number of SLOs: one lock per SLO ran out of
 * PostgreSQL's lock table (64 locks per connection by default, `max_locks_per_transaction`) at a few thousand SLOs in
 * one batch ("out of shared memory"), and a batch may hold 10,000. Two SLOs of one stripe wait for each other.
 */
const COUNT_LOCK_SPACE = 0x52454c43; // 'RELC'
const COUNT_LOCK_STRIPES = 256;
const STRIPE_OF = `hashtext(?) & ${COUNT_LOCK_STRIPES - 1}`;

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

/** Adds counts to SLOs (the ingest, synthetic journeys' runs). */
export interface SliCountWriter {
  addCounts(deltas: CountDelta[], hourlyBefore: number): Promise<void>;
}

/** The busiest stored bucket of some SLOs (capacity's headroom). */
export interface SliPeakRate {
  peakRate(sloRefs: string[], since: number): Promise<number | null>;
}

/**
 * The counts of the SLOs: `reliability_buckets` and `reliability_late_counts` (knex: SQLite and PostgreSQL). Writes
 * (ingest, bulk loads, the scheduled compaction) and one SLO's reads; the tick's bulk reads of the same tables are
 * CountReadingsStore's.
 *
 * Counting design: per SLO, buckets of (good, total) plus the cumulative pair up to the bucket's end. The counts
 * in [a, b) are cum(b) - cum(a), where cum(t) is the cumulative value of the last bucket ending at or before t,
 * one index probe each, plus the SLO's late counts at or before t: evaluation cost does not grow with the window.
 * Late counts (events before the SLO's latest bucket) are kept apart instead of moving every later cumulative
 * value, so an ingest costs one row per (SLO, minute) whatever its events' times. The scheduled compaction folds
 * minute buckets older than the minute retention into hourly ones and absorbs the late counts of that age,
 * keeping cumulative values exact at every stored boundary.
 */
/** The store's own invariants, checked before anything is written (the router validates first). */
export function checkCountDeltas(deltas: CountDelta[]): void {
  for (const d of deltas) {
    if (
      ![d.timestamp, d.good, d.total].every(Number.isFinite) ||
      d.good < 0 ||
      d.good > d.total
    ) {
      throw new Error(
        `Invalid count for ${d.sloRef} at ${d.timestamp}: good=${d.good} total=${d.total}`,
      );
    }
  }
}

export class SliCountsStore implements SliCountWriter, SliPeakRate {
  /** Over a migrated database: `ReliabilityDatabase.create()` runs the migrations. */
  constructor(
    private readonly db: Knex,
    /** The clock that stamps written rows (`written_at`) and that the tick's index reads them by; a benchmark simulates minutes with it. */
    readonly clock: () => number = Date.now,
  ) {}

  /**
   * Adds counts transactionally: all or nothing, with a bounded cost per event.
   *
   * - An event at or after its SLO's latest bucket appends (a new bucket whose cumulative value continues the
   *   latest) or adds to the latest bucket: one row.
   * - A late event (before the latest bucket) goes to `reliability_late_counts`, one row per SLO and bucket end,
   *   instead of moving every later cumulative value: readers add the late rows at or before t to the stored
   *   value at t, and the scheduled compaction absorbs the late rows older than the minute retention.
   *
   * A batch costs one query for the SLOs' latest buckets and bulk upserts (per 500 SLOs / per chunk of rows),
   * whatever its events' times. Concurrent batches for one SLO are serialized (PostgreSQL advisory locks;
   * SQLite has one writer), so read-modify-write of the latest bucket never loses counts.
   */
  async addCounts(deltas: CountDelta[], hourlyBefore: number): Promise<void> {
    checkCountDeltas(deltas);
    if (!deltas.length) return;
    await this.db.transaction(tx => this.addCountsIn(tx, deltas, hourlyBefore));
  }

  /**
   * addCounts inside a transaction (the time slices' counting, SliceTallyStore.closeSlices, adds its deltas in its
   * own). Deltas may be corrections (a time slice whose verdict changed: good -1 or +1,
   * total 0): a slice's earlier contribution is always in the counts, so cumulative values stay good <= total.
   */
  async addCountsIn(
    tx: Knex.Transaction,
    deltas: CountDelta[],
    hourlyBefore: number,
  ): Promise<void> {
    // merge deltas per (slo, minute) and order them in time, per SLO
    const merged = new Map<string, Map<number, CountDelta>>();
    for (const d of deltas) {
      const minuteEnd = Math.floor(d.timestamp / MIN) * MIN + MIN;
      const perSlo = merged.get(d.sloRef) ?? new Map<number, CountDelta>();
      merged.set(d.sloRef, perSlo);
      const m = perSlo.get(minuteEnd);
      if (m) {
        m.good += d.good;
        m.total += d.total;
        m.timestamp = Math.min(m.timestamp, d.timestamp);
      } else perSlo.set(minuteEnd, { ...d });
    }
    const refs = [...merged.keys()].sort();
    if (!refs.length) return;
    const pg = isPg(this.db);
    {
      if (pg) {
        // one statement, the SLOs' lock stripes taken in order: two batches never deadlock, and never interleave on
        // one SLO
        await tx.raw(
          `SELECT pg_advisory_xact_lock(?, s) FROM (SELECT DISTINCT hashtext(r) & ${
            COUNT_LOCK_STRIPES - 1
          } AS s FROM unnest(?::text[]) AS r ORDER BY 1) AS stripes`,
          [COUNT_LOCK_SPACE, refs],
        );
      }
      const latest = new Map<
        string,
        {
          end: number;
          ms: number;
          good: number;
          total: number;
          cumGood: number;
          cumTotal: number;
        }
      >();
      for (const part of chunk(refs, 500)) {
        // each SLO's latest bucket: one backward index probe per SLO
        const rows = pg
          ? (
              await tx.raw(
                `SELECT r.ref AS slo_ref, b.bucket_end, b.bucket_ms, b.good, b.total, b.cum_good, b.cum_total
                 FROM unnest(?::text[]) AS r(ref)
                 CROSS JOIN LATERAL (SELECT * FROM reliability_buckets x WHERE x.slo_ref = r.ref ORDER BY x.bucket_end DESC LIMIT 1) AS b`,
                [part],
              )
            ).rows
          : await tx.raw(
              `SELECT b.slo_ref, b.bucket_end, b.bucket_ms, b.good, b.total, b.cum_good, b.cum_total
               FROM (SELECT j.value AS ref, (SELECT MAX(x.bucket_end) FROM reliability_buckets x WHERE x.slo_ref = j.value) AS e FROM json_each(?) AS j) AS m
               JOIN reliability_buckets b ON b.slo_ref = m.ref AND b.bucket_end = m.e`,
              [JSON.stringify(part)],
            );
        for (const r of rows) {
          latest.set(r.slo_ref, {
            end: Number(r.bucket_end),
            ms: Number(r.bucket_ms),
            good: num(r.good),
            total: num(r.total),
            cumGood: num(r.cum_good),
            cumTotal: num(r.cum_total),
          });
        }
      }
      const buckets = new Map<string, BucketRow>();
      const late = new Map<
        string,
        { slo_ref: string; at: number; good: number; total: number }
      >();
      for (const ref of refs) {
        let last = latest.get(ref);
        for (const d of [...merged.get(ref)!.values()].sort(
          (x, y) => x.timestamp - y.timestamp,
        )) {
          const ts = d.timestamp;
          if (!last || ts >= last.end) {
            // appends: hourly only for old data of an SLO with no minute bucket in that hour
            const hourStart = Math.floor(ts / HOUR) * HOUR;
            const bucketMs =
              ts < hourlyBefore && !(last && last.end > hourStart) ? HOUR : MIN;
            const end = Math.floor(ts / bucketMs) * bucketMs + bucketMs;
            last = {
              end,
              ms: bucketMs,
              good: d.good,
              total: d.total,
              cumGood: (last?.cumGood ?? 0) + d.good,
              cumTotal: (last?.cumTotal ?? 0) + d.total,
            };
          } else if (ts >= last.end - last.ms) {
            // inside the latest bucket
            last = {
              ...last,
              good: last.good + d.good,
              total: last.total + d.total,
              cumGood: last.cumGood + d.good,
              cumTotal: last.cumTotal + d.total,
            };
          } else {
            const bucketMs = ts < hourlyBefore ? HOUR : MIN;
            const at = Math.floor(ts / bucketMs) * bucketMs + bucketMs;
            const key = `${ref}\u0000${at}`;
            const l = late.get(key) ?? { slo_ref: ref, at, good: 0, total: 0 };
            l.good += d.good;
            l.total += d.total;
            late.set(key, l);
            continue;
          }
          buckets.set(`${ref}\u0000${last.end}`, {
            sloRef: ref,
            end: last.end,
            bucketMs: last.ms,
            good: last.good,
            total: last.total,
            cumGood: last.cumGood,
            cumTotal: last.cumTotal,
          });
        }
      }
      const size = pg ? 2000 : 110; // SQLite: 999 bound variables
      const writtenAt = this.clock();
      for (const part of chunk([...buckets.values()], size)) {
        await tx('reliability_buckets')
          .insert(
            part.map(r => ({
              slo_ref: r.sloRef,
              bucket_end: r.end,
              bucket_ms: r.bucketMs,
              good: r.good,
              total: r.total,
              cum_good: r.cumGood,
              cum_total: r.cumTotal,
              written_at: writtenAt,
            })),
          )
          .onConflict(['slo_ref', 'bucket_end'])
          .merge([
            'bucket_ms',
            'good',
            'total',
            'cum_good',
            'cum_total',
            'written_at',
          ]);
      }
      for (const part of chunk(
        [...late.values()].map(l => ({ ...l, written_at: writtenAt })),
        size,
      )) {
        await tx('reliability_late_counts')
          .insert(part)
          .onConflict(['slo_ref', 'at'])
          .merge({
            good: tx.raw('?? + excluded.good', [
              'reliability_late_counts.good',
            ]),
            total: tx.raw('?? + excluded.total', [
              'reliability_late_counts.total',
            ]),
            written_at: writtenAt,
          });
      }
    }
  }
  /** Bulk load of pre-computed buckets for an SLO without data (demo data, benchmarks). */
  async loadBuckets(rows: BucketRow[]): Promise<void> {
    const size = isPg(this.db) ? 5000 : 110; // SQLite: 999 bound variables
    const writtenAt = this.clock();
    await this.db.transaction(async tx => {
      for (let i = 0; i < rows.length; i += size) {
        await tx('reliability_buckets').insert(
          rows.slice(i, i + size).map(r => ({
            slo_ref: r.sloRef,
            bucket_end: r.end,
            bucket_ms: r.bucketMs,
            good: r.good,
            total: r.total,
            cum_good: r.cumGood,
            cum_total: r.cumTotal,
            written_at: writtenAt,
          })),
        );
      }
    });
  }

  async hasData(sloRef: string): Promise<boolean> {
    return !!(await this.db('reliability_buckets')
      .where('slo_ref', sloRef)
      .first('bucket_end'));
  }

  /**
   * The busiest stored bucket of these SLOs since `since`, as events per second (minute buckets where they are kept,
   * hourly averages before); null without data. The SLOs of one entity usually count the same requests, so this is
   * the busiest of them, not their sum.
   */
  async peakRate(sloRefs: string[], since: number): Promise<number | null> {
    if (sloRefs.length === 0) return null;
    const row = await this.db('reliability_buckets')
      .whereIn('slo_ref', sloRefs.slice(0, 500))
      .where('bucket_end', '>', since)
      .max({ m: this.db.raw('total * 1000.0 / bucket_ms') })
      .first();
    return row?.m === null || row?.m === undefined ? null : Number(row.m);
  }

  /** The latest bucket end of an SLO, or null. */
  async lastDataAt(sloRef: string): Promise<number | null> {
    const row = await this.db('reliability_buckets')
      .where('slo_ref', sloRef)
      .max({ m: 'bucket_end' })
      .first();
    return row?.m === null || row?.m === undefined ? null : Number(row.m);
  }

  /** SLOs whose minute buckets compaction folded (with its horizon), and SLOs whose late counts it absorbed. */
  private folds: { ref: string; horizon: number }[] = [];
  private absorbed = new Set<string>();

  /** What this process's compaction changed since the last call: rows it deleted are not visible as writes. */
  takeCompactions(): {
    folds: { ref: string; horizon: number }[];
    absorbed: Set<string>;
  } {
    const out = { folds: this.folds, absorbed: this.absorbed };
    this.folds = [];
    this.absorbed = new Set();
    return out;
  }
  /** Buckets of one SLO with end in [from, to], plus the one before (the reading at from). */
  async readCumulative(
    sloRef: string,
    from: number,
    to: number,
  ): Promise<CumulativePoint[]> {
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
    // late counts at or before each point, as a running sum over the SLO's (few) late rows
    const late = await this.db('reliability_late_counts')
      .where('slo_ref', sloRef)
      .where('at', '<=', to)
      .orderBy('at', 'asc')
      .select('at', 'good', 'total');
    let k = 0;
    let lateGood = 0;
    let lateTotal = 0;
    return all.map(r => {
      const end = Number(r.bucket_end);
      while (k < late.length && Number(late[k].at) <= end) {
        lateGood += num(late[k].good);
        lateTotal += num(late[k].total);
        k++;
      }
      return {
        end,
        cumGood: num(r.cum_good) + lateGood,
        cumTotal: num(r.cum_total) + lateTotal,
      };
    });
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
    const pg = isPg(this.db);
    for (const ref of refs) {
      folded += await this.db.transaction(async tx => {
        // the same per-SLO lock as ingest: folding reads cumulative values it then writes
        if (pg)
          await tx.raw(`SELECT pg_advisory_xact_lock(?, ${STRIPE_OF})`, [
            COUNT_LOCK_SPACE,
            ref,
          ]);
        const rows = await tx('reliability_buckets')
          .where({ slo_ref: ref, bucket_ms: MIN })
          .where('bucket_end', '<=', horizon)
          .orderBy('bucket_end', 'asc')
          .select('bucket_end', 'good', 'total', 'cum_good', 'cum_total');
        const hours = new Map<
          number,
          { good: number; total: number; cumGood: number; cumTotal: number }
        >();
        for (const r of rows) {
          const hourEnd = Math.ceil(Number(r.bucket_end) / HOUR) * HOUR;
          const h = hours.get(hourEnd) ?? {
            good: 0,
            total: 0,
            cumGood: 0,
            cumTotal: 0,
          };
          h.good += num(r.good);
          h.total += num(r.total);
          h.cumGood = num(r.cum_good);
          h.cumTotal = num(r.cum_total);
          hours.set(hourEnd, h);
        }
        await tx('reliability_buckets')
          .where({ slo_ref: ref, bucket_ms: MIN })
          .where('bucket_end', '<=', horizon)
          .delete();
        const writtenAt = this.clock();
        for (const [hourEnd, h] of hours) {
          const existing = await tx('reliability_buckets')
            .where({ slo_ref: ref, bucket_end: hourEnd })
            .first('good');
          if (existing) {
            // an hourly bucket of this hour exists already (late data went there): it cannot, since late data
            // for an hour with minute buckets goes to minute buckets; merge defensively anyway.
            await tx('reliability_buckets')
              .where({ slo_ref: ref, bucket_end: hourEnd })
              .update({
                good: tx.raw('good + ?', [h.good]),
                total: tx.raw('total + ?', [h.total]),
                cum_good: h.cumGood,
                cum_total: h.cumTotal,
                written_at: writtenAt,
              });
          } else {
            await tx('reliability_buckets').insert({
              slo_ref: ref,
              bucket_end: hourEnd,
              bucket_ms: HOUR,
              good: h.good,
              total: h.total,
              cum_good: h.cumGood,
              cum_total: h.cumTotal,
              written_at: writtenAt,
            });
          }
        }
        if (rows.length) this.folds.push({ ref, horizon });
        return rows.length;
      });
    }
    return folded + (await this.absorbLate(horizon, maxSlos));
  }

  /**
   * Moves late counts at or before `horizon` (an hour boundary past the minute retention) into the buckets: per
   * SLO and hour, a bucket at the hour's end (inserted when the hour had none) gains the counts, and every
   * cumulative value from there on moves by them; the late rows go. One SLO per transaction, a bounded number of
   * SLOs per call, so the rewrite happens in the background task and never in an ingest request.
   * Answers the number of late rows absorbed.
   */
  private async absorbLate(horizon: number, maxSlos: number): Promise<number> {
    const pg = isPg(this.db);
    const refs = (
      await this.db('reliability_late_counts')
        .distinct('slo_ref')
        .where('at', '<=', horizon)
        .limit(maxSlos)
    ).map(r => r.slo_ref as string);
    let absorbed = 0;
    for (const ref of refs) {
      absorbed += await this.db.transaction(async tx => {
        if (pg)
          await tx.raw(`SELECT pg_advisory_xact_lock(?, ${STRIPE_OF})`, [
            COUNT_LOCK_SPACE,
            ref,
          ]);
        const rows = await tx('reliability_late_counts')
          .where('slo_ref', ref)
          .where('at', '<=', horizon)
          .orderBy('at', 'asc')
          .select('at', 'good', 'total');
        const hours = new Map<number, { good: number; total: number }>();
        for (const r of rows) {
          const hourEnd = Math.ceil(Number(r.at) / HOUR) * HOUR;
          const h = hours.get(hourEnd) ?? { good: 0, total: 0 };
          h.good += num(r.good);
          h.total += num(r.total);
          hours.set(hourEnd, h);
        }
        const writtenAt = this.clock();
        // first the missing hour buckets, at the stored cumulative value before them (no late count yet)
        for (const hourEnd of hours.keys()) {
          if (
            await tx('reliability_buckets')
              .where({ slo_ref: ref, bucket_end: hourEnd })
              .first('bucket_end')
          )
            continue;
          const prev = await tx('reliability_buckets')
            .where('slo_ref', ref)
            .where('bucket_end', '<', hourEnd)
            .orderBy('bucket_end', 'desc')
            .first('cum_good', 'cum_total');
          await tx('reliability_buckets').insert({
            slo_ref: ref,
            bucket_end: hourEnd,
            bucket_ms: HOUR,
            good: 0,
            total: 0,
            cum_good: num(prev?.cum_good),
            cum_total: num(prev?.cum_total),
            written_at: writtenAt,
          });
        }
        // then each hour's counts: into its bucket, and into every cumulative value from its end on
        for (const [hourEnd, h] of hours) {
          await tx('reliability_buckets')
            .where({ slo_ref: ref, bucket_end: hourEnd })
            .update({
              good: tx.raw('good + ?', [h.good]),
              total: tx.raw('total + ?', [h.total]),
            });
          await tx('reliability_buckets')
            .where('slo_ref', ref)
            .where('bucket_end', '>=', hourEnd)
            .update({
              cum_good: tx.raw('cum_good + ?', [h.good]),
              cum_total: tx.raw('cum_total + ?', [h.total]),
              written_at: writtenAt,
            });
        }
        await tx('reliability_late_counts')
          .where('slo_ref', ref)
          .where('at', '<=', horizon)
          .delete();
        if (rows.length) this.absorbed.add(ref);
        return rows.length;
      });
    }
    return absorbed;
  }

  /** Forgets the rows of SLOs the registry removes, inside its transaction. */
  async forgetIn(tx: Knex.Transaction, refs: string[]): Promise<void> {
    await tx('reliability_late_counts').whereIn('slo_ref', refs).delete();
  }
}
