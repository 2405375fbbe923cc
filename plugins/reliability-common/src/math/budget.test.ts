import {
  budgetEvents,
  budgetMinutes,
  budgetRemaining,
  burnRate,
  sliRatio,
  timeToExhaustionMs,
  budgetConsumedBy,
} from './budget';
import {
  DEFAULT_MWMB_RULES,
  firingMwmbRules,
  mwmbBudgetConsumed,
} from './mwmb';
import { durationMs } from './duration';
import { evaluateStatus } from './status';
import { alertConditions } from '../alerts/conditions';

const DAY = 86_400_000;

describe('SLI and burn rate', () => {
  it.each([
    // good, total, target, sli, burn, remaining
    [995, 1000, 0.995, 0.995, 1, 0],
    [1000, 1000, 0.995, 1, 0, 1],
    [990, 1000, 0.995, 0.99, 2, -1],
    [9999, 10000, 0.999, 0.9999, 0.1, 0.9],
    [856, 1000, 0.99, 0.856, 14.4, -13.4],
  ])(
    'good=%d total=%d target=%d',
    (good, total, target, sli, burn, remaining) => {
      expect(sliRatio({ good, total })).toBeCloseTo(sli, 12);
      expect(burnRate({ good, total }, target)).toBeCloseTo(burn, 9);
      expect(budgetRemaining({ good, total }, target)).toBeCloseTo(
        remaining,
        9,
      );
    },
  );

  it('has no SLI, burn or budget without traffic', () => {
    expect(sliRatio({ good: 0, total: 0 })).toBeNull();
    expect(burnRate({ good: 0, total: 0 }, 0.99)).toBeNull();
    expect(budgetRemaining({ good: 0, total: 0 }, 0.99)).toBeNull();
  });

  it('treats a 100% objective as a zero budget', () => {
    expect(burnRate({ good: 10, total: 10 }, 1)).toBe(0);
    expect(budgetRemaining({ good: 10, total: 10 }, 1)).toBe(1);
    expect(burnRate({ good: 9, total: 10 }, 1)).toBe(Infinity);
    expect(budgetRemaining({ good: 9, total: 10 }, 1)).toBe(-Infinity);
  });

  it('counts the budget in events and minutes', () => {
    expect(budgetEvents({ good: 99_700, total: 100_000 }, 0.995)).toEqual({
      allowed: 500.00000000000045,
      consumed: 300,
      remaining: 200.00000000000045,
    });
    // 99.5% over 30 days allows 216 minutes; 99.9% over 30 days 43.2 minutes
    expect(budgetMinutes(0.995, 30 * DAY, 1).allowed).toBeCloseTo(216, 9);
    expect(budgetMinutes(0.999, 30 * DAY, 0.5)).toEqual({
      allowed: expect.closeTo(43.2, 9),
      remaining: expect.closeTo(21.6, 9),
    });
    expect(budgetMinutes(0.999, 30 * DAY, null).remaining).toBeNull();
  });
});

describe('time to exhaustion', () => {
  it('projects the remaining budget at the current burn', () => {
    // half the budget left, burning at 2x over a 30d window: 7.5 days
    expect(timeToExhaustionMs(0.5, 2, 30 * DAY)).toBe(7.5 * DAY);
    // burning at 14.4x with all budget left: 30d / 14.4 = 50 hours
    expect(timeToExhaustionMs(1, 14.4, 30 * DAY)).toBeCloseTo(
      50 * 3_600_000,
      3,
    );
  });
  it('is zero once exhausted and unknown when nothing burns', () => {
    expect(timeToExhaustionMs(0, 3, 30 * DAY)).toBe(0);
    expect(timeToExhaustionMs(-0.2, 3, 30 * DAY)).toBe(0);
    expect(timeToExhaustionMs(0.8, 0, 30 * DAY)).toBeNull();
    expect(timeToExhaustionMs(0.8, null, 30 * DAY)).toBeNull();
    expect(timeToExhaustionMs(null, 2, 30 * DAY)).toBeNull();
  });
});

describe('the SRE workbook multi-window multi-burn-rate table', () => {
  it('pins the four rows and the budget each spends over a 30-day window', () => {
    const rows = DEFAULT_MWMB_RULES.map(r => [
      r.severity,
      r.burnRate,
      r.longWindow,
      r.shortWindow,
      Number(mwmbBudgetConsumed(r, 30 * DAY).toFixed(6)),
    ]);
    expect(rows).toEqual([
      ['page', 14.4, '1h', '5m', 0.02],
      ['page', 6, '6h', '30m', 0.05],
      ['ticket', 3, '1d', '2h', 0.1],
      ['ticket', 1, '3d', '6h', 0.1],
    ]);
    expect(
      budgetConsumedBy(14.4, durationMs('1h'), durationMs('30d')),
    ).toBeCloseTo(0.02, 12);
  });

  it('fires only when both windows are over the threshold', () => {
    expect(
      firingMwmbRules({ '1h': 15, '5m': 20 }).map(r => r.burnRate),
    ).toEqual([14.4]);
    expect(firingMwmbRules({ '1h': 15, '5m': 2 })).toEqual([]);
    expect(firingMwmbRules({ '1h': 2, '5m': 20 })).toEqual([]);
    expect(
      firingMwmbRules({ '6h': 7, '30m': 6, '1h': 14.4, '5m': 14.4 }).map(
        r => r.burnRate,
      ),
    ).toEqual([14.4, 6]);
    expect(firingMwmbRules({ '3d': 1, '6h': 1 }).map(r => r.severity)).toEqual([
      'ticket',
    ]);
    expect(firingMwmbRules({ '1h': null, '5m': 100 })).toEqual([]);
  });
});

