import {
  parseRotatedAt,
  secretAgeMs,
  secretState,
  SECRET_DUE_SOON_MS,
} from './hygiene';

const DAY = 86_400_000;

describe('secret hygiene math', () => {
  it('states around the boundaries', () => {
    const max = 90 * DAY;
    expect(secretState(0, max)).toBe('ok');
    expect(secretState(max - SECRET_DUE_SOON_MS - 1, max)).toBe('ok');
    expect(secretState(max - SECRET_DUE_SOON_MS, max)).toBe('due-soon');
    expect(secretState(max - 1, max)).toBe('due-soon');
    expect(secretState(max, max)).toBe('expired');
    expect(secretState(undefined, max)).toBe('unknown');
    expect(secretState(5, undefined)).toBe('unknown');
  });
  it('ages never go negative', () => {
    expect(secretAgeMs(2000, 1000)).toBe(0);
    expect(secretAgeMs(1000, 4000)).toBe(3000);
  });
  it('parses dates and refuses impossible ones', () => {
    expect(parseRotatedAt('2026-10-01')).toBe(Date.UTC(2026, 9, 1));
    expect(parseRotatedAt('2026-10-01T12:00:00Z')).toBe(
      Date.UTC(2026, 9, 1, 12),
    );
    expect(parseRotatedAt('2026-02-30')).toBeUndefined();
    expect(parseRotatedAt('yesterday')).toBeUndefined();
    expect(parseRotatedAt('2026-10-01T12:00')).toBeUndefined();
  });
});
