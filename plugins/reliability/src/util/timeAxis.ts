/**
 * Time axes for the charts, as pure functions of the range and the time zone: where the ticks go (on round local
 * times: every 15 minutes, hour, 6 hours, day, week) and what they say (HH:mm over hours, the day over days, the date
 * on the first tick and on the first tick of each new day).
 */
import { dateFormat } from './dates';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Tick spacings, finest first; past a week the spacing is a whole number of weeks. */
const STEPS = [
  MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

/** Up to this span the axis reads in times of day (HH:mm), past it in days. */
export const TIME_OF_DAY_MAX_SPAN = 2 * DAY;

const partsCache = new Map<string, Intl.DateTimeFormat>();
function partsFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = partsCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsCache.set(key, f);
  }
  return f;
}

/** How far the zone's wall clock is ahead of UTC at instant t, in ms (UTC: 0; Europe/Berlin in winter: 1 h). */
export function zoneOffset(t: number, timeZone?: string): number {
  const p: Record<string, number> = {};
  for (const { type, value } of partsFormat(timeZone).formatToParts(t))
    if (type !== 'literal') p[type] = Number(value);
  const wall = Date.UTC(
    p.year,
    p.month - 1,
    p.day,
    p.hour === 24 ? 0 : p.hour,
    p.minute,
    p.second,
  );
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant whose wall clock in the zone reads `wall` (ms since the epoch as if the zone were UTC). */
function fromWall(wall: number, timeZone?: string): number {
  const guess = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(guess, timeZone);
}

/** The spacing of ticks for a span: the finest one that needs no more than `maxTicks` ticks. */
export function tickStep(span: number, maxTicks = 6): number {
  const wanted = span / Math.max(1, maxTicks - 1);
  const step = STEPS.find(s => s >= wanted);
  return step ?? Math.ceil(wanted / (7 * DAY)) * 7 * DAY;
}

/**
 * Ticks on round wall-clock times of the zone between `from` and `to` (both epoch ms): 14:00, 16:00, … over hours,
 * midnights over days. An empty or reversed range has the one tick `from`.
 */
export function axisTicks(
  from: number,
  to: number,
  options: { maxTicks?: number; timeZone?: string } = {},
): number[] {
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from)
    return Number.isFinite(from) ? [from] : [];
  const { maxTicks = 6, timeZone } = options;
  const step = tickStep(to - from, maxTicks);
  const ticks: number[] = [];
  // walk the zone's wall clock: a tick every `step` of local time, each converted back to an instant
  const wallFrom = from + zoneOffset(from, timeZone);
  const wallTo = to + zoneOffset(to, timeZone);
  // spacings of days start at the first midnight; shorter ones at the first multiple of themselves (midnight-aligned)
  const unit = Math.min(step, DAY);
  let wall = Math.ceil(wallFrom / unit) * unit;
  for (; wall <= wallTo && ticks.length < 1000; wall += step) {
    const t = fromWall(wall, timeZone);
    if (t >= from && t <= to && ticks[ticks.length - 1] !== t) ticks.push(t);
  }
  return ticks;
}

const dayKey = (t: number, timeZone?: string) => {
  const wall = t + zoneOffset(t, timeZone);
  return Math.floor(wall / DAY);
};

/**
 * The labels of `ticks` for an axis spanning `span` ms: over up to two days the time of day (`14:00`), with the
 * date before it on the first tick and on the first tick of each new day (`Dec 4 00:00`); over longer spans the
 * day (`Dec 4`).
 */
export function tickLabels(
  ticks: readonly number[],
  span: number,
  timeZone?: string,
): string[] {
  const time = dateFormat({
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  });
  const day = dateFormat({ month: 'short', day: 'numeric', timeZone });
  if (span > TIME_OF_DAY_MAX_SPAN) return ticks.map(t => day(t));
  return ticks.map((t, i) => {
    const newDay =
      i === 0 || dayKey(t, timeZone) !== dayKey(ticks[i - 1], timeZone);
    return newDay ? `${day(t)} ${time(t)}` : time(t);
  });
}

/** A recharts tick formatter for these ticks: each tick's label, whatever index the chart passes. */
export function tickFormatter(
  ticks: readonly number[],
  span: number,
  timeZone?: string,
): (value: number) => string {
  const labels = tickLabels(ticks, span, timeZone);
  const byValue = new Map(ticks.map((t, i) => [t, labels[i]]));
  const fallback = dateFormat({
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  });
  return value => byValue.get(value) ?? fallback(value);
}

/** The full time of a point, for tooltips: `Dec 3, 2026, 14:05 UTC`. */
export function fullTime(t: number, timeZone?: string): string {
  return dateFormat({
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
    timeZone,
  })(t);
}
