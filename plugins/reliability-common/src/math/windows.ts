import { DateTime } from 'luxon';
import {
  Duration,
  durationMs,
  formatDuration,
  isFixedDuration,
} from './duration';

/**
 * The SLO's compliance window: rolling (always the last `duration`) or calendar-aligned
 * (the current month/week/day… in a time zone, starting from `startTime`).
 * @public
 */
export type TimeWindow =
  | { kind: 'rolling'; duration: Duration }
  | {
      kind: 'calendar';
      duration: Duration;
      /** IANA time zone, e.g. Europe/Berlin. */
      timeZone: string;
      /** ISO timestamp (in timeZone when no offset) at which the first period started. */
      startTime?: string;
    };

/** A half-open interval [start, end) in epoch milliseconds. @public */
export interface Interval {
  start: number;
  end: number;
}

/** Human label: `30d rolling`, `1M calendar (Europe/Berlin)`. @public */
export function describeWindow(w: TimeWindow): string {
  return w.kind === 'rolling'
    ? `${formatDuration(w.duration)} rolling`
    : `${formatDuration(w.duration)} calendar (${w.timeZone})`;
}

/** Months in a calendar unit that is not a fixed length (a year otherwise). */
const MONTHS_PER_UNIT: Record<string, number> = { M: 1, Q: 3, Y: 12 };
const LUXON_UNIT: Record<string, string> = {
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
  w: 'weeks',
  M: 'months',
  Q: 'quarters',
  Y: 'years',
};

function calendarAnchor(
  w: Extract<TimeWindow, { kind: 'calendar' }>,
): DateTime {
  if (w.startTime) {
    const iso = w.startTime.trim().replace(' ', 'T');
    const dt = DateTime.fromISO(iso, { zone: w.timeZone, setZone: true });
    if (dt.isValid) return dt.setZone(w.timeZone);
  }
  // Without a start time, periods align to the natural unit boundary (1970-01-01 in that zone).
  return DateTime.fromObject(
    { year: 1970, month: 1, day: 1 },
    { zone: w.timeZone },
  );
}

/**
 * The window that contains `now`: for a rolling window [now - duration, now);
 * for a calendar window the current period [periodStart, periodEnd), with period boundaries computed in the
 * window's time zone (so a 1M window starts at local midnight of the 1st, whatever DST does).
 * @public
 */
export function windowAt(w: TimeWindow, now: number): Interval {
  if (w.kind === 'rolling') {
    return { start: now - durationMs(w.duration), end: now };
  }
  const unit = LUXON_UNIT[w.duration.unit];
  const anchor = calendarAnchor(w);
  const at = DateTime.fromMillis(now, { zone: w.timeZone });
  // periods elapsed since the anchor, in whole units of the window
  let diff: number;
  if (isFixedDuration(w.duration)) {
    diff = Math.floor(
      at.diff(anchor, unit as any).get(unit as any) / w.duration.amount,
    );
  } else {
    const months = at.diff(anchor, 'months').months;
    const perPeriod =
      w.duration.amount * (MONTHS_PER_UNIT[w.duration.unit] ?? 12);
    diff = Math.floor(months / perPeriod);
  }
  let start = anchor.plus({ [unit]: diff * w.duration.amount });
  // guard against floating rounding at exact boundaries
  while (start.toMillis() > now)
    start = start.minus({ [unit]: w.duration.amount });
  let end = start.plus({ [unit]: w.duration.amount });
  while (end.toMillis() <= now) {
    start = end;
    end = start.plus({ [unit]: w.duration.amount });
  }
  return { start: start.toMillis(), end: end.toMillis() };
}
