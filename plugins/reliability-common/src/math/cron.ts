import { parseExpression } from 'cron-parser';

/**
 * Five-field cron expressions without cron-parser's iterator (about a millisecond a step): the expression is parsed
 * once, and the days, hours and minutes it allows are walked with plain date arithmetic.
 */

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** How many days the shortest gap looks at: eight years hold every weekday of every date, 29 February twice. */
const GAP_SPAN_DAYS = 8 * 366;

/** The allowed minutes, hours and days of a five-field cron expression (UTC), or undefined when it is not one. @public */
export function cronFields(
  cron: string,
):
  | { minutes: number[]; hours: number[]; days: (d: Date) => boolean }
  | undefined {
  let fields;
  try {
    fields = parseExpression(cron, { utc: true }).fields;
  } catch {
    return undefined;
  }
  const months = new Set(fields.month);
  const doms = new Set(fields.dayOfMonth);
  const dows = new Set(fields.dayOfWeek.map(d => d % 7));
  // standard cron: with both day fields restricted, a day matches either; with one restricted, that one
  const domAll = fields.dayOfMonth.length === 31;
  const dowAll = dows.size === 7;
  return {
    minutes: [...fields.minute],
    hours: [...fields.hour],
    days: d => {
      if (!months.has((d.getUTCMonth() + 1) as never)) return false;
      const dom = doms.has(d.getUTCDate() as never);
      const dow = dows.has(d.getUTCDay());
      if (domAll && dowAll) return true;
      if (domAll) return dow;
      if (dowAll) return dom;
      return dom || dow;
    },
  };
}

/**
 * The shortest time between two consecutive runs of a cron expression (UTC), in ms: within a day (consecutive
 * allowed times), and across days (the last time of a day to the first time of the next allowed day, over eight
 * years from `from`). Undefined when the expression does not parse; Infinity when it never runs or runs once.
 * Linear in the day span (2,928 days) and the times of a day (at most 1,440).
 * @public
 */
export function cronShortestGapMs(
  cron: string,
  from = Date.UTC(2026, 0, 1),
): number | undefined {
  const fields = cronFields(cron);
  if (!fields) return undefined;
  const times = [
    ...new Set(fields.hours.flatMap(h => fields.minutes.map(m => h * 60 + m))),
  ].sort((a, b) => a - b);
  if (!times.length) return Infinity;
  let shortest = Infinity;
  for (let i = 1; i < times.length; i++)
    shortest = Math.min(shortest, (times[i] - times[i - 1]) * MINUTE_MS);
  const firstDay = Math.floor(from / DAY_MS) * DAY_MS;
  let previous: number | undefined;
  for (
    let day = firstDay;
    day < firstDay + GAP_SPAN_DAYS * DAY_MS;
    day += DAY_MS
  ) {
    if (!fields.days(new Date(day))) continue;
    if (previous !== undefined)
      shortest = Math.min(
        shortest,
        day - previous + (times[0] - times[times.length - 1]) * MINUTE_MS,
      );
    previous = day;
  }
  return shortest;
}
