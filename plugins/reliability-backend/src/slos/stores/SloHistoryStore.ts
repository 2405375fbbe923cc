import { Knex } from 'knex';

/** One stored point of an SLO's series. */
export interface StoredHistoryPoint {
  t: number;
  budgetRemaining: number | null;
  /** Over the 1h lookback. */
  burnRate: number | null;
  /** Over the 1h lookback. */
  sli: number | null;
  /** Computed by a replay from the SLI source's past, not written by an evaluation. */
  replayed: boolean;
}

/** A Prometheus-backed SLO's replay: the definition replayed, the range, how far it got, and its retries. */
export interface ReplayState {
  sloRef: string;
  defHash: string;
  state: 'pending' | 'done';
  from: number;
  to: number;
  stepMs: number;
  /** The last instant written; null before the first part. */
  cursor: number | null;
  points: number;
  attempts: number;
  nextAt: number;
  error: string | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The stored SLO history (`reliability_slo_history`: points evaluations wrote and points a replay computed) and the
 * replays' progress (`reliability_slo_replays`), knex: SQLite and PostgreSQL. A replayed point never replaces an
 * evaluated one; an evaluated point replaces a replayed one at the same instant.
 */
export class SloHistoryStore {
  constructor(private readonly db: Knex) {}

  /** Every replay's state, by SLO ref. */
  async replays(): Promise<Map<string, ReplayState>> {
    const rows = await this.db('reliability_slo_replays').select();
    return new Map(
      rows.map(r => [
        r.slo_ref,
        {
          sloRef: r.slo_ref,
          defHash: r.def_hash,
          state: r.state,
          from: Number(r.from_t),
          to: Number(r.to_t),
          stepMs: Number(r.step_ms),
          cursor: num(r.cursor),
          points: Number(r.points),
          attempts: Number(r.attempts),
          nextAt: Number(r.next_at),
          error: r.error ?? null,
        },
      ]),
    );
  }

  /**
   * Starts (or restarts, the definition changed) an SLO's replay: the replayed points of any other definition are
   * removed in the same transaction; evaluated points stay.
   */
  async beginReplay(
    s: Pick<ReplayState, 'sloRef' | 'defHash' | 'from' | 'to' | 'stepMs'>,
    now: number,
  ): Promise<void> {
    await this.db.transaction(async tx => {
      await tx('reliability_slo_history')
        .where({ slo_ref: s.sloRef, replayed: true })
        .whereNot('def_hash', s.defHash)
        .delete();
      await tx('reliability_slo_replays')
        .insert({
          slo_ref: s.sloRef,
          def_hash: s.defHash,
          state: 'pending',
          from_t: s.from,
          to_t: s.to,
          step_ms: s.stepMs,
          cursor: null,
          points: 0,
          attempts: 0,
          next_at: 0,
          error: null,
          updated_at: now,
        })
        .onConflict('slo_ref')
        .merge();
    });
  }

  /**
   * Writes one part of a replay and moves its cursor, in one transaction. Instants that already hold a point (an
   * evaluation's, or this replay's from an earlier try) are left as they are.
   */
  async writeReplayed(
    sloRef: string,
    defHash: string,
    points: Omit<StoredHistoryPoint, 'replayed'>[],
    cursor: number,
    done: boolean,
    now: number,
  ): Promise<number> {
    return this.db.transaction(async tx => {
      let written = 0;
      const rows = points.map(p => ({
        slo_ref: sloRef,
        t: p.t,
        budget_remaining: p.budgetRemaining,
        burn_rate: p.burnRate,
        sli: p.sli,
        replayed: true,
        def_hash: defHash,
      }));
      for (let i = 0; i < rows.length; i += 100) {
        const part = rows.slice(i, i + 100);
        const res: any = await tx('reliability_slo_history')
          .insert(part)
          .onConflict(['slo_ref', 't'])
          .ignore()
          .returning('t');
        written += Array.isArray(res) ? res.length : 0;
      }
      await tx('reliability_slo_replays')
        .where({ slo_ref: sloRef, def_hash: defHash })
        .update({
          cursor,
          state: done ? 'done' : 'pending',
          points: tx.raw('points + ?', [written]),
          attempts: 0,
          next_at: 0,
          error: null,
          updated_at: now,
        });
      return written;
    });
  }

  /** Records a failed part: tried again from `nextAt`. */
  async replayFailed(
    sloRef: string,
    error: string,
    nextAt: number,
    now: number,
  ): Promise<void> {
    await this.db('reliability_slo_replays')
      .where({ slo_ref: sloRef })
      .update({
        attempts: this.db.raw('attempts + 1'),
        next_at: nextAt,
        error: error.slice(0, 2000),
        updated_at: now,
      });
  }

  /** Points real evaluations computed: each replaces whatever is stored at its instant (a replayed point). */
  async writeEvaluated(
    items: { sloRef: string; point: Omit<StoredHistoryPoint, 'replayed'> }[],
  ): Promise<void> {
    const rows = items.map(({ sloRef, point: p }) => ({
      slo_ref: sloRef,
      t: p.t,
      budget_remaining: p.budgetRemaining,
      burn_rate: p.burnRate,
      sli: p.sli,
      replayed: false,
      def_hash: null,
    }));
    for (let i = 0; i < rows.length; i += 100) {
      await this.db('reliability_slo_history')
        .insert(rows.slice(i, i + 100))
        .onConflict(['slo_ref', 't'])
        .merge();
    }
  }

  /** An SLO's stored points in [from, to], oldest first, at most `limit` (the newest ones when there are more). */
  async read(
    sloRef: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<StoredHistoryPoint[]> {
    const rows = await this.db('reliability_slo_history')
      .where('slo_ref', sloRef)
      .whereBetween('t', [from, to])
      .orderBy('t', 'desc')
      .limit(limit)
      .select('t', 'budget_remaining', 'burn_rate', 'sli', 'replayed');
    return rows.reverse().map(r => ({
      t: Number(r.t),
      budgetRemaining: num(r.budget_remaining),
      burnRate: num(r.burn_rate),
      sli: num(r.sli),
      replayed: !!r.replayed,
    }));
  }

  /** Forgets the rows of SLOs the registry removes, inside its transaction. */
  async forgetIn(tx: Knex.Transaction, refs: string[]): Promise<void> {
    await tx('reliability_slo_history').whereIn('slo_ref', refs).delete();
    await tx('reliability_slo_replays').whereIn('slo_ref', refs).delete();
  }
}
