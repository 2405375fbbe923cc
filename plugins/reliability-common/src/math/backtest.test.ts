import { DEFAULT_MWMB_RULES } from './mwmb';
import { backtest, backtestSummary, HourlyCounts } from './backtest';

const HOUR = 3_600_000;
const hours = (
  n: number,
  f: (i: number) => { good: number; total: number },
): HourlyCounts[] =>
  Array.from({ length: n }, (_, i) => ({ t: i * HOUR, ...f(i) }));

describe('backtest', () => {
  it('spends the budget the history spent, and pages once per episode of a fast burn', () => {
    // 30 days of 1,000 requests an hour at 99.95%, and one 2-hour outage at 20% errors (a 40x burn at 99.5%)
    const history = hours(720, i =>
      i === 300 || i === 301
        ? { good: 800, total: 1000 }
        : { good: 999.5, total: 1000 },
    );
    const r = backtest(history, 0.995, DEFAULT_MWMB_RULES);
    const bad = 718 * 0.5 + 400;
    expect(r.budgetRemaining).toBeCloseTo(1 - bad / 720_000 / 0.005, 9);
    expect([r.hours, r.pages, r.pageStarts]).toEqual([720, 1, [300 * HOUR]]);
    expect(r.sli).toBeCloseTo(1 - bad / 720_000, 12);
    expect(backtestSummary(r, 30)).toBe(
      `Over the last 30 days this SLO would have ended with ${Math.round(
        r.budgetRemaining! * 100,
      )}% of its budget left, and paged 1 time (1 ticket).`,
    );
  });

  it('pages again after the burn stopped and started again, and never on a quiet history', () => {
    const twice = hours(200, i =>
      (i >= 50 && i < 52) || (i >= 150 && i < 152)
        ? { good: 500, total: 1000 }
        : { good: 1000, total: 1000 },
    );
    expect(
      backtest(twice, 0.999, [
        {
          severity: 'page',
          burnRate: 14.4,
          longWindow: '1h',
          shortWindow: '5m',
        },
      ]).pages,
    ).toBe(2);
    const quiet = backtest(
      hours(100, () => ({ good: 100, total: 100 })),
      0.99,
      DEFAULT_MWMB_RULES,
    );
    expect([quiet.pages, quiet.tickets, quiet.budgetRemaining]).toEqual([
      0, 0, 1,
    ]);
    expect(backtestSummary(quiet, 4)).toBe(
      'Over the last 4 days this SLO would have ended with 100% of its budget left, and never paged.',
    );
    const none = backtest([], 0.99, DEFAULT_MWMB_RULES);
    expect([none.budgetRemaining, backtestSummary(none, 30)]).toEqual([
      null,
      'No history in the last 30 days to replay this objective against.',
    ]);
    const over = backtest(
      hours(10, () => ({ good: 90, total: 100 })),
      0.99,
      [],
    );
    expect(backtestSummary(over, 1)).toBe(
      'Over the last 1 days this SLO would have overspent its budget by 900%, and never paged.',
    );
  });
});
