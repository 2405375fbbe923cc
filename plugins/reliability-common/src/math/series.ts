import {
  burnRate,
  budgetRemaining,
  Counts,
  countsBetween,
  sliRatio,
} from './budget';
import { lttb } from './lttb';
import { windowBudgetRemaining } from './timeslices';
import { subtractRanges } from './ranges';

/** A cumulative reading: all good/total events up to (excluding) `end`. @public */
export interface CumulativePoint {
  /** Exclusive end of the bucket, epoch ms. */
  end: number;
  cumGood: number;
  cumTotal: number;
}

/**
 * Cumulative counts at time t from readings sorted by `end`: the last reading with `end <= t`
 * (zero before the first). O(log n).
 * @public
 */
export function cumulativeAt(
  points: readonly CumulativePoint[],
  t: number,
): Counts {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].end <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0
    ? { good: 0, total: 0 }
    : { good: points[found].cumGood, total: points[found].cumTotal };
}

/** Counts in [start, end) from cumulative readings. @public */
export function countsIn(
  points: readonly CumulativePoint[],
  start: number,
  end: number,
): Counts {
  return countsBetween(cumulativeAt(points, start), cumulativeAt(points, end));
}

/** Counts in [start, end) from cumulative readings, without the excluded ranges (merged, sorted). @public */
export function countsExcluding(
  points: readonly CumulativePoint[],
  start: number,
  end: number,
  excluded: readonly { start: number; end: number }[],
): Counts {
  let good = 0;
  let total = 0;
  for (const piece of subtractRanges({ start, end }, excluded)) {
    const c = countsIn(points, piece.start, piece.end);
    good += c.good;
    total += c.total;
  }
  return { good, total };
}

/** @public */
export interface HistorySeriesInput {
  points: readonly CumulativePoint[];
  from: number;
  to: number;
  target: number;
  /** Start of the compliance window that ends at t (t - W for rolling windows, the period start for calendar). */
  windowStartAt: (t: number) => number;
  lookbackMs: number;
  maxPoints: number;
  /** A time-slice SLO's slices and its window's length: its budget is counted over the window's slices. */
  slices?: { sliceMs: number; windowMs: number };
  /** Budget corrections: ranges (merged, sorted) whose counts are left out. */
  excluded?: readonly { start: number; end: number }[];
}

/** @public */
export interface HistorySeriesPoint {
  t: number;
  v: number | null;
  budgetRemaining: number | null;
  burnRate: number | null;
  sli: number | null;
}

const finite = (n: number | null) =>
  n === null || !Number.isFinite(n) ? null : n;

/**
 * Budget-remaining and burn-rate series sampled at every stored bucket boundary in [from, to], then
 * downsampled with LTTB on the burn rate (so incidents stay visible) to at most maxPoints.
 * @public
 */
export function historySeries(input: HistorySeriesInput): {
  points: HistorySeriesPoint[];
  sampled: number;
} {
  const { points, from, to, target, lookbackMs } = input;
  const raw: HistorySeriesPoint[] = [];
  for (const p of points) {
    if (p.end < from || p.end > to) continue;
    const t = p.end;
    const win = input.excluded
      ? countsExcluding(points, input.windowStartAt(t), t, input.excluded)
      : countsIn(points, input.windowStartAt(t), t);
    const look = input.excluded
      ? countsExcluding(points, t - lookbackMs, t, input.excluded)
      : countsIn(points, t - lookbackMs, t);
    const br = finite(burnRate(look, target));
    raw.push({
      t,
      v: br,
      budgetRemaining: finite(
        input.slices
          ? windowBudgetRemaining(
              win,
              target,
              input.slices.windowMs,
              input.slices,
            )
          : budgetRemaining(win, target),
      ),
      burnRate: br,
      sli: sliRatio(look),
    });
  }
  return { points: lttb(raw, input.maxPoints), sampled: raw.length };
}
