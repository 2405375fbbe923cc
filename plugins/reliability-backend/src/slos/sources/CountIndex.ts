import {
  Counts,
  countsBetween,
} from '@reliability-suite/plugin-reliability-common';
import type { RowColumns, ShardFilter, SloStores } from '../stores';
import { YIELD_EVERY, YIELD_EVERY_ROWS, yieldToEventLoop } from '../counting';

const HOUR = 3_600_000;
/** Rows written this long before the last read are read again: a writer's transaction may commit late, or its clock lag. */
export const WRITE_MARGIN_MS = 30_000;
/** More rows written than this since the last read (a backfill): the index is read afresh instead. */
const MAX_CHANGED_ROWS = 500_000;
/** A boundary sliding further than this in one tick (a long pause) is read afresh instead. */
const MAX_SLIDE_MS = 15 * 60_000;

/** One SLO's readings: at each boundary time, the last bucket at or before it and the late counts at or before it. */
interface Entry {
  ref: string;
  times: number[];
  /** End of the bucket each reading comes from; -Infinity when there is none. */
  lastEnd: Float64Array;
  cumGood: Float64Array;
  cumTotal: Float64Array;
  lateGood: Float64Array;
  lateTotal: Float64Array;
  firstEnd: number | null;
  firstLate: number | null;
  /** While a sync moves the entry: its new boundary times. */
  next?: number[];
}

/** What a sync did, for logs, tests and the benchmark. */
export interface IndexSyncStats {
  full: boolean;
  rebuilt: number;
  moved: number;
  changedRows: number;
  crossedRows: number;
  /** Time spent reading written and crossed rows, and rebuilding, in ms. */
  readMs: number;
  rebuildMs: number;
}

/**
 * The evaluation tick's in-memory index of cumulative counts: per SLO, the cumulative counts at each of its window
 * boundaries. Each tick moves it forward by reading only what changed: the rows written since its last read (by
 * any replica: `written_at`), and the buckets and late counts its boundaries slid past. An SLO is read afresh when
 * something it cannot follow happened to it: a late count (late counts are sums, so a re-read row cannot be told
 * from a new one), this process's compaction folding or absorbing below one of its readings (deletions leave no
 * written row), a changed set of boundaries, or a long pause. Another process's tick (a takeover) rebuilds it all.
 *
 * Readings are exact: a bucket row carries the absolute cumulative counts, so reading a row twice changes nothing.
 */
