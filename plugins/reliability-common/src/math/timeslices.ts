import { Counts } from './budget';

/**
 * The arithmetic of OpenSLO's time-slice budgeting methods, pinned here before the evaluator reads it. No I/O.
 *
 * - `Timeslices`: the window is cut into slices of `timeSliceWindow`; a slice is good when its SLI value meets the
 *   objective (`op` and `value`: p95 latency `lte` 300 ms), bad when it does not.
 * - `RatioTimeslices`: a slice is good when its good/total ratio meets `timeSliceTarget` (0.99: 99% of that
 *   minute's requests succeeded).
 *
 * Either way the objective's `target` is the share of good slices, so the budget is counted in slices: the allowed
 * bad slices are (1 - target) x the slices of the whole window, and the budget left is 1 - bad / allowed. A slice
 * without data is neither good nor bad (it is not counted), so a quiet night neither spends nor earns budget; burn
 * rates divide the bad slices of a lookback by the slices with data in it.
 */

/** OpenSLO's comparison operators for threshold objectives. @public */
export type ThresholdOp = 'lt' | 'lte' | 'gt' | 'gte';

/** Whether a value meets `op` against the objective's value. @public */
export function meetsThreshold(value: number, op: ThresholdOp, threshold: number): boolean {
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

/** A Timeslices slice: good when its value meets the objective; null (not counted) without a value. @public */
export function thresholdSliceGood(value: number | null, objective: { op: ThresholdOp; value: number }): boolean | null {
  if (value === null || !Number.isFinite(value)) return null;
  return meetsThreshold(value, objective.op, objective.value);
}

/** A RatioTimeslices slice: good when good/total meets timeSliceTarget; null (not counted) without events. @public */
export function ratioSliceGood(c: Counts, timeSliceTarget: number): boolean | null {
  if (c.total <= 0) return null;
  return c.good / c.total >= timeSliceTarget;
}

/** Good and bad slices counted over a window (slices without data are in neither). @public */
export interface SliceCounts {
  good: number;
  bad: number;
}

/** Counts a run of slice outcomes. @public */
export function countSlices(outcomes: readonly (boolean | null)[]): SliceCounts {
  let good = 0;
  let bad = 0;
  for (const o of outcomes) {
    if (o === true) good++;
    else if (o === false) bad++;
  }
  return { good, bad };
}

/** How many slices of `sliceMs` a window of `windowMs` holds (whole slices). @public */
export function slicesIn(windowMs: number, sliceMs: number): number {
  if (!(sliceMs > 0) || !(windowMs > 0)) return 0;
  return Math.floor(windowMs / sliceMs);
}

/**
 * The slice budget of a window: allowed bad slices ((1 - target) x the window's slices), bad slices so far, and
 * the share left (1 = untouched, 0 = spent, negative = overspent). Null remaining when no slice has data yet.
 * @public
 */
export function sliceBudget(slices: SliceCounts, target: number, windowSlices: number): { allowed: number; consumed: number; remaining: number | null } {
  const allowed = (1 - target) * windowSlices;
  const consumed = slices.bad;
  if (slices.good + slices.bad === 0) return { allowed, consumed, remaining: null };
  if (allowed <= 0) return { allowed, consumed, remaining: consumed > 0 ? -Infinity : 1 };
  return { allowed, consumed, remaining: 1 - consumed / allowed };
}

/**
 * The burn rate of a lookback in slices: (bad / slices with data) / (1 - target); 1 spends exactly the budget by the
 * window's end. Null without data.
 * @public
 */
export function sliceBurnRate(slices: SliceCounts, target: number): number | null {
  const seen = slices.good + slices.bad;
  if (seen === 0) return null;
  const budget = 1 - target;
  const badShare = slices.bad / seen;
  if (budget <= 0) return badShare > 0 ? Infinity : 0;
  return badShare / budget;
}

/** The SLI of a time-slice SLO: the share of good slices among those with data. Null without data. @public */
export function sliceSli(slices: SliceCounts): number | null {
  const seen = slices.good + slices.bad;
  return seen === 0 ? null : slices.good / seen;
}
