import { z } from 'zod';
import { durationMs } from './duration';
import { MwmbRule } from './mwmb';

const HOUR = 3_600_000;

/** One hour of an SLI's history. @public */
export interface HourlyCounts {
  /** Start of the hour, epoch ms. */
  t: number;
  good: number;
  total: number;
}

/** What a backtest answers: how the objective would have done over the history. @public */
export interface BacktestResult {
  hours: number;
  good: number;
  total: number;
  sli: number | null;
  /** Share of the error budget left at the end (negative: overspent); null without traffic. */
  budgetRemaining: number | null;
  /** Alert episodes per severity: hours when some rule of that severity fires and none did the hour before. */
  pages: number;
  tickets: number;
  /** The hours (starts) at which a page started. */
  pageStarts: number[];
}

/** POST /slos/backtest: the new SLO (as the scaffolder gives it), and where its history comes from. @public */
export const sloBacktestRequestSchema = z
  .object({
    slo: z.unknown(),
    /** For a built-in ingest SLI: the existing SLO whose reported counts stand in for the new SLI. */
    historyFrom: z
      .string()
      .regex(
        /^[a-z0-9-]+\/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
        'must be an SLO ref such as default/checkout-success',
      )
      .optional(),
    days: z
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(90, 'must be at most 90')
      .default(30),
  })
  .strict();

/** @public */
export interface SloBacktestResponse extends BacktestResult {
  /** Where the history came from, in words. */
  history: string;
  /** "Over the last 30 days this SLO would have ended with 41% of its budget left, and paged 2 times." */
  summary: string;
  days: number;
}

/**
 * Replays an objective over hourly history: the budget left at the end of the range, and how often each burn-rate
 * rule would have started firing (both of its windows at or over the threshold). Evaluated at hourly resolution:
 * windows shorter than an hour use the last hour. Linear in the hours times the rules.
 * @public
 */
export function backtest(
  hourly: HourlyCounts[],
  target: number,
  rules: readonly MwmbRule[],
): BacktestResult {
  const hours = [...hourly].sort((a, b) => a.t - b.t);
  const cumGood: number[] = [0];
  const cumTotal: number[] = [0];
  for (const h of hours) {
    cumGood.push(cumGood[cumGood.length - 1] + h.good);
    cumTotal.push(cumTotal[cumTotal.length - 1] + h.total);
  }
  const n = hours.length;
  const budget = 1 - target;
  /** The burn rate over the `k` hours ending with hour i (inclusive). */
  const burn = (i: number, k: number) => {
    const from = Math.max(0, i + 1 - k);
    const total = cumTotal[i + 1] - cumTotal[from];
    if (total <= 0) return 0;
    const bad = total - (cumGood[i + 1] - cumGood[from]);
    return bad / total / budget;
  };
  let pages = 0;
  let tickets = 0;
  const pageStarts: number[] = [];
  const windows = rules.map(r => ({
    r,
    long: Math.max(1, Math.round(durationMs(r.longWindow) / HOUR)),
    short: Math.max(1, Math.round(durationMs(r.shortWindow) / HOUR)),
  }));
  let paging = false;
  let ticketing = false;
  for (let i = 0; i < n; i++) {
    let page = false;
    let ticket = false;
    for (const w of windows) {
      if (burn(i, w.long) >= w.r.burnRate && burn(i, w.short) >= w.r.burnRate) {
        if (w.r.severity === 'page') page = true;
        else ticket = true;
      }
    }
    if (page && !paging) {
      pages++;
      pageStarts.push(hours[i].t);
    }
    if (ticket && !ticketing) tickets++;
    paging = page;
    ticketing = ticket;
  }
  const good = cumGood[n];
  const total = cumTotal[n];
  return {
    hours: n,
    good,
    total,
    sli: total > 0 ? good / total : null,
    budgetRemaining: total > 0 ? 1 - (total - good) / total / budget : null,
    pages,
    tickets,
    pageStarts,
  };
}

/** The backtest in one sentence, as the template shows it. @public */
export function backtestSummary(r: BacktestResult, days: number): string {
  if (r.budgetRemaining === null)
    return `No history in the last ${days} days to replay this objective against.`;
  const left = Math.round(r.budgetRemaining * 100);
  const budget =
    left >= 0
      ? `ended with ${left}% of its budget left`
      : `overspent its budget by ${-left}%`;
  const paged =
    r.pages === 0
      ? 'never paged'
      : `paged ${r.pages} time${r.pages === 1 ? '' : 's'}`;
  return `Over the last ${days} days this SLO would have ${budget}, and ${paged}${
    r.tickets ? ` (${r.tickets} ticket${r.tickets === 1 ? '' : 's'})` : ''
  }.`;
}