export class CountIndex {
  private entries = new Map<string, Entry>();
  private lastRead: number | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Pick<SloStores, 'counts' | 'readings'>,
    private readonly maxChangedRows = MAX_CHANGED_ROWS,
  ) {}

  /**
   * Brings the readings of `wanted` (SLO ref -> its boundary times, sorted, unique) up to date; `rebuild` forgets
   * everything first. Entries of SLOs not wanted are dropped. Ticks run one at a time. `only`: the shards the wanted
   * SLOs are in (a replica's sharded tick), so that only their rows are read; an SLO wanted now and at the last sync
   * is in both syncs' shards, so no row of it is skipped.
   */
  sync(
    wanted: Map<string, number[]>,
    rebuild: boolean,
    only?: ShardFilter,
  ): Promise<IndexSyncStats> {
    const run = this.running.then(() => this.syncNow(wanted, rebuild, only));
    this.running = run.catch(() => undefined);
    return run;
  }

  /**
   * An SLO's counts over intervals given as places among its synced boundary times: interval k runs from
   * times[at[2k]] to times[at[2k + 1]]. Zero without an entry.
   */
  counts(ref: string, at: Int32Array): Counts[] {
    const e = this.entries.get(ref);
    const out: Counts[] = [];
    for (let k = 0; k < at.length; k += 2) {
      if (!e) {
        out.push({ good: 0, total: 0 });
        continue;
      }
      const a = at[k];
      const b = at[k + 1];
      out.push(
        countsBetween(
          {
            good: e.cumGood[a] + e.lateGood[a],
            total: e.cumTotal[a] + e.lateTotal[a],
          },
          {
            good: e.cumGood[b] + e.lateGood[b],
            total: e.cumTotal[b] + e.lateTotal[b],
          },
        ),
      );
    }
    return out;
  }

  /** Start of an SLO's first data (the first bucket's or late count's minute), null when it has none. */
  firstDataAt(ref: string): number | null {
    const e = this.entries.get(ref);
    const a = e?.firstEnd ?? null;
    const b = e?.firstLate ?? null;
    if (a === null) return b === null ? null : b - 60_000;
    return (b === null ? a : Math.min(a, b)) - 60_000;
  }

  private async syncNow(
    wanted: Map<string, number[]>,
    rebuild: boolean,
    only: ShardFilter | undefined,
  ): Promise<IndexSyncStats> {
    try {
      return await this.apply(wanted, rebuild, only);
    } catch (e) {
      // half-applied readings are worth nothing: start again from the tables next time
      this.entries.clear();
      this.lastRead = undefined;
      throw e;
    }
  }

  private async apply(
    wanted: Map<string, number[]>,
    rebuild: boolean,
    only: ShardFilter | undefined,
  ): Promise<IndexSyncStats> {
    const compactions = this.store.counts.takeCompactions();
    let full = rebuild || this.lastRead === undefined;
    for (const ref of [...this.entries.keys()])
      if (!wanted.has(ref)) this.entries.delete(ref);
    // taken before reading: a row written while we read is read again next time
    const readStart = this.store.counts.clock();
    const stale = new Set<string>();
    if (full) this.entries.clear();
    const folded = (end: number | null, horizon: number) =>
      end !== null &&
      Number.isFinite(end) &&
      end <= horizon &&
      end % HOUR !== 0;
    for (const f of compactions.folds) {
      const e = this.entries.get(f.ref);
      if (
        e &&
        (folded(e.firstEnd, f.horizon) ||
          e.lastEnd.some(end => folded(end, f.horizon)))
      )
        stale.add(f.ref);
    }
    for (const ref of compactions.absorbed) stale.add(ref);

    // which SLOs slide, and the ranges their boundaries slide over: worked out once per pair of boundary lists
    // (SLOs with the same window share them)
    let toRebuild: string[] = [];
    let sliding: Entry[] = [];
    const ranges = new Map<number, number>(); // from -> the furthest to: (a, b] holds (a, c] for c <= b
    const slides = new Map<number[], Map<number[], boolean>>();
    const slidesFrom = (before: number[], now: number[]) => {
      let byNow = slides.get(before);
      if (!byNow) slides.set(before, (byNow = new Map()));
      let ok = byNow.get(now);
      if (ok === undefined) {
        ok =
          before.length === now.length &&
          now.every((t, i) => t >= before[i] && t - before[i] <= MAX_SLIDE_MS);
        if (ok)
          now.forEach((t, i) => {
            if (t > before[i] && (ranges.get(before[i]) ?? -Infinity) < t)
              ranges.set(before[i], t);
          });
        byNow.set(now, ok);
      }
      return ok;
    };
    for (const [ref, times] of wanted) {
      const e = this.entries.get(ref);
      if (e && !stale.has(ref) && slidesFrom(e.times, times)) {
        e.next = times;
        sliding.push(e);
      } else toRebuild.push(ref);
    }

    // the rows written since the last read, and the rows the boundaries slid past: two reads at once (on PostgreSQL,
    // on two connections). More than maxChangedRows written (a backfill), and it is all read afresh
    let changed: RowColumns | undefined;
    let changedRows = 0;
    let readMs = 0;
    const readAt = Date.now();
    const [changes, crossed] = await Promise.all([
      full
        ? undefined
        : this.store.readings.writtenSince(
            this.lastRead! - WRITE_MARGIN_MS,
            this.maxChangedRows,
            only,
          ),
      ranges.size
        ? this.store.readings.crossed(mergeRanges([...ranges]), only)
        : undefined,
    ]);
    readMs += Date.now() - readAt;
    if (changes) {
      changedRows = changes.buckets.refs.length + changes.late.refs.length;
      changed = changes.buckets;
      // an SLO with a late count written since is read afresh (late counts are sums: a row read again cannot be told
      // from a new one)
      const late = new Set(changes.late.refs);
      if (late.size) {
        for (const e of sliding) if (late.has(e.ref)) e.next = undefined;
        toRebuild = toRebuild.concat(
          sliding.filter(e => !e.next).map(e => e.ref),
        );
        sliding = sliding.filter(e => e.next);
      }
    } else if (!full) {
      full = true;
      for (const e of sliding) e.next = undefined;
      this.entries.clear();
      toRebuild = [...wanted.keys()];
      sliding = [];
    }

    // each row read moves the readings of its SLO straight away: no list of rows per SLO is built. The reading at a
    // boundary's new time `to` is the last bucket at or before it: one held (perhaps rewritten: a tie takes the row),
    // a row written since (perhaps in the past), or one the boundary slid past. A row in both reads, rewritten while
    // they ran, may keep the earlier of its two values for this tick: it was written after this read's start less
    // WRITE_MARGIN_MS, so the next tick reads it again. Written rows may be any bucket at or before the new time;
    // crossed rows count only past the old one
    const applyBuckets = (
      rows: RowColumns,
      slidPast: boolean,
      from: number,
      until: number,
    ) => {
      const [ends, goods, totals] = rows.nums;
      const { refs } = rows;
      for (let r = from; r < until; r++) {
        const e = this.entries.get(refs[r]);
        const to = e?.next;
        if (!to) continue;
        const end = ends[r];
        for (let i = 0; i < to.length; i++) {
          if (
            end >= e.lastEnd[i] &&
            end <= to[i] &&
            (!slidPast || end > e.times[i])
          ) {
            e.lastEnd[i] = end;
            e.cumGood[i] = goods[r];
            e.cumTotal[i] = totals[r];
          }
        }
        if (!slidPast && (e.firstEnd === null || end < e.firstEnd))
          e.firstEnd = end;
      }
    };
    const applyLate = (late: RowColumns, from: number, until: number) => {
      const [ats, lateGoods, lateTotals] = late.nums;
      for (let r = from; r < until; r++) {
        const e = this.entries.get(late.refs[r]);
        const to = e?.next;
        if (!to) continue;
        const at = ats[r];
        for (let i = 0; i < to.length; i++) {
          if (at > e.times[i] && at <= to[i]) {
            e.lateGood[i] += lateGoods[r];
            e.lateTotal[i] += lateTotals[r];
          }
        }
      }
    };
    // hundreds of thousands of rows at 100,000 SLOs: applied in batches, other requests served in between
    const inBatches = async (
      n: number,
      size: number,
      apply: (from: number, until: number) => void,
    ) => {
      for (let k = 0; k < n; k += size) {
        if (k > 0) await yieldToEventLoop();
        apply(k, Math.min(n, k + size));
      }
    };
    if (changed)
      await inBatches(changed.refs.length, YIELD_EVERY_ROWS, (a, b) =>
        applyBuckets(changed!, false, a, b),
      );
    if (crossed) {
      await inBatches(crossed.buckets.refs.length, YIELD_EVERY_ROWS, (a, b) =>
        applyBuckets(crossed.buckets, true, a, b),
      );
      await inBatches(crossed.late.refs.length, YIELD_EVERY_ROWS, (a, b) =>
        applyLate(crossed.late, a, b),
      );
    }
    for (const e of sliding) {
      e.times = e.next!;
      e.next = undefined;
    }

    const rebuildAt = Date.now();
    if (toRebuild.length) {
      const [{ at }, firsts] = await Promise.all([
        this.store.readings.readings(
          toRebuild.flatMap(ref =>
            wanted.get(ref)!.map(t => ({ sloRef: ref, t })),
          ),
        ),
        this.store.readings.firsts(toRebuild),
      ]);
      const buildOne = (ref: string) => {
        const times = wanted.get(ref)!;
        const n = times.length;
        const e: Entry = {
          ref,
          times,
          lastEnd: new Float64Array(n).fill(-Infinity),
          cumGood: new Float64Array(n),
          cumTotal: new Float64Array(n),
          lateGood: new Float64Array(n),
          lateTotal: new Float64Array(n),
          firstEnd: firsts.get(ref)?.end ?? null,
          firstLate: firsts.get(ref)?.late ?? null,
          // every entry has the same shape, so the row loops' property reads stay monomorphic
          next: undefined,
        };
        times.forEach((t, i) => {
          const r = at.get(ref)?.get(t);
          if (!r) return;
          e.lastEnd[i] = r.end ?? -Infinity;
          e.cumGood[i] = r.cumGood;
          e.cumTotal[i] = r.cumTotal;
          e.lateGood[i] = r.lateGood;
          e.lateTotal[i] = r.lateTotal;
        });
        this.entries.set(ref, e);
      };
      await inBatches(toRebuild.length, YIELD_EVERY, (a, b) => {
        for (let k = a; k < b; k++) buildOne(toRebuild[k]);
      });
    }
    this.lastRead = readStart;
    return {
      full,
      rebuilt: toRebuild.length,
      moved: sliding.length,
      changedRows,
      crossedRows: crossed
        ? crossed.buckets.refs.length + crossed.late.refs.length
        : 0,
      readMs,
      rebuildMs: Date.now() - rebuildAt,
    };
  }
}

/** Sorted, overlapping or touching (a, b] ranges merged. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
