import { durationMs } from './duration';
import { budgetConsumedBy } from './budget';

/** The burn-rate windows the suite evaluates for every SLO. @public */
export const BURN_RATE_WINDOWS = [
  '5m',
  '30m',
  '1h',
  '2h',
  '6h',
  '1d',
  '3d',
  '30d',
] as const;

/** @public */
export type BurnRateWindow = (typeof BURN_RATE_WINDOWS)[number];

/** @public */
export type BurnRates = Partial<Record<BurnRateWindow, number | null>>;

/** One row of a multi-window, multi-burn-rate alert policy. @public */
export interface MwmbRule {
  severity: 'page' | 'ticket';
  burnRate: number;
  longWindow: BurnRateWindow;
  /** Equal to longWindow for a single-window condition. */
  shortWindow: BurnRateWindow;
  /** The OpenSLO AlertCondition's name, when the rule came from one. */
  name?: string;
  /** How long the condition must hold before the alert fires (OpenSLO alertAfter); the global pendingFor otherwise. */
  pendingMs?: number;
}

/**
 * The SRE workbook's recommended table (chapter 5, "multiwindow, multi-burn-rate alerts") for a 30-day SLO:
 * page at 14.4x over 1h and 5m (2% of budget) or 6x over 6h and 30m (5%); ticket at 3x over 1d and 2h (10%)
 * or 1x over 3d and 6h (10%).
 * @public
 */
export const DEFAULT_MWMB_RULES: readonly MwmbRule[] = [
  { severity: 'page', burnRate: 14.4, longWindow: '1h', shortWindow: '5m' },
  { severity: 'page', burnRate: 6, longWindow: '6h', shortWindow: '30m' },
  { severity: 'ticket', burnRate: 3, longWindow: '1d', shortWindow: '2h' },
  { severity: 'ticket', burnRate: 1, longWindow: '3d', shortWindow: '6h' },
];

/** Share of a window's budget spent when a rule's long window burns at exactly its threshold. @public */
export function mwmbBudgetConsumed(rule: MwmbRule, windowMs: number): number {
  return budgetConsumedBy(rule.burnRate, durationMs(rule.longWindow), windowMs);
}

/**
 * The rules whose long AND short windows both burn at or above the threshold.
 * A window without data never fires.
 * @public
 */
export function firingMwmbRules(
  rates: BurnRates,
  rules: readonly MwmbRule[] = DEFAULT_MWMB_RULES,
): MwmbRule[] {
  return rules.filter(r => {
    const long = rates[r.longWindow];
    const short = rates[r.shortWindow];
    return (
      long !== null &&
      long !== undefined &&
      short !== null &&
      short !== undefined &&
      long >= r.burnRate &&
      short >= r.burnRate
    );
  });
}
