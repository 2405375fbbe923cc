import { DemoData } from './DemoData';
import { DEMO_PROFILES, demoMinute } from './traffic';
import { countsIn } from '@reliability-suite/plugin-reliability-common';

const MIN = 60_000;
const HOUR = 3_600_000;
const EPOCH = Date.parse('2026-11-22T12:00:00Z');

describe('demo traffic', () => {
  it('is deterministic', () => {
    const p = DEMO_PROFILES['default/checkout-success'];
    expect(
      demoMinute('default/checkout-success', p, EPOCH - 5 * MIN, EPOCH),
    ).toEqual(
      demoMinute('default/checkout-success', p, EPOCH - 5 * MIN, EPOCH),
    );
    const a = DemoData.buckets(
      'default/checkout-success',
      EPOCH - 2 * 86_400_000,
      EPOCH,
      EPOCH - 7 * HOUR,
      EPOCH,
    );
    const b = DemoData.buckets(
      'default/checkout-success',
      EPOCH - 2 * 86_400_000,
      EPOCH,
      EPOCH - 7 * HOUR,
      EPOCH,
    );
    expect(a).toEqual(b);
  });

  it('compacts old data to hours with exact cumulative values and shows the incident', () => {
    const start = EPOCH - 30 * 86_400_000;
    const rows = DemoData.buckets(
      'default/checkout-success',
      start,
      EPOCH,
      EPOCH - 7 * HOUR,
      EPOCH,
    );
    expect(rows.filter(r => r.bucketMs === HOUR)).toHaveLength(30 * 24 - 7);
    expect(rows.filter(r => r.bucketMs === MIN)).toHaveLength(7 * 60);
    const pts = rows.map(r => ({
      end: r.end,
      cumGood: r.cumGood,
      cumTotal: r.cumTotal,
    }));
    // the cumulative total equals the sum of every minute
    let total = 0;
    for (let t = start; t < EPOCH; t += MIN)
      total += demoMinute(
        'default/checkout-success',
        DEMO_PROFILES['default/checkout-success'],
        t,
        EPOCH,
      ).total;
    expect(rows[rows.length - 1].cumTotal).toBe(total);
    // six days ago the PSP brownout (SRE-002) is absorbed: the breaker opens and checkout browns out to pay later, so
    // the hour of the brownout stays inside the 0.5% budget, and no 5-minute window burns at the page's 14.4x
    const brownoutStart = EPOCH - (6 * 1440 + 300) * MIN;
    const brownoutEnd = brownoutStart + 95 * MIN;
    const burn = (from: number, to: number) => {
      const c = countsIn(pts, from, to);
      return (c.total - c.good) / c.total / 0.005;
    };
    expect(burn(brownoutEnd - HOUR, brownoutEnd)).toBeLessThan(1);
    expect(burn(brownoutStart, brownoutEnd)).toBeLessThan(1);
    let worst = 0;
    for (let t = brownoutStart; t < brownoutEnd; t += MIN) {
      const c = [0, 1, 2, 3, 4].map(k =>
        demoMinute(
          'default/checkout-success',
          DEMO_PROFILES['default/checkout-success'],
          t - k * MIN,
          EPOCH,
        ),
      );
      const bad = c.reduce((n, m) => n + m.total - m.good, 0);
      const all = c.reduce((n, m) => n + m.total, 0);
      worst = Math.max(worst, bad / all / 0.005);
    }
    expect(worst).toBeLessThan(14.4);
    // and it is there: the minutes before the breaker opened burn faster than a quiet day's
    expect(worst).toBeGreaterThan(1);
  });
});
