import {
  excludedRanges,
  sloCorrectionCreateSchema,
  SloCorrection,
} from './corrections';
import { countsExcluding } from '../math/series';

const H = 3_600_000;
const base: Omit<SloCorrection, 'kind' | 'start' | 'end'> = {
  id: 'x',
  sloRef: 'default/a',
  reason: 'r',
  createdBy: 'u',
  createdAt: '2026-01-01T00:00:00Z',
};

describe('budget corrections', () => {
  it('leaves the counts of excluded ranges out of cumulative readings', () => {
    // 10 events a unit, 1 bad in units 3 and 4
    const points = Array.from({ length: 10 }, (_, i) => ({
      end: i + 1,
      cumGood: 10 * (i + 1) - (i >= 3 ? Math.min(2, i - 2) : 0),
      cumTotal: 10 * (i + 1),
    }));
    expect(countsExcluding(points, 0, 10, [{ start: 3, end: 5 }])).toEqual({
      good: 80,
      total: 80,
    });
    expect(countsExcluding(points, 0, 10, [])).toEqual({
      good: 98,
      total: 100,
    });
  });

  it('expands a recurring window in its time zone, across a daylight-saving change', () => {
    // every Sunday at 02:00 in Berlin for 2 hours: 01:00 UTC in winter, 00:00 UTC in summer (29 March 2026)
    const weekly: SloCorrection = {
      ...base,
      kind: 'recurring',
      start: '2026-03-01T00:00:00Z',
      end: null,
      cron: '0 2 * * 0',
      timeZone: 'Europe/Berlin',
      duration: '2h',
    };
    const ranges = excludedRanges(
      [weekly],
      Date.parse('2026-03-20T00:00:00Z'),
      Date.parse('2026-04-06T00:00:00Z'),
    );
    expect(ranges.map(r => new Date(r.start).toISOString())).toEqual([
      '2026-03-22T01:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-04-05T00:00:00.000Z',
    ]);
    expect(ranges.every(r => r.end - r.start === 2 * H)).toBe(true);
    // a window that began before `from` is cut at `from`; reverted corrections and ended ones count for nothing
    const cut = excludedRanges(
      [weekly],
      Date.parse('2026-03-22T02:00:00Z'),
      Date.parse('2026-03-23T00:00:00Z'),
    );
    expect(cut).toEqual([
      {
        start: Date.parse('2026-03-22T02:00:00Z'),
        end: Date.parse('2026-03-22T03:00:00Z'),
      },
    ]);
    expect(
      excludedRanges(
        [{ ...weekly, revertedAt: '2026-03-02T00:00:00Z', revertedBy: 'u' }],
        0,
        Date.parse('2026-05-01T00:00:00Z'),
      ),
    ).toEqual([]);
    expect(
      excludedRanges(
        [{ ...weekly, end: '2026-03-10T00:00:00Z' }],
        Date.parse('2026-03-20T00:00:00Z'),
        Date.parse('2026-04-06T00:00:00Z'),
      ),
    ).toEqual([]);
    const once: SloCorrection = {
      ...base,
      kind: 'once',
      start: '2026-03-22T01:30:00Z',
      end: '2026-03-22T05:00:00Z',
    };
    expect(
      excludedRanges(
        [weekly, once],
        Date.parse('2026-03-22T00:00:00Z'),
        Date.parse('2026-03-23T00:00:00Z'),
      ),
    ).toEqual([
      {
        start: Date.parse('2026-03-22T01:00:00Z'),
        end: Date.parse('2026-03-22T05:00:00Z'),
      },
    ]);
  });

  it('serves sliding evaluations from a cache of windows expanded a day ahead, with the same ranges', () => {
    const daily: SloCorrection = {
      ...base,
      id: 'd',
      kind: 'recurring',
      start: '2026-01-01T00:00:00Z',
      end: null,
      cron: '30 3 * * *',
      timeZone: 'America/New_York',
      duration: '45m',
    };
    const cache = new Map();
    const to0 = Date.parse('2026-03-10T12:00:00Z');
    for (let k = 0; k < 300; k += 7) {
      const to = to0 + k * 60_000;
      expect(excludedRanges([daily], to - 33 * 86_400_000, to, cache)).toEqual(
        excludedRanges([daily], to - 33 * 86_400_000, to),
      );
    }
    expect(cache.size).toBe(1);
  });

  it('bounds the windows of a frequent cron', () => {
    const minutely: SloCorrection = {
      ...base,
      kind: 'recurring',
      start: '2026-01-01T00:00:00Z',
      end: null,
      cron: '* * * * *',
      timeZone: 'UTC',
      duration: '1m',
    };
    // one range, merged, from at most 5,000 windows
    const r = excludedRanges(
      [minutely],
      Date.parse('2026-01-01T00:00:00Z'),
      Date.parse('2026-03-01T00:00:00Z'),
    );
    expect(r).toHaveLength(1);
    expect(r[0].end - r[0].start).toBeLessThanOrEqual(5_000 * 60_000);
  });

  it('checks both sides of each rule', () => {
    const ok = (v: object) => sloCorrectionCreateSchema.safeParse(v).success;
    expect(
      ok({
        reason: 'upgrade',
        start: '2026-11-22T02:00:00Z',
        end: '2026-11-22T04:00:00Z',
      }),
    ).toBe(true);
    expect(
      ok({
        reason: 'upgrade',
        start: '2026-11-22T02:00:00Z',
        end: '2026-11-22T02:00:00Z',
      }),
    ).toBe(false);
    expect(
      ok({
        reason: 'vacuum',
        start: '2026-11-22T02:00:00Z',
        cron: '0 2 * * 0',
        duration: '2h',
        timeZone: 'Europe/Berlin',
      }),
    ).toBe(true);
    expect(
      ok({
        reason: 'vacuum',
        start: '2026-11-22T02:00:00Z',
        cron: '0 2 * * 0',
        duration: '8d',
      }),
    ).toBe(false);
    expect(
      ok({
        reason: 'vacuum',
        start: '2026-11-22T02:00:00Z',
        cron: '0 2 * * 0',
        duration: '7d',
      }),
    ).toBe(true);
    expect(
      ok({
        reason: 'no',
        start: '2026-11-22T02:00:00Z',
        end: '2026-11-22T04:00:00Z',
      }),
    ).toBe(false);
    // hourly at most, and only what the walk understands
    expect(
      ok({
        reason: 'hourly',
        start: '2026-11-22T02:00:00Z',
        cron: '15 * * * *',
        duration: '10m',
      }),
    ).toBe(true);
    expect(
      ok({
        reason: 'twice an hour',
        start: '2026-11-22T02:00:00Z',
        cron: '0,30 * * * *',
        duration: '10m',
      }),
    ).toBe(false);
    expect(
      ok({
        reason: 'last day',
        start: '2026-11-22T02:00:00Z',
        cron: '0 2 L * *',
        duration: '1h',
      }),
    ).toBe(false);
    expect(
      ok({
        reason: 'upgrade',
        start: '2026-11-22T02:00:00Z',
        end: '2026-11-22T04:00:00Z',
        extra: 1,
      }),
    ).toBe(false);
  });
});
