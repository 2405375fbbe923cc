import { countSlices, meetsThreshold, ratioSliceGood, sliceBudget, sliceBurnRate, slicesIn, sliceSli, thresholdSliceGood } from './timeslices';

const MIN = 60_000;
const DAY = 86_400_000;

describe('time-slice budgeting (Timeslices, RatioTimeslices)', () => {
  it('compares with each operator, on both sides of the threshold', () => {
    expect([meetsThreshold(299, 'lt', 300), meetsThreshold(300, 'lt', 300)]).toEqual([true, false]);
    expect([meetsThreshold(300, 'lte', 300), meetsThreshold(301, 'lte', 300)]).toEqual([true, false]);
    expect([meetsThreshold(0.999, 'gt', 0.99), meetsThreshold(0.99, 'gt', 0.99)]).toEqual([true, false]);
    expect([meetsThreshold(0.99, 'gte', 0.99), meetsThreshold(0.98, 'gte', 0.99)]).toEqual([true, false]);
  });

  it('judges a slice by its value (Timeslices) or its good/total ratio (RatioTimeslices); a slice without data is not counted', () => {
    const p95 = { op: 'lte' as const, value: 300 };
    expect([thresholdSliceGood(212, p95), thresholdSliceGood(450, p95), thresholdSliceGood(null, p95), thresholdSliceGood(NaN, p95)]).toEqual([true, false, null, null]);
    expect([ratioSliceGood({ good: 99, total: 100 }, 0.99), ratioSliceGood({ good: 98, total: 100 }, 0.99), ratioSliceGood({ good: 0, total: 0 }, 0.99)]).toEqual([true, false, null]);
    expect(countSlices([true, false, null, true, true, false])).toEqual({ good: 3, bad: 2 });
  });

  it("counts the budget in slices: the seed's p95 <= 300 ms over 7 days in 1-minute slices at 99%", () => {
    const windowSlices = slicesIn(7 * DAY, MIN);
    expect(windowSlices).toBe(10_080);
    // 99% of 10,080 slices must be good: 100.8 bad minutes are allowed; 42 were bad
    const week = { good: 9_000, bad: 42 };
    const b = sliceBudget(week, 0.99, windowSlices);
    expect(b.allowed).toBeCloseTo(100.8, 9);
    expect(b.consumed).toBe(42);
    expect(b.remaining).toBeCloseTo(1 - 42 / 100.8, 12);
    expect(sliceSli(week)).toBeCloseTo(9_000 / 9_042, 12);
    // an hour with 10 bad minutes burns (10/60) / 1% = 16.7x
    expect(sliceBurnRate({ good: 50, bad: 10 }, 0.99)).toBeCloseTo(1000 / 60, 12);
    // no data: no budget figure, no burn
    expect(sliceBudget({ good: 0, bad: 0 }, 0.99, windowSlices).remaining).toBeNull();
    expect(sliceBurnRate({ good: 0, bad: 0 }, 0.99)).toBeNull();
    // overspent: more bad slices than allowed
    expect(sliceBudget({ good: 9_000, bad: 151.2 }, 0.99, windowSlices).remaining).toBeCloseTo(-0.5, 12);
  });

  it('a 100% objective allows no bad slice', () => {
    expect(sliceBudget({ good: 10, bad: 1 }, 1, 100).remaining).toBe(-Infinity);
    expect(sliceBudget({ good: 10, bad: 0 }, 1, 100).remaining).toBe(1);
    expect(sliceBurnRate({ good: 10, bad: 1 }, 1)).toBe(Infinity);
    expect([slicesIn(0, MIN), slicesIn(DAY, 0)]).toEqual([0, 0]);
  });
});
