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
    // six days ago the checkout incident burns budget fast: over 14.4x against a 0.5% budget
    const incidentEnd = EPOCH - (6 * 1440 + 300 - 90) * MIN;
    const c = countsIn(pts, incidentEnd - HOUR, incidentEnd);
    expect((c.total - c.good) / c.total / 0.005).toBeGreaterThan(14.4);
  });
});
