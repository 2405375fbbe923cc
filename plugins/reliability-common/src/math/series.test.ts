import {
  cumulativeAt,
  countsIn,
  historySeries,
  CumulativePoint,
} from './series';
import { lttb } from './lttb';

const MIN = 60_000;

function minuteBuckets(
  counts: Array<[number, number]>,
  start = 0,
): CumulativePoint[] {
  let g = 0;
  let t = 0;
  return counts.map(([good, total], i) => {
    g += good;
    t += total;
    return { end: start + (i + 1) * MIN, cumGood: g, cumTotal: t };
  });
}

describe('cumulative readings', () => {
  const pts = minuteBuckets([
    [10, 10],
    [5, 10],
    [0, 0],
    [8, 10],
  ]);
  it('reads the last cumulative value at or before t', () => {
    expect(cumulativeAt(pts, 0)).toEqual({ good: 0, total: 0 });
    expect(cumulativeAt(pts, MIN)).toEqual({ good: 10, total: 10 });
    expect(cumulativeAt(pts, 1.5 * MIN)).toEqual({ good: 10, total: 10 });
    expect(cumulativeAt(pts, 99 * MIN)).toEqual({ good: 23, total: 30 });
  });
  it('counts a window as a difference of two readings', () => {
    expect(countsIn(pts, MIN, 3 * MIN)).toEqual({ good: 5, total: 10 });
    expect(countsIn(pts, 0, 4 * MIN)).toEqual({ good: 23, total: 30 });
    // a window reaching before the first bucket counts from zero
    expect(countsIn(pts, -100 * MIN, 2 * MIN)).toEqual({ good: 15, total: 20 });
  });
});

describe('history series', () => {
  it('computes budget and burn at each bucket and keeps the spike through downsampling', () => {
    const counts: Array<[number, number]> = Array.from(
      { length: 600 },
      (_, i) => (i === 400 ? [0, 100] : [100, 100]),
    );
    const pts = minuteBuckets(counts);
    const { points, sampled } = historySeries({
      points: pts,
      from: 0,
      to: 600 * MIN,
      target: 0.99,
      windowStartAt: t => t - 600 * MIN,
      lookbackMs: 5 * MIN,
      maxPoints: 50,
    });
    expect(sampled).toBe(600);
    expect(points).toHaveLength(50);
    const peak = Math.max(...points.map(p => p.burnRate ?? 0));
    // 100 bad of 500 in 5 minutes = 20% bad, 20x a 1% budget
    expect(peak).toBeCloseTo(20, 9);
    const last = points[points.length - 1];
    // 100 bad of 60,000 over the window: 1/6 of a 1% budget spent
    expect(last.budgetRemaining).toBeCloseTo(1 - 100 / 60000 / 0.01, 9);
  });
});

describe('lttb', () => {
  it('keeps first, last and extreme points', () => {
    const data = Array.from({ length: 1000 }, (_, i) => ({
      t: i,
      v: i === 500 ? 100 : Math.sin(i / 50),
    }));
    const out = lttb(data, 100);
    expect(out).toHaveLength(100);
    expect(out[0]).toBe(data[0]);
    expect(out[99]).toBe(data[999]);
    expect(out.some(p => p.v === 100)).toBe(true);
  });
  it('returns short series unchanged', () => {
    const data = [
      { t: 1, v: 1 },
      { t: 2, v: null },
    ];
    expect(lttb(data, 500)).toEqual(data);
  });
});
