import { dateFormat, timeTicks } from './dates';

describe('dateFormat', () => {
  it('formats as toLocaleString with the same options, with one formatter per set of options', () => {
    const t = Date.UTC(2026, 10, 24, 6, 5);
    const options: Intl.DateTimeFormatOptions = {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'UTC',
    };
    const f = dateFormat(options);
    expect(f(t)).toBe(new Date(t).toLocaleString('en-US', options));
    expect(f(new Date(t).toISOString())).toBe(f(t));
    const made = jest.spyOn(Intl, 'DateTimeFormat');
    const again = dateFormat({ ...options });
    expect(again(t)).toBe(f(t));
    expect(made).not.toHaveBeenCalled();
    made.mockRestore();
  });
});

describe('timeTicks', () => {
  it('answers evenly spaced ticks from the first point to the last', () => {
    const points = Array.from({ length: 500 }, (_, i) => ({
      t: 1_000 + i * 60_000,
    }));
    const ticks = timeTicks(points, 6);
    expect(ticks).toHaveLength(6);
    expect(ticks[0]).toBe(1_000);
    expect(ticks[5]).toBe(1_000 + 499 * 60_000);
    expect(ticks[1] - ticks[0]).toBeCloseTo((499 * 60_000) / 5, -1);
    expect(timeTicks([{ t: 5 }])).toEqual([5]);
    expect(timeTicks([])).toEqual([]);
  });
});
