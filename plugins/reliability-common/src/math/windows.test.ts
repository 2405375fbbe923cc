import { parseDuration, durationMs } from './duration';
import { windowAt, describeWindow } from './windows';

const iso = (ms: number) => new Date(ms).toISOString();

describe('durations', () => {
  it('parses SLO durations', () => {
    expect(parseDuration('30d')).toEqual({ amount: 30, unit: 'd' });
    expect(parseDuration('1M')).toEqual({ amount: 1, unit: 'M' });
    expect(parseDuration('0d')).toBeUndefined();
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(durationMs('5m')).toBe(300_000);
    expect(durationMs('1w')).toBe(7 * 86_400_000);
    expect(() => durationMs('1M')).toThrow(/no fixed length/);
  });
});

describe('windowAt', () => {
  it('rolls a fixed window back from now', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    const w = windowAt(
      { kind: 'rolling', duration: { amount: 28, unit: 'd' } },
      now,
    );
    expect(iso(w.start)).toBe('2026-10-25T12:00:00.000Z');
    expect(w.end).toBe(now);
  });

  it('aligns a calendar month to local midnight of the 1st in the window time zone', () => {
    const month = { amount: 1, unit: 'M' as const };
    const now = Date.parse('2026-11-22T12:00:00Z');
    expect(
      iso(
        windowAt({ kind: 'calendar', duration: month, timeZone: 'UTC' }, now)
          .start,
      ),
    ).toBe('2026-11-01T00:00:00.000Z');
    // Tokyo is UTC+9: its November starts on Oct 31, 15:00 UTC
    const tokyo = windowAt(
      { kind: 'calendar', duration: month, timeZone: 'Asia/Tokyo' },
      now,
    );
    expect(iso(tokyo.start)).toBe('2026-10-31T15:00:00.000Z');
    expect(iso(tokyo.end)).toBe('2026-11-30T15:00:00.000Z');
    // New York: November starts in EDT (UTC-4) and ends in EST (UTC-5), after the DST change on Nov 1
    const ny = windowAt(
      { kind: 'calendar', duration: month, timeZone: 'America/New_York' },
      now,
    );
    expect(iso(ny.start)).toBe('2026-11-01T04:00:00.000Z');
    expect(iso(ny.end)).toBe('2026-12-01T05:00:00.000Z');
  });

  it('puts an instant on the right side of a month boundary per time zone', () => {
    const month = { amount: 1, unit: 'M' as const };
    // 2026-11-30T20:00Z is still November in New York but already December in Tokyo
    const t = Date.parse('2026-11-30T20:00:00Z');
    expect(
      iso(
        windowAt(
          { kind: 'calendar', duration: month, timeZone: 'America/New_York' },
          t,
        ).start,
      ),
    ).toBe('2026-11-01T04:00:00.000Z');
    expect(
      iso(
        windowAt(
          { kind: 'calendar', duration: month, timeZone: 'Asia/Tokyo' },
          t,
        ).start,
      ),
    ).toBe('2026-11-30T15:00:00.000Z');
    // exactly at the boundary the new period starts
    const boundary = Date.parse('2026-12-01T00:00:00Z');
    expect(
      windowAt({ kind: 'calendar', duration: month, timeZone: 'UTC' }, boundary)
        .start,
    ).toBe(boundary);
  });

  it('counts calendar periods from startTime', () => {
    // weekly windows starting on a Monday in Berlin
    const w = windowAt(
      {
        kind: 'calendar',
        duration: { amount: 1, unit: 'w' },
        timeZone: 'Europe/Berlin',
        startTime: '2026-01-05 00:00:00',
      },
      Date.parse('2026-11-22T12:00:00Z'), // a Sunday
    );
    expect(iso(w.start)).toBe('2026-11-15T23:00:00.000Z');
    expect(iso(w.end)).toBe('2026-11-22T23:00:00.000Z');
    // quarterly
    const q = windowAt(
      {
        kind: 'calendar',
        duration: { amount: 1, unit: 'Q' },
        timeZone: 'UTC',
        startTime: '2026-01-01 00:00:00',
      },
      Date.parse('2026-11-22T12:00:00Z'),
    );
    expect(iso(q.start)).toBe('2026-10-01T00:00:00.000Z');
    expect(iso(q.end)).toBe('2027-01-01T00:00:00.000Z');
  });

  it('describes windows', () => {
    expect(
      describeWindow({ kind: 'rolling', duration: { amount: 30, unit: 'd' } }),
    ).toBe('30d rolling');
    expect(
      describeWindow({
        kind: 'calendar',
        duration: { amount: 1, unit: 'M' },
        timeZone: 'UTC',
      }),
    ).toBe('1M calendar (UTC)');
  });
});
