import { IANAZone } from 'luxon';

/**
 * Quiet hours: a daily window, in a time zone, during which customer-facing and ticket notifications are held
 * back until the window ends. Pure time arithmetic (no I/O): the backend and the UI share it.
 */

/** The days of the week, as quiet hours name them. @public */
export const WEEKDAYS = [
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
] as const;

/** @public */
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A quiet-hours window. It starts on each listed day at `start` local time and lasts until the next `end` local
 * time: the same day when `end` is after `start`, else the next day (`end` equal to `start` is a 24 h window).
 * A `start` that does not exist (a spring-forward gap) starts at the first valid instant after it; a local time that
 * occurs twice (fall-back) is taken at its FIRST occurrence, for `start` and `end` alike.
 * @public
 */
export interface QuietHours {
  /** An IANA time zone, such as Europe/Berlin. */
  timeZone: string;
  /** The days the window STARTS on. */
  days: Weekday[];
  /** HH:MM, 24 h. */
  start: string;
  /** HH:MM, 24 h; at or before `start` means the window crosses midnight. */
  end: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Luxon's weekday (1 = Monday) to our names. */
const SUNDAY_FIRST: readonly Weekday[] = [
  'sun',
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
];

/**
 * Parses `HH:MM` (00:00 to 23:59) with a fixed-shape check, no regex. Returns minutes after midnight, or
 * undefined when the text is not of that shape.
 * @public
 */
export function parseClockTime(text: string): number | undefined {
  if (typeof text !== 'string' || text.length !== 5 || text[2] !== ':')
    return undefined;
  const digits = [text[0], text[1], text[3], text[4]];
  if (digits.some(c => c < '0' || c > '9')) return undefined;
  const [h1, h2, m1, m2] = digits.map(c => c.charCodeAt(0) - 48);
  const hh = h1 * 10 + h2;
  const mm = m1 * 10 + m2;
  if (hh > 23 || mm > 59) return undefined;
  return hh * 60 + mm;
}

/**
 * Whether `name` is an IANA time zone name known to this runtime's Intl (fixed offsets such as +01:00 are not).
 * @public
 */
export function isIanaTimeZone(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64)
    return false;
  const first = name[0];
  if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z')))
    return false;
  return IANAZone.isValidZone(name);
}

function zoneOf(q: QuietHours): IANAZone {
  const zone = IANAZone.create(q.timeZone);
  if (!zone.isValid)
    throw new Error(`quiet hours: unknown time zone ${q.timeZone}`);
  return zone;
}

function clock(text: string, field: string): number {
  const m = parseClockTime(text);
  if (m === undefined) throw new Error(`quiet hours: ${field} must be HH:MM`);
  return m;
}

/**
 * The instant a local wall-clock time (given as the UTC milliseconds of the same calendar reading) happens in
 * `zone`: its first occurrence when it occurs twice, the first valid instant after it when it does not exist.
 */
function resolveLocal(zone: IANAZone, wall: number): number {
  const offsets = new Set<number>();
  for (const probe of [wall - DAY_MS, wall, wall + DAY_MS])
    offsets.add(zone.offset(probe));
  const candidates = [...offsets].map(o => wall - o * MINUTE_MS);
  const valid = candidates.filter(t => zone.offset(t) * MINUTE_MS === wall - t);
  if (valid.length > 0) return Math.min(...valid);
  // A gap: find the transition between the earliest and the latest reading, the first instant with the new offset.
  let lo = Math.min(...candidates);
  let hi = Math.max(...candidates);
  const before = zone.offset(lo);
  for (let i = 0; i < 64 && hi - lo > 1; i++) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The merged quiet intervals [start, end) of the windows starting from `fromDay` to `toDay` days around `at`. */
function intervals(
  q: QuietHours,
  at: number,
  fromDay: number,
  toDay: number,
): [number, number][] {
  const zone = zoneOf(q);
  const start = clock(q.start, 'start');
  const end = clock(q.end, 'end');
  const days = new Set(q.days);
  const local = at + zone.offset(at) * MINUTE_MS;
  const today = Math.floor(local / DAY_MS) * DAY_MS;
  const out: [number, number][] = [];
  for (let k = fromDay; k <= toDay; k++) {
    const day = today + k * DAY_MS;
    if (!days.has(SUNDAY_FIRST[new Date(day).getUTCDay()])) continue;
    const s = resolveLocal(zone, day + start * MINUTE_MS);
    const endDay = end > start ? day : day + DAY_MS;
    const e = resolveLocal(zone, endDay + end * MINUTE_MS);
    if (s >= e) continue;
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * Whether `at` (epoch ms) falls in quiet hours, and if so when the quiet ends (windows that touch or overlap,
 * such as 24 h windows on consecutive days, count as one).
 * @public
 */
export function quietHoursAt(
  q: QuietHours,
  at: number,
): { quiet: false } | { quiet: true; endsAt: number } {
  for (const [s, e] of intervals(q, at, -2, 8)) {
    if (s <= at && at < e) return { quiet: true, endsAt: e };
  }
  return { quiet: false };
}

/**
 * The epoch ms of the next time quiet hours start or end after `at`; `Infinity` when they never change
 * (no days listed).
 * @public
 */
export function nextQuietChange(q: QuietHours, at: number): number {
  // a week and two days of windows ahead always hold the next change of a window that is not quiet all the time
  let next = Number.POSITIVE_INFINITY;
  for (const [s, e] of intervals(q, at, -2, 9)) {
    if (s > at) next = Math.min(next, s);
    if (e > at) next = Math.min(next, e);
  }
  return next;
}
