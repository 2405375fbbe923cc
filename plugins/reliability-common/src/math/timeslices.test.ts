import { budgetRemaining, burnRate, sliRatio } from './budget';
import {
  meetsThreshold,
  sliceBudget,
  sliceContribution,
  slicesIn,
  windowBudgetRemaining,
} from './timeslices';

const MIN = 60_000;
const DAY = 86_400_000;

describe('time-slice budgeting (Timeslices, RatioTimeslices)', () => {
  it('compares with each operator, on both sides of the threshold', () => {
    expect([
      meetsThreshold(299, 'lt', 300),
      meetsThreshold(300, 'lt', 300),
    ]).toEqual([true, false]);
    expect([
      meetsThreshold(300, 'lte', 300),
      meetsThreshold(301, 'lte', 300),
    ]).toEqual([true, false]);
    expect([
      meetsThreshold(0.999, 'gt', 0.99),
      meetsThreshold(0.99, 'gt', 0.99),
    ]).toEqual([true, false]);
    expect([
      meetsThreshold(0.99, 'gte', 0.99),
      meetsThreshold(0.98, 'gte', 0.99),
    ]).toEqual([true, false]);
  });

  it('Timeslices: a slice is good when its good share meets timeSliceTarget; a slice without data is not counted', () => {
    const ts = { method: 'Timeslices' as const, timeSliceTarget: 0.99 };
    expect(sliceContribution({ n: 100, good: 99 }, ts)).toEqual({
      good: 1,
      total: 1,
    });
    expect(sliceContribution({ n: 100, good: 98 }, ts)).toEqual({
      good: 0,
      total: 1,
    });
    expect(sliceContribution({ n: 0, good: 0 }, ts)).toBeNull();
    // one p95 value per slice, every point must meet the threshold
    expect(
      sliceContribution(
        { n: 1, good: 1 },
        { method: 'Timeslices', timeSliceTarget: 1 },
      ),
    ).toEqual({ good: 1, total: 1 });
    expect(
      sliceContribution(
        { n: 4, good: 3 },
        { method: 'Timeslices', timeSliceTarget: 1 },
      ),
    ).toEqual({ good: 0, total: 1 });
  });

  it("RatioTimeslices: a slice counts as its ratio, so the SLI is the average of the slices' ratios", () => {
    const rt = { method: 'RatioTimeslices' as const };
    // a burst minute at 50% of 10,000 requests weighs as much as a quiet minute at 100% of 10
    const a = sliceContribution({ n: 10_000, good: 5_000 }, rt)!;
    const b = sliceContribution({ n: 10, good: 10 }, rt)!;
    expect(
      sliRatio({ good: a.good + b.good, total: a.total + b.total }),
    ).toBeCloseTo(0.75, 12);
    expect(sliceContribution({ n: 0, good: 0 }, rt)).toBeNull();
  });

  it("counts the budget in slices: the seed's p95 <= 300 ms over 7 days in 1-minute slices at 99%", () => {
    const windowSlices = slicesIn(7 * DAY, MIN);
    expect(windowSlices).toBe(10_080);
    // 99% of 10,080 slices must be good: 100.8 bad minutes are allowed; 42 were bad out of 9,042 seen
    const week = { good: 9_000, total: 9_042 };
    const b = sliceBudget(week, 0.99, windowSlices);
    expect(b.allowed).toBeCloseTo(100.8, 9);
    expect(b.consumed).toBe(42);
    expect(b.remaining).toBeCloseTo(1 - 42 / 100.8, 12);
    expect(
      windowBudgetRemaining(week, 0.99, 7 * DAY, { sliceMs: MIN }),
    ).toBeCloseTo(1 - 42 / 100.8, 12);
    // Occurrences over the same counts would use the slices seen, not the window's
    expect(windowBudgetRemaining(week, 0.99, 7 * DAY)).toBeCloseTo(
      budgetRemaining(week, 0.99)!,
      12,
    );
    // an hour with 10 bad minutes burns (10/60) / 1% = 16.7x: the burn rate is Occurrences' over slices
    expect(burnRate({ good: 50, total: 60 }, 0.99)).toBeCloseTo(1000 / 60, 12);
    expect(
      sliceBudget({ good: 0, total: 0 }, 0.99, windowSlices).remaining,
    ).toBeNull();
    // overspent: more bad slices than allowed
    expect(
      sliceBudget({ good: 9_000, total: 9_151.2 }, 0.99, windowSlices)
        .remaining,
    ).toBeCloseTo(-0.5, 9);
  });

  it('an objective without budget allows no bad slice', () => {
    expect(sliceBudget({ good: 10, total: 11 }, 1, 100).remaining).toBe(
      -Infinity,
    );
    expect(sliceBudget({ good: 10, total: 10 }, 1, 100).remaining).toBe(1);
    expect([slicesIn(0, MIN), slicesIn(DAY, 0)]).toEqual([0, 0]);
  });
});
