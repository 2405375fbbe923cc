import {
  axisTicks,
  fullTime,
  tickFormatter,
  tickLabels,
  tickStep,
  zoneOffset,
} from './timeAxis';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);

describe('zoneOffset', () => {
  it('answers how far the zone is ahead of UTC, with daylight saving', () => {
    expect(zoneOffset(at('2026-12-03T10:00:00Z'), 'UTC')).toBe(0);
    expect(zoneOffset(at('2026-12-03T10:00:00Z'), 'Europe/Berlin')).toBe(H);
    expect(zoneOffset(at('2026-07-03T10:00:00Z'), 'Europe/Berlin')).toBe(2 * H);
    expect(zoneOffset(at('2026-12-03T10:00:00Z'), 'America/New_York')).toBe(
      -5 * H,
    );
  });
});

describe('tickStep', () => {
  it('picks the finest round spacing that needs at most maxTicks ticks', () => {
    expect(tickStep(H, 6)).toBe(15 * 60_000);
    expect(tickStep(6 * H, 6)).toBe(2 * H);
    expect(tickStep(D, 6)).toBe(6 * H);
    expect(tickStep(7 * D, 6)).toBe(2 * D);
    expect(tickStep(30 * D, 6)).toBe(7 * D);
    expect(tickStep(90 * D, 6)).toBe(21 * D);
  });
});

describe('axisTicks', () => {
  it('puts the ticks of an hour on quarter hours', () => {
    const ticks = axisTicks(
      at('2026-12-03T13:52:10Z'),
      at('2026-12-03T14:52:10Z'),
      { timeZone: 'UTC' },
    );
    expect(ticks.map(t => new Date(t).toISOString().slice(11, 16))).toEqual([
      '14:00',
      '14:15',
      '14:30',
      '14:45',
    ]);
  });

  it('puts the ticks of a day on local round hours of the zone, not of UTC', () => {
    const from = at('2026-12-03T09:30:00Z');
    const to = from + D;
    const berlin = axisTicks(from, to, { timeZone: 'Europe/Berlin' });
    // 6-hourly on Berlin's wall clock: 12:00, 18:00, 00:00, 06:00 local = 11, 17, 23, 05 UTC
    expect(berlin.map(t => new Date(t).toISOString().slice(11, 16))).toEqual([
      '11:00',
      '17:00',
      '23:00',
      '05:00',
    ]);
    for (const t of berlin) expect(t).toBeGreaterThanOrEqual(from);
    for (const t of berlin) expect(t).toBeLessThanOrEqual(to);
  });

  it('puts the ticks of 30 days on midnights a week apart', () => {
    const ticks = axisTicks(
      at('2026-11-06T10:00:00Z'),
      at('2026-12-06T10:00:00Z'),
      { timeZone: 'UTC' },
    );
    expect(ticks.map(t => new Date(t).toISOString())).toEqual([
      '2026-11-07T00:00:00.000Z',
      '2026-11-14T00:00:00.000Z',
      '2026-11-21T00:00:00.000Z',
      '2026-11-28T00:00:00.000Z',
      '2026-12-05T00:00:00.000Z',
    ]);
  });

  it('answers the one point of an empty range and nothing for a bad one', () => {
    expect(axisTicks(5, 5)).toEqual([5]);
    expect(axisTicks(NaN, 5)).toEqual([]);
  });
});

describe('tickLabels', () => {
  it('labels hours with times, the first tick and the first of a new day with the date', () => {
    const from = at('2026-12-03T20:10:00Z');
    const to = at('2026-12-04T02:10:00Z');
    const ticks = axisTicks(from, to, { timeZone: 'UTC' });
    expect(tickLabels(ticks, to - from, 'UTC')).toEqual([
      'Dec 3 22:00',
      'Dec 4 00:00',
      '02:00',
    ]);
  });

  it('labels one hour with times, never the same day three times over', () => {
    const from = at('2026-12-03T13:52:00Z');
    const to = from + H;
    const ticks = axisTicks(from, to, { timeZone: 'UTC' });
    const labels = tickLabels(ticks, to - from, 'UTC');
    expect(labels).toEqual(['Dec 3 14:00', '14:15', '14:30', '14:45']);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('labels weeks and 30 days with days', () => {
    const from = at('2026-11-06T10:00:00Z');
    const to = at('2026-12-06T10:00:00Z');
    const ticks = axisTicks(from, to, { timeZone: 'UTC' });
    expect(tickLabels(ticks, to - from, 'UTC')).toEqual([
      'Nov 7',
      'Nov 14',
      'Nov 21',
      'Nov 28',
      'Dec 5',
    ]);
  });

  it('reads the day change in the given zone', () => {
    // 23:00 UTC on Dec 3 is already Dec 4 in Berlin
    const ticks = [at('2026-12-03T21:00:00Z'), at('2026-12-03T23:00:00Z')];
    expect(tickLabels(ticks, 2 * H, 'Europe/Berlin')).toEqual([
      'Dec 3 22:00',
      'Dec 4 00:00',
    ]);
    expect(tickLabels(ticks, 2 * H, 'UTC')).toEqual(['Dec 3 21:00', '23:00']);
  });
});

describe('tickFormatter and fullTime', () => {
  it('labels each tick by its value, and any other value in full', () => {
    const ticks = [at('2026-12-03T22:00:00Z'), at('2026-12-04T00:00:00Z')];
    const f = tickFormatter(ticks, 2 * H, 'UTC');
    expect(f(ticks[1])).toBe('Dec 4 00:00');
    expect(f(ticks[0])).toBe('Dec 3 22:00');
    expect(f(at('2026-12-03T23:07:00Z'))).toBe('Dec 3, 23:07');
  });

  it('gives tooltips the full time with its zone', () => {
    expect(fullTime(at('2026-12-03T14:05:00Z'), 'UTC')).toBe(
      'Dec 3, 2026, 14:05 UTC',
    );
  });
});
