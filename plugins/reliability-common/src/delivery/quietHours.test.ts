import { DateTime } from 'luxon';
import {
  QuietHours,
  isIanaTimeZone,
  nextQuietChange,
  parseClockTime,
  quietHoursAt,
} from './quietHours';

/** An instant in UTC: month 1-based. */
const utc = (y: number, mo: number, d: number, h: number, mi = 0) =>
  Date.UTC(y, mo - 1, d, h, mi);
const HOUR = 3_600_000;

const q = (
  timeZone: string,
  days: QuietHours['days'],
  start: string,
  end: string,
): QuietHours => ({ timeZone, days, start, end });

describe('parseClockTime', () => {
  it('reads HH:MM and refuses anything else', () => {
    expect(parseClockTime('00:00')).toBe(0);
    expect(parseClockTime('08:30')).toBe(510);
    expect(parseClockTime('23:59')).toBe(1439);
    for (const bad of [
      '24:00',
      '12:60',
      '8:30',
      '08:3',
      '0830',
      '08-30',
      'ab:cd',
      ' 8:30',
      '08:30 ',
      '',
    ])
      expect(parseClockTime(bad)).toBeUndefined();
  });
});

describe('isIanaTimeZone', () => {
  it('knows IANA names and refuses offsets and made-up zones', () => {
    expect(isIanaTimeZone('Europe/Berlin')).toBe(true);
    expect(isIanaTimeZone('Asia/Kolkata')).toBe(true);
    expect(isIanaTimeZone('Mars/Olympus')).toBe(false);
    expect(isIanaTimeZone('+01:00')).toBe(false);
    expect(isIanaTimeZone('')).toBe(false);
  });
});

