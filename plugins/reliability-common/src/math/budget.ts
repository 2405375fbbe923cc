/**
 * Pure error-budget arithmetic (SRE workbook, chapter 5). No I/O: counts in, numbers out.
 *
 * Conventions:
 * - `target` is a ratio in (0, 1], e.g. 0.995 for 99.5%.
 * - Counts are good/total events in a window (Occurrences budgeting).
 * - A window with no events has no SLI: functions return `null`, never a made-up number.
 */

/** Good and total events counted over a window. @public */
export interface Counts {
  good: number;
  total: number;
}

/** SLI = good / total, null without traffic. @public */
export function sliRatio(c: Counts): number | null {
  if (c.total <= 0) return null;
  return c.good / c.total;
}

/** The error budget as a ratio: 1 - target. @public */
export function errorBudget(target: number): number {
  return 1 - target;
}

/**
 * Burn rate: how fast the budget is being spent relative to spending exactly all of it by the window's end.
 * burn = (bad / total) / (1 - target). 1 means "on track to use the whole budget", 14.4 means it would be
 * gone in 1/14.4 of the window. Null without traffic; Infinity for a 100% objective with any bad event.
 * @public
 */
export function burnRate(c: Counts, target: number): number | null {
  if (c.total <= 0) return null;
  const badRatio = (c.total - c.good) / c.total;
  const budget = errorBudget(target);
  if (budget <= 0) return badRatio > 0 ? Infinity : 0;
  return badRatio / budget;
}

/**
 * Fraction of the error budget left over the compliance window: 1 - burnRate(window).
 * 1 = untouched, 0 = exactly spent, negative = overspent (-0.5 means 150% used).
 * Null without traffic; -Infinity for a 100% objective with any bad event.
 * @public
 */
export function budgetRemaining(c: Counts, target: number): number | null {
  const burn = burnRate(c, target);
  if (burn === null) return null;
  return 1 - burn;
}

/**
 * Budget in events for the window's traffic so far: allowed bad events, bad events, and what is left.
 * @public
 */
export function budgetEvents(
  c: Counts,
  target: number,
): {
  allowed: number;
  consumed: number;
  remaining: number;
} {
  const allowed = errorBudget(target) * c.total;
  const consumed = c.total - c.good;
  return { allowed, consumed, remaining: allowed - consumed };
}

/**
 * Budget expressed in time: a 99.5% objective over 30 days allows 216 minutes of full outage.
 * `remaining` scales that by the fraction of budget left (negative when overspent).
 * @public
 */
export function budgetMinutes(
  target: number,
  windowMs: number,
  remainingFraction: number | null,
): { allowed: number; remaining: number | null } {
  const allowed = (errorBudget(target) * windowMs) / 60_000;
  if (remainingFraction === null || !Number.isFinite(remainingFraction)) {
    if (remainingFraction === null) return { allowed, remaining: null };
    return { allowed, remaining: remainingFraction > 0 ? allowed : -Infinity };
  }
  return { allowed, remaining: allowed * remainingFraction };
}

/**
 * Milliseconds until the budget is gone if the current burn rate continues.
 * At burn rate b the budget of one full window is spent in windowMs / b, so the remaining fraction r lasts
 * r * windowMs / b. Null when the budget is not being spent (`b <= 0` or unknown); 0 when already exhausted.
 * @public
 */
export function timeToExhaustionMs(
  remaining: number | null,
  currentBurnRate: number | null,
  windowMs: number,
): number | null {
  if (remaining === null) return null;
  if (remaining <= 0) return 0;
  if (currentBurnRate === null || currentBurnRate <= 0) return null;
  if (!Number.isFinite(currentBurnRate)) return 0;
  return (remaining * windowMs) / currentBurnRate;
}

/**
 * Fraction of the whole window's budget that a burn rate spends over a lookback: burn * lookback / window.
 * The workbook's 14.4x over 1h of a 30d window spends 2%.
 * @public
 */
export function budgetConsumedBy(
  burn: number,
  lookbackMs: number,
  windowMs: number,
): number {
  return (burn * lookbackMs) / windowMs;
}

/** Subtract two cumulative readings: counts in (start, end]. Never negative. @public */
export function countsBetween(startCum: Counts, endCum: Counts): Counts {
  return {
    good: Math.max(0, endCum.good - startCum.good),
    total: Math.max(0, endCum.total - startCum.total),
  };
}
