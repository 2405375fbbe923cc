import { Knex } from 'knex';
import type { Counts } from '@reliability-suite/plugin-reliability-common';
import { chunk, isPg, num, WriteCount } from './rows';
import type { WriteFence } from '../../database/writeFence';
import { checkCountDeltas, CountDelta, SliCountsStore } from './SliCountsStore';

type TallyRow = {
  slo_ref: string;
  slice_end: number;
  n: number;
  good: number;
  dirty: boolean;
};

/** Checks tallies (the store's own invariants) and merges them per slice. */
function mergeTallies(
  rows: { sloRef: string; sliceEnd: number; n: number; good: number }[],
): TallyRow[] {
  for (const r of rows) {
    if (
      ![r.sliceEnd, r.n, r.good].every(Number.isFinite) ||
      r.n < 0 ||
      r.good < 0 ||
      r.good > r.n
    ) {
      throw new Error(
        `Invalid slice tally for ${r.sloRef} at ${r.sliceEnd}: good=${r.good} n=${r.n}`,
      );
    }
  }
  const merged = new Map<string, TallyRow>();
  for (const r of rows) {
    const key = `${r.sloRef}\u0000${r.sliceEnd}`;
    const m = merged.get(key) ?? {
      slo_ref: r.sloRef,
      slice_end: r.sliceEnd,
      n: 0,
      good: 0,
      dirty: true,
    };
    m.n += r.n;
    m.good += r.good;
    merged.set(key, m);
  }
  return [...merged.values()];
}

/** Adds to time slices' tallies (the ingest, synthetic journeys' runs). */
export interface SliceTallyWriter {
  addSliceTallies(
    rows: { sloRef: string; sliceEnd: number; n: number; good: number }[],
  ): Promise<void>;
}

/**
 * The tallies of time-sliced SLOs' slices, `reliability_slice_tallies` (knex: SQLite and PostgreSQL): what the ingest
 * saw per slice, and what each slice added to its SLO's counts once it ended (through SliCountsStore, in the same
 * transaction).
 */
export class SliceTallyStore implements SliceTallyWriter {
  constructor(
    private readonly db: Knex,
    private readonly counts: SliCountsStore,
    private readonly writes: WriteCount,
  ) {}

  /**
   * Adds to time slices' tallies (data points or events seen, and how many were good), one upsert per chunk. The
   * slices are counted by `closeSlices` once they end, and counted again (by the difference) when a late value
   * changes them.
   */
  async addSliceTallies(
    rows: { sloRef: string; sliceEnd: number; n: number; good: number }[],
  ): Promise<void> {
    const merged = mergeTallies(rows);
    if (!merged.length) return;
    this.writes.bump();
    await this.db.transaction(tx => this.talliesIn(tx, merged));
  }

  /**
   * One ingest batch in one transaction: its time slices' tallies, the other SLOs' counts, and `fence` (the request's
   * idempotency key and answer) last, given `result`. A failure anywhere, the fence's included, writes nothing.
   */
  async addBatch(
    b: {
      tallies: { sloRef: string; sliceEnd: number; n: number; good: number }[];
      deltas: CountDelta[];
      hourlyBefore: number;
      result: unknown;
    },
    fence?: WriteFence,
  ): Promise<void> {
    const merged = mergeTallies(b.tallies);
    checkCountDeltas(b.deltas);
    if (!merged.length && !b.deltas.length && !fence) return;
    if (merged.length) this.writes.bump();
    await this.db.transaction(async tx => {
      if (merged.length) await this.talliesIn(tx, merged);
      if (b.deltas.length)
        await this.counts.addCountsIn(tx, b.deltas, b.hourlyBefore);
      if (fence) await fence(tx, b.result);
    });
  }

  private async talliesIn(tx: Knex.Transaction, merged: TallyRow[]) {
    const size = isPg(this.db) ? 2000 : 150;
    for (const part of chunk(merged, size)) {
      await tx('reliability_slice_tallies')
        .insert(part)
        .onConflict(['slo_ref', 'slice_end'])
        .merge({
          n: tx.raw('?? + excluded.n', ['reliability_slice_tallies.n']),
          good: tx.raw('?? + excluded.good', [
            'reliability_slice_tallies.good',
          ]),
          dirty: true,
        });
    }
  }

  /**
   * Counts the time slices that ended by `at` and changed since they were last counted: each adds its contribution
   * (`contribution`: Timeslices 1 or 0 good of 1, RatioTimeslices its ratio of 1) to its SLO's counts, minus what it
   * added before. One transaction; at most `limit` slices per call (the oldest first). Slices of SLOs that
   * `contribution` does not know (removed, or no longer time-sliced) are marked counted without counting.
   * Returns the number of slices counted.
   */
  async closeSlices(
    at: number,
    contribution: (
      sloRef: string,
      tally: { n: number; good: number },
    ) => { counts: Counts | null; sliceMs: number } | undefined,
    hourlyBefore: number,
    limit = 50_000,
  ): Promise<number> {
    const pg = isPg(this.db);
    return this.db.transaction(async tx => {
      const q = tx('reliability_slice_tallies')
        .where('dirty', true)
        .where('slice_end', '<=', at)
        .orderBy('slice_end')
        .limit(limit)
        .select(
          'slo_ref',
          'slice_end',
          'n',
          'good',
          'counted_good',
          'counted_total',
        );
      // an ingest racing with this tick waits for it, then marks its slice dirty again
      const rows = pg ? await q.forUpdate() : await q;
      if (!rows.length) return 0;
      const deltas: CountDelta[] = [];
      const counted: {
        slo_ref: string;
        slice_end: number;
        n: number;
        good: number;
        counted_good: number;
        counted_total: number;
        dirty: boolean;
      }[] = [];
      for (const r of rows) {
        const tally = { n: num(r.n), good: num(r.good) };
        const c = contribution(r.slo_ref, tally);
        const before = {
          good: num(r.counted_good),
          total: num(r.counted_total),
        };
        const now = c ? c.counts ?? { good: 0, total: 0 } : before;
        if (c && (now.good !== before.good || now.total !== before.total)) {
          deltas.push({
            sloRef: r.slo_ref,
            timestamp: Number(r.slice_end) - c.sliceMs,
            good: now.good - before.good,
            total: now.total - before.total,
          });
        }
        counted.push({
          slo_ref: r.slo_ref,
          slice_end: Number(r.slice_end),
          n: tally.n,
          good: tally.good,
          counted_good: now.good,
          counted_total: now.total,
          dirty: false,
        });
      }
      if (deltas.length) {
        this.writes.bump();
        await this.counts.addCountsIn(tx, deltas, hourlyBefore);
      }
      for (const part of chunk(counted, pg ? 2000 : 120)) {
        await tx('reliability_slice_tallies')
          .insert(part)
          .onConflict(['slo_ref', 'slice_end'])
          .merge(['counted_good', 'counted_total', 'dirty']);
      }
      return rows.length;
    });
  }

  /**
   * Forgets counted slice tallies that ended before `before` (older than the ingest's lateness: no value can
   * change them any more). Returns how many.
   */
  async pruneSlices(before: number): Promise<number> {
    return this.db('reliability_slice_tallies')
      .where('slice_end', '<', before)
      .where('dirty', false)
      .delete();
  }

  /** Forgets the rows of SLOs the registry removes, inside its transaction. */
  async forgetIn(tx: Knex.Transaction, refs: string[]): Promise<void> {
    await tx('reliability_slice_tallies').whereIn('slo_ref', refs).delete();
  }
}