describe('quietHoursAt', () => {
  it('starts and ends exactly at the window boundaries, one ms either side', () => {
    // Monday 2026-01-05, 09:00-17:00 Berlin (CET, UTC+1)
    const w = q('Europe/Berlin', ['mon'], '09:00', '17:00');
    const start = utc(2026, 1, 5, 8);
    const end = utc(2026, 1, 5, 16);
    expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
    expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
    expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
    expect(quietHoursAt(w, end)).toEqual({ quiet: false });
    expect(nextQuietChange(w, start - 1)).toBe(start);
    expect(nextQuietChange(w, start)).toBe(end);
    // after it ends, the next change is next Monday's start
    expect(nextQuietChange(w, end)).toBe(start + 7 * 24 * HOUR);
  });

  it('crosses midnight into a day that is not listed', () => {
    // Friday 2026-01-09 22:00 to Saturday 06:00 Berlin
    const w = q('Europe/Berlin', ['fri'], '22:00', '06:00');
    const start = utc(2026, 1, 9, 21);
    const end = utc(2026, 1, 10, 5);
    expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
    expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
    // Saturday 04:00 local: still Friday's window
    expect(quietHoursAt(w, utc(2026, 1, 10, 3))).toEqual({
      quiet: true,
      endsAt: end,
    });
    expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
    expect(quietHoursAt(w, end)).toEqual({ quiet: false });
    // Saturday 22:00 local: Saturday is not listed
    expect(quietHoursAt(w, utc(2026, 1, 10, 21))).toEqual({ quiet: false });
    expect(nextQuietChange(w, end)).toBe(utc(2026, 1, 16, 21));
  });

  it('is not quiet on a day that is not listed, nor after midnight of one', () => {
    const w = q('Europe/Berlin', ['fri'], '22:00', '06:00');
    // Thursday 2026-01-08 23:00 and Friday 03:00 local
    expect(quietHoursAt(w, utc(2026, 1, 8, 22))).toEqual({ quiet: false });
    expect(quietHoursAt(w, utc(2026, 1, 9, 2))).toEqual({ quiet: false });
    expect(
      quietHoursAt(
        q('Europe/Berlin', [], '22:00', '06:00'),
        utc(2026, 1, 9, 22),
      ),
    ).toEqual({ quiet: false });
    expect(nextQuietChange(q('Europe/Berlin', [], '22:00', '06:00'), 0)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  describe('Europe/Berlin daylight saving', () => {
    it('spring-forward (2026-03-29): a start in the gap starts at the first valid instant after, 03:00 CEST', () => {
      const w = q('Europe/Berlin', ['sun'], '02:30', '06:00');
      const start = utc(2026, 3, 29, 1); // 03:00 CEST
      const end = utc(2026, 3, 29, 4); // 06:00 CEST
      expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
      expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end)).toEqual({ quiet: false });
      expect(nextQuietChange(w, utc(2026, 3, 29, 0))).toBe(start);
      // a week later (summer time) 02:30 exists: 00:30Z
      expect(nextQuietChange(w, end)).toBe(utc(2026, 4, 5, 0, 30));
    });

    it('spring-forward: an overnight window across the change is an hour shorter', () => {
      const w = q('Europe/Berlin', ['sat'], '22:00', '08:00');
      const start = utc(2026, 3, 28, 21); // 22:00 CET
      const end = utc(2026, 3, 29, 6); // 08:00 CEST
      expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
      // 01:59:59.999 CET and 03:00 CEST: the clock jumps, still quiet
      expect(quietHoursAt(w, utc(2026, 3, 29, 1) - 1)).toEqual({
        quiet: true,
        endsAt: end,
      });
      expect(quietHoursAt(w, utc(2026, 3, 29, 1))).toEqual({
        quiet: true,
        endsAt: end,
      });
      expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end)).toEqual({ quiet: false });
      expect(end - start).toBe(9 * HOUR);
    });

    it('fall-back (2026-10-25): an end that occurs twice ends at its FIRST occurrence', () => {
      const w = q('Europe/Berlin', ['sat'], '22:00', '02:30');
      const start = utc(2026, 10, 24, 20); // 22:00 CEST
      const end = utc(2026, 10, 25, 0, 30); // the first 02:30 (CEST)
      expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
      expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end)).toEqual({ quiet: false });
      // the second 02:30 (CET, an hour later) is not quiet either
      expect(quietHoursAt(w, utc(2026, 10, 25, 1, 30))).toEqual({
        quiet: false,
      });
      expect(nextQuietChange(w, start)).toBe(end);
    });

    it('fall-back: an overnight window across the change is an hour longer', () => {
      const w = q('Europe/Berlin', ['sat'], '22:00', '08:00');
      const start = utc(2026, 10, 24, 20); // 22:00 CEST
      const end = utc(2026, 10, 25, 7); // 08:00 CET
      expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end)).toEqual({ quiet: false });
      expect(end - start).toBe(11 * HOUR);
    });

    it('fall-back: a start that occurs twice starts at its first occurrence', () => {
      const w = q('Europe/Berlin', ['sun'], '02:30', '04:00');
      const start = utc(2026, 10, 25, 0, 30); // the first 02:30 (CEST)
      const end = utc(2026, 10, 25, 3); // 04:00 CET
      expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
      expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end)).toEqual({ quiet: false });
    });
  });

  describe('America/New_York daylight saving', () => {
    it('spring-forward (2026-03-08): 02:00 does not exist; the window starts at 03:00 EDT', () => {
      const w = q('America/New_York', ['sun'], '02:00', '05:00');
      const start = utc(2026, 3, 8, 7); // 03:00 EDT
      const end = utc(2026, 3, 8, 9); // 05:00 EDT
      expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
      expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end)).toEqual({ quiet: false });
    });

    it('spring-forward: Saturday 22:00 EST to Sunday 06:00 EDT', () => {
      const w = q('America/New_York', ['sat'], '22:00', '06:00');
      const start = utc(2026, 3, 8, 3);
      const end = utc(2026, 3, 8, 10);
      expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
      expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end)).toEqual({ quiet: false });
      expect(end - start).toBe(7 * HOUR);
    });

    it('fall-back (2026-11-01): 01:30 occurs twice; the window ends at the first (EDT)', () => {
      const w = q('America/New_York', ['sat'], '20:00', '01:30');
      const start = utc(2026, 11, 1, 0); // Saturday 20:00 EDT
      const end = utc(2026, 11, 1, 5, 30); // 01:30 EDT
      expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
      expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
      expect(quietHoursAt(w, end)).toEqual({ quiet: false });
      // 01:30 EST, the second occurrence
      expect(quietHoursAt(w, utc(2026, 11, 1, 6, 30))).toEqual({
        quiet: false,
      });
    });
  });

  it('Asia/Kolkata (UTC+05:30): Monday 20:00 to Tuesday 08:00 IST', () => {
    const w = q('Asia/Kolkata', ['mon'], '20:00', '08:00');
    const start = utc(2026, 1, 5, 14, 30);
    const end = utc(2026, 1, 6, 2, 30);
    expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
    expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
    expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
    expect(quietHoursAt(w, end)).toEqual({ quiet: false });
    expect(nextQuietChange(w, start - 1)).toBe(start);
    expect(nextQuietChange(w, start)).toBe(end);
  });

  it('start equal to end is a 24 h window (23 h across spring-forward)', () => {
    const w = q('Europe/Berlin', ['wed'], '09:00', '09:00');
    const start = utc(2026, 1, 7, 8);
    const end = utc(2026, 1, 8, 8);
    expect(quietHoursAt(w, start - 1)).toEqual({ quiet: false });
    expect(quietHoursAt(w, start)).toEqual({ quiet: true, endsAt: end });
    expect(quietHoursAt(w, end - 1)).toEqual({ quiet: true, endsAt: end });
    expect(quietHoursAt(w, end)).toEqual({ quiet: false });
    expect(end - start).toBe(24 * HOUR);

    const dst = q('Europe/Berlin', ['sat'], '12:00', '12:00');
    const s2 = utc(2026, 3, 28, 11); // 12:00 CET
    const e2 = utc(2026, 3, 29, 10); // 12:00 CEST
    expect(quietHoursAt(dst, s2)).toEqual({ quiet: true, endsAt: e2 });
    expect(e2 - s2).toBe(23 * HOUR);
  });

  it('windows that touch count as one quiet period', () => {
    const w = q('Europe/Berlin', ['mon', 'tue'], '09:00', '09:00');
    const at = utc(2026, 1, 5, 10); // Monday 11:00
    const end = utc(2026, 1, 7, 8); // Wednesday 09:00
    expect(quietHoursAt(w, at)).toEqual({ quiet: true, endsAt: end });
    expect(nextQuietChange(w, at)).toBe(end);
  });

  it('agrees with luxon local time every hour of 2026 (Berlin, every day 20:00-08:00)', () => {
    const w = q(
      'Europe/Berlin',
      ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      '20:00',
      '08:00',
    );
    let quietHours = 0;
    const wrong: string[] = [];
    for (let t = utc(2026, 1, 1, 0); t < utc(2027, 1, 1, 0); t += HOUR) {
      const local = DateTime.fromMillis(t, { zone: 'Europe/Berlin' });
      const expected = local.hour >= 20 || local.hour < 8;
      const got = quietHoursAt(w, t);
      if (got.quiet !== expected) wrong.push(`${local.toISO()}: ${got.quiet}`);
      if (!got.quiet) continue;
      quietHours++;
      const endLocal = DateTime.fromMillis(got.endsAt, {
        zone: 'Europe/Berlin',
      });
      if (
        endLocal.hour !== 8 ||
        endLocal.minute !== 0 ||
        got.endsAt - t > 13 * HOUR
      )
        wrong.push(`${local.toISO()}: ends ${endLocal.toISO()}`);
    }
    expect(wrong).toEqual([]);
    // 12 quiet hours a day, minus the spring-forward hour, plus the fall-back hour
    expect(quietHours).toBe(365 * 12);
  }, 60_000);
});
