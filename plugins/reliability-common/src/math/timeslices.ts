import { budgetRemaining, Counts } from './budget';

/**
 * The arithmetic of OpenSLO's time-slice budgeting methods. No I/O.
 *
 * The window is cut into slices of `timeSliceWindow` (1 minute, say). Each slice keeps a tally: how many data points
 * (a thresholdMetric: one p95 value per scrape) or events (a ratioMetric: requests) it saw, and how many of them were
 * good (a value that meets the objective's `op` and `value`: p95 `lte` 300 ms; a good event).
 *
 * - `Timeslices`: a slice is good when the good share of its tally meets `timeSliceTarget` (1.0: every point of the
 *   minute under 300 ms; 0.99: 99% of that minute's requests succeeded), bad otherwise. It counts as one slice, good
 *   or bad.
 * - `RatioTimeslices`: a slice counts as its good share (a minute at 97% counts 0.97 good, 0.03 bad): the SLI is the
 *   average of the slices' ratios, so a burst of traffic weighs no more than a quiet minute.
 *
 * Either way a slice's contribution is a pair of counts (good in [0, 1], total 1), so the counting, the burn rates and
 * the charts are those of Occurrences, in slices. Only the budget differs: it is counted over the whole window's
 * slices, not over the traffic seen, so the allowed bad slices are (1 - target) x the window's slices and the budget
 * left is 1 - bad / allowed. A slice without data is neither good nor bad: a quiet night spends nothing.
 */

/** OpenSLO's comparison operators for threshold objectives. @public */
export type ThresholdOp = 'lt' | 'lte' | 'gt' | 'gte';

/** Whether a value meets `op` against the objective's value. @public */
export function meetsThreshold(
  value: number,
  op: ThresholdOp,
  threshold: number,
): boolean {
  switch (op) {
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
    case 'gt':
      return value > threshold;
    default:
      return value >= threshold;
  }
}

/** A slice's tally: data points or events seen, and how many were good. @public */
export interface SliceTally {
  n: number;
  good: number;
}

/** The budgeting of a time-slice SLO. @public */
export interface SliceBudgeting {
  method: 'Timeslices' | 'RatioTimeslices';
  /** The slice length (`timeSliceWindow`). */
  sliceMs: number;
  /** Timeslices: the good share a slice needs to be good. */
  timeSliceTarget?: number;
}

/**
 * What one slice adds to its SLO's counts: Timeslices (1, 1) or (0, 1); RatioTimeslices (good share, 1); null for a
 * slice without data.
 * @public
 */
export function sliceContribution(
  tally: SliceTally,
  budgeting: Pick<SliceBudgeting, 'method' | 'timeSliceTarget'>,
): Counts | null {
  if (!(tally.n > 0) || !Number.isFinite(tally.good)) return null;
  const share = Math.min(1, Math.max(0, tally.good / tally.n));
  if (budgeting.method === 'RatioTimeslices') return { good: share, total: 1 };
  return { good: share >= (budgeting.timeSliceTarget ?? 1) ? 1 : 0, total: 1 };
}

/** The end of the slice holding instant t (slices are aligned on multiples of their length since the epoch). @public */
export function sliceEndOf(t: number, sliceMs: number): number {
  return Math.floor(t / sliceMs) * sliceMs + sliceMs;
}

/** How many slices of `sliceMs` a window of `windowMs` holds (whole slices). @public */
export function slicesIn(windowMs: number, sliceMs: number): number {
  if (!(sliceMs > 0) || !(windowMs > 0)) return 0;
  return Math.floor(windowMs / sliceMs);
}

/**
 * The slice budget of a window: allowed bad slices ((1 - target) x the window's slices), bad slices so far (the total
 * minus the good, in slices), and the share left (1 = untouched, 0 = spent, negative = overspent). Null remaining when
 * no slice has data yet.
 * @public
 */
export function sliceBudget(
  slices: Counts,
  target: number,
  windowSlices: number,
): { allowed: number; consumed: number; remaining: number | null } {
  const allowed = (1 - target) * windowSlices;
  const consumed = slices.total - slices.good;
  if (slices.total <= 0) return { allowed, consumed, remaining: null };
  if (allowed <= 0)
    return { allowed, consumed, remaining: consumed > 0 ? -Infinity : 1 };
  return { allowed, consumed, remaining: 1 - consumed / allowed };
}

/**
 * The budget left of a compliance window: Occurrences over the traffic seen, time slices over the window's slices.
 * @public
 */
export function windowBudgetRemaining(
  c: Counts,
  target: number,
  windowMs: number,
  slices?: Pick<SliceBudgeting, 'sliceMs'>,
): number | null {
  if (!slices) return budgetRemaining(c, target);
  return sliceBudget(c, target, slicesIn(windowMs, slices.sliceMs)).remaining;
}