describe('evaluateStatus', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  const base = {
    now,
    target: 0.995,
    windowMs: 30 * DAY,
    windowStart: now - 30 * DAY,
    firstDataAt: now - 30 * DAY,
  };

  it('reports no_data without traffic', () => {
    const s = evaluateStatus({
      ...base,
      window: { good: 0, total: 0 },
      lookbacks: {},
    });
    expect(s.state).toBe('no_data');
    expect(s.sli).toBeNull();
    expect(s.budgetRemaining).toBeNull();
    expect(s.exhaustsAt).toBeNull();
  });

  it('reports a healthy SLO with its budget and no projection when nothing burns', () => {
    const s = evaluateStatus({
      ...base,
      window: { good: 100_000, total: 100_000 },
      lookbacks: { '1h': { good: 100, total: 100 } },
    });
    expect(s.state).toBe('healthy');
    expect(s.budgetRemaining).toBe(1);
    expect(s.budgetRemainingMinutes).toBeCloseTo(216, 9);
    expect(s.exhaustsAt).toBeNull();
    expect(s.windowCoverage).toBe(1);
  });

  it('reports burning when a page rule fires, with a projected exhaustion', () => {
    const s = evaluateStatus({
      ...base,
      window: { good: 99_800, total: 100_000 }, // 0.2% bad of a 0.5% budget: 60% left
      lookbacks: {
        '1h': { good: 850, total: 1000 },
        '5m': { good: 80, total: 100 },
      },
    });
    expect(s.state).toBe('burning');
    expect(s.firing).toEqual([{ id: 'page 14.4x 1h&5m', severity: 'page' }]);
    expect(s.budgetRemaining).toBeCloseTo(0.6, 9);
    expect(s.burnRates['1h']).toBeCloseTo(30, 9);
    // 0.6 of 30 days at 30x = 0.6 days
    expect(Date.parse(s.exhaustsAt!) - now).toBeCloseTo(0.6 * DAY, -1);
  });

  it('reports exhausted once the budget is spent, even when the burn has stopped', () => {
    const s = evaluateStatus({
      ...base,
      window: { good: 99_000, total: 100_000 },
      lookbacks: { '1h': { good: 10, total: 10 } },
    });
    expect(s.state).toBe('exhausted');
    expect(s.budgetRemaining).toBeCloseTo(-1, 9);
    expect(s.exhaustsAt).toBe(new Date(now).toISOString());
  });

  it('measures coverage of a window that is not full yet', () => {
    const s = evaluateStatus({
      ...base,
      firstDataAt: now - 3 * DAY,
      window: { good: 10, total: 10 },
      lookbacks: {},
    });
    expect(s.windowCoverage).toBeCloseTo(0.1, 9);
    expect(s.state).toBe('healthy');
  });

  it('never reports non-finite numbers for a 100% objective', () => {
    const s = evaluateStatus({
      ...base,
      target: 1,
      window: { good: 9, total: 10 },
      lookbacks: { '1h': { good: 9, total: 10 } },
    });
    expect(s.state).toBe('exhausted');
    expect(s.budgetRemaining).toBeNull();
    expect(s.burnRates['1h']).toBeNull();
    expect(JSON.stringify(s)).not.toMatch(/Infinity|NaN/);
  });
});

describe('alertConditions', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  const base = {
    now,
    target: 0.99,
    windowMs: 30 * DAY,
    windowStart: now - 30 * DAY,
    firstDataAt: now - 30 * DAY,
  };
  it('raises one alert per firing rule, with its severity', () => {
    const s = evaluateStatus({
      ...base,
      window: { good: 99_500, total: 100_000 },
      lookbacks: {
        '1h': { good: 800, total: 1000 },
        '5m': { good: 80, total: 100 },
        '6h': { good: 900, total: 1000 },
        '30m': { good: 90, total: 100 },
      },
    });
    expect(alertConditions(s).map(a => [a.rule, a.severity])).toEqual([
      ['page 14.4x 1h&5m', 'page'],
      ['page 6x 6h&30m', 'page'],
    ]);
  });
  it('raises no_data when the SLI stops reporting or its source fails, not for an SLO that never had traffic', () => {
    const stopped = evaluateStatus({
      ...base,
      window: { good: 100, total: 100 },
      lookbacks: { '5m': { good: 0, total: 0 } },
    });
    expect(alertConditions(stopped)).toEqual([
      {
        rule: 'no_data',
        severity: 'ticket',
        details: { reason: 'the SLI has not reported for 5 minutes' },
      },
    ]);
    const never = evaluateStatus({
      ...base,
      window: { good: 0, total: 0 },
      lookbacks: {},
    });
    expect(alertConditions(never)).toEqual([]);
    expect(
      alertConditions({
        ...never,
        reason: 'Prometheus main is unreachable',
      })[0],
    ).toMatchObject({
      rule: 'no_data',
      details: { reason: 'Prometheus main is unreachable' },
    });
  });
});
