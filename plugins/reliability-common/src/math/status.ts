import {
  budgetEvents,
  budgetMinutes,
  budgetRemaining,
  burnRate,
  Counts,
  sliRatio,
  timeToExhaustionMs,
} from './budget';
import {
  BURN_RATE_WINDOWS,
  BurnRates,
  BurnRateWindow,
  DEFAULT_MWMB_RULES,
  firingMwmbRules,
  MwmbRule,
} from './mwmb';
import { FiringRule, ruleId } from './rules';
import { sliceBudget, slicesIn } from './timeslices';

/** @public */
export type SloState = 'healthy' | 'burning' | 'exhausted' | 'no_data';

/** The evaluated status of one SLO at one instant. Non-finite numbers are reported as null. @public */
export interface SloStatus {
  evaluatedAt: string;
  sli: number | null;
  /** Fraction of the error budget left over the compliance window (1 = untouched, below 0 = overspent). */
  budgetRemaining: number | null;
  budgetRemainingEvents: number | null;
  budgetAllowedEvents: number;
  budgetConsumedEvents: number;
  budgetRemainingMinutes: number | null;
  budgetAllowedMinutes: number;
  burnRates: Record<BurnRateWindow, number | null>;
  state: SloState;
  /** The multi-window rules that fire now, by id (`page 14.4x 1h&5m`) and severity. */
  firing: FiringRule[];
  /** Rules whose burn rates are over their thresholds but held back by the minimum-traffic guard (too few events in their short window). */
  quieted?: string[];
  /** When the budget runs out at the current (1h) burn rate; null when it is not being spent. */
  exhaustsAt: string | null;
  /** Events seen in the compliance window. */
  good: number;
  total: number;
  /** Share of the compliance window covered by data so far (less than 1 for a young SLO); null when the source cannot tell. */
  windowCoverage: number | null;
  /** A value shown next to the SLI, e.g. `{ label: 'p95', value: 212, unit: 'ms' }`. */
  display?: { label: string; value: number | null; unit?: string };
  /** Why there is no data, when the SLI source could not answer (e.g. no source for the metric type). */
  reason?: string;
  /** Set for time-slice SLOs: good, total and the budget's "events" are slices of this length. */
  slices?: { sliceMs: number };
  /**
   * The launch-freeze gate's figure, worked out by the evaluation tick: the budget left over the gate's window
   * (reliability.gate.window), whatever the SLO's own window. For a composite SLO, its objectives' by weight.
   */
  gate?: { window: string; budgetRemaining: number | null };
  /** Set for composite SLOs: each objective's own figures (the status above combines them by weight). */
  composite?: {
    displayName?: string;
    weight: number;
    sli: number | null;
    budgetRemaining: number | null;
    state: SloState;
  }[];
}

/** @public */
export interface StatusInput {
  now: number;
  target: number;
  /** Length of the compliance window (the whole period for calendar windows). */
  windowMs: number;
  /** Counts over the compliance window so far. */
  window: Counts;
  /** Counts over each burn-rate lookback. */
  lookbacks: Partial<Record<BurnRateWindow, Counts>>;
  /** Epoch ms of the first data point of this SLO; null without data; undefined when the source cannot tell. */
  firstDataAt?: number | null;
  /** Start of the compliance window (calendar windows start at the period start). */
  windowStart: number;
  rules?: readonly MwmbRule[];
  /** The lookback whose burn rate projects exhaustion. Default 1h. */
  projectionWindow?: BurnRateWindow;
  /** The minimum-traffic guard: a burn-rate rule fires only with at least this many events in its short window. */
  minEvents?: number;
  /**
   * A time-slice SLO (Timeslices, RatioTimeslices): the counts are in slices, and the budget is counted over the
   * window's slices (see timeslices.ts). Its "events" figures are slices.
   */
  slices?: { sliceMs: number };
}

/** The ISO text of the last instant asked: a tick evaluates every SLO at the same one. */
let lastIso: { at: number; text: string } | undefined;
function isoAt(at: number): string {
  if (lastIso?.at !== at) lastIso = { at, text: new Date(at).toISOString() };
  return lastIso.text;
}

const finiteOrNull = (n: number | null): number | null =>
  n === null || !Number.isFinite(n) ? null : n;

/**
 * Evaluates one SLO from its window counts.
 * State: no_data without traffic in the window; exhausted when no budget remains; burning when a
 * multi-window burn-rate rule fires; otherwise healthy.
 * @public
 */
export function evaluateStatus(input: StatusInput): SloStatus {
  const { target, windowMs, now } = input;
  const rates = {} as Record<BurnRateWindow, number | null>;
  for (const w of BURN_RATE_WINDOWS) {
    const c = input.lookbacks[w];
    rates[w] = c ? burnRate(c, target) : null;
  }
  let remaining = budgetRemaining(input.window, target);
  let events = budgetEvents(input.window, target);
  if (input.slices) {
    const b = sliceBudget(
      input.window,
      target,
      slicesIn(windowMs, input.slices.sliceMs),
    );
    remaining = b.remaining;
    events = {
      allowed: b.allowed,
      consumed: b.consumed,
      remaining: b.allowed - b.consumed,
    };
  }
  const minutes = budgetMinutes(target, windowMs, remaining);
  const over = firingMwmbRules(
    rates as BurnRates,
    input.rules ?? DEFAULT_MWMB_RULES,
  );
  // a handful of requests can burn at 100x: no rule fires on fewer events than the guard asks in its short window
  const enough = (r: MwmbRule) =>
    !input.minEvents ||
    (input.lookbacks[r.shortWindow]?.total ?? 0) >= input.minEvents;
  const firing = over.filter(enough);
  const quieted = over.filter(r => !enough(r)).map(ruleId);
  let state: SloState;
  if (input.window.total <= 0) state = 'no_data';
  else if (remaining !== null && remaining <= 0) state = 'exhausted';
  else if (firing.length > 0) state = 'burning';
  else state = 'healthy';

  const projection = rates[input.projectionWindow ?? '1h'];
  const tte = timeToExhaustionMs(remaining, projection, windowMs);
  let coverage: number | null = null;
  if (input.firstDataAt !== undefined) {
    const coveredFrom = Math.max(input.windowStart, input.firstDataAt ?? now);
    coverage =
      windowMs > 0
        ? Math.min(1, Math.max(0, (now - coveredFrom) / windowMs))
        : 0;
  }
  const outRates = {} as Record<BurnRateWindow, number | null>;
  for (const w of BURN_RATE_WINDOWS) outRates[w] = finiteOrNull(rates[w]);
  // the optional fields as undefined (left out of JSON) rather than spread in: an object literal with spreads is
  // built the slow way, and a tick builds one per SLO
  return {
    evaluatedAt: isoAt(now),
    sli: sliRatio(input.window),
    budgetRemaining: finiteOrNull(remaining),
    budgetRemainingEvents: input.window.total > 0 ? events.remaining : null,
    budgetAllowedEvents: events.allowed,
    budgetConsumedEvents: events.consumed,
    budgetRemainingMinutes: finiteOrNull(minutes.remaining),
    budgetAllowedMinutes: minutes.allowed,
    burnRates: outRates,
    state,
    firing: firing.map(r => ({ id: ruleId(r), severity: r.severity })),
    quieted: quieted.length ? quieted : undefined,
    exhaustsAt: tte === null ? null : new Date(now + tte).toISOString(),
    good: input.window.good,
    total: input.window.total,
    windowCoverage: coverage,
    slices: input.slices ? { sliceMs: input.slices.sliceMs } : undefined,
  };
}
