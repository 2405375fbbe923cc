import {
  BURN_RATE_WINDOWS,
  BurnRates,
  BurnRateWindow,
  DEFAULT_MWMB_RULES,
  firingMwmbRules,
  MwmbRule,
} from './mwmb';
import { timeToExhaustionMs } from './budget';
import { ruleId } from './rules';
import type { SloState, SloStatus } from './status';

/**
 * A composite SLO's status from its objectives' (OpenSLO's weighted composite: each objective has its own indicator,
 * target and budget, and a `compositeWeight`). No I/O.
 *
 * - burn rate over each lookback = the weighted mean of the objectives' burn rates (objectives without data left out);
 * - budget remaining = the weighted mean of the objectives' budgets remaining;
 * - SLI = the weighted mean of their SLIs;
 * - state: no data when no objective has data, exhausted when the composite budget is spent, burning when a rule of
 *   the policy fires on the composite burn rates, else healthy; time to exhaustion from the composite 1h burn rate.
 * Counts (good, total, budget events) are the objectives' sums, for reference.
 */

/** @public */
export interface CompositePart {
  weight: number;
  displayName?: string;
  status: SloStatus;
}

/** A weighted mean over the parts that have a number; null when none has. */
function weighted(
  parts: readonly CompositePart[],
  pick: (s: SloStatus) => number | null,
): number | null {
  let sum = 0;
  let weights = 0;
  for (const p of parts) {
    const v = pick(p.status);
    if (v === null || !Number.isFinite(v)) continue;
    sum += p.weight * v;
    weights += p.weight;
  }
  return weights > 0 ? sum / weights : null;
}

/** @public */
export function compositeStatus(input: {
  now: number;
  windowMs: number;
  parts: readonly CompositePart[];
  rules?: readonly MwmbRule[];
  projectionWindow?: BurnRateWindow;
}): SloStatus {
  const { parts, now, windowMs } = input;
  const burnRates = {} as Record<BurnRateWindow, number | null>;
  for (const w of BURN_RATE_WINDOWS)
    burnRates[w] = weighted(parts, s => s.burnRates[w]);
  const remaining = weighted(parts, s => s.budgetRemaining);
  const hasData = parts.some(p => p.status.total > 0);
  const firing = hasData
    ? firingMwmbRules(burnRates as BurnRates, input.rules ?? DEFAULT_MWMB_RULES)
    : [];
  let state: SloState;
  if (!hasData) state = 'no_data';
  else if (remaining !== null && remaining <= 0) state = 'exhausted';
  else if (firing.length) state = 'burning';
  else state = 'healthy';
  const tte = timeToExhaustionMs(
    remaining,
    burnRates[input.projectionWindow ?? '1h'],
    windowMs,
  );
  const sum = (pick: (s: SloStatus) => number | null) =>
    parts.reduce((acc, p) => acc + (pick(p.status) ?? 0), 0);
  const allowedMinutes = weighted(parts, s => s.budgetAllowedMinutes) ?? 0;
  const coverage = parts
    .map(p => p.status.windowCoverage)
    .filter((c): c is number => c !== null);
  return {
    evaluatedAt: new Date(now).toISOString(),
    sli: weighted(parts, s => s.sli),
    budgetRemaining: remaining,
    budgetRemainingEvents: hasData ? sum(s => s.budgetRemainingEvents) : null,
    budgetAllowedEvents: sum(s => s.budgetAllowedEvents),
    budgetConsumedEvents: sum(s => s.budgetConsumedEvents),
    budgetRemainingMinutes:
      remaining === null ? null : allowedMinutes * remaining,
    budgetAllowedMinutes: allowedMinutes,
    burnRates,
    state,
    firing: firing.map(r => ({ id: ruleId(r), severity: r.severity })),
    exhaustsAt: tte === null ? null : new Date(now + tte).toISOString(),
    good: sum(s => s.good),
    total: sum(s => s.total),
    windowCoverage: coverage.length ? Math.max(...coverage) : null,
    composite: parts.map(p => ({
      ...(p.displayName ? { displayName: p.displayName } : {}),
      weight: p.weight,
      sli: p.status.sli,
      budgetRemaining: p.status.budgetRemaining,
      state: p.status.state,
    })),
  };
}
