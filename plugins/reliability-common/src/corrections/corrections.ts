import { z } from 'zod';
import { parseExpression } from 'cron-parser';
import { durationMs, isFixedDuration, parseDuration } from '../math/duration';
import { cronFields } from '../math/cron';
import { mergeRanges, TimeRange } from '../math/ranges';

/**
 * Budget corrections: time ranges excluded from an SLO's budget (planned maintenance, a dependency's incident). Events
 * in an excluded range count neither as good nor as bad. A correction is one range, or a recurring window (a cron
 * expression for its starts and a duration). Corrections are audited and reverted, never deleted. No I/O here: the
 * shapes and the validation (the range arithmetic is math/ranges.ts).
 */

/** A stored correction, as the API answers it. @public */
export interface SloCorrection {
  id: string;
  sloRef: string;
  reason: string;
  /** One range: `start` and `end`. Recurring: `cron` (in `timeZone`) and `duration`, from `start`, until `end` if set. */
  kind: 'once' | 'recurring';
  start: string;
  end: string | null;
  cron?: string;
  timeZone?: string;
  duration?: string;
  createdBy: string;
  createdAt: string;
  revertedBy?: string;
  revertedAt?: string;
}

/** @public */
export interface SloCorrectionListResponse {
  items: SloCorrection[];
  nextCursor?: string;
}

const MAX_ONCE_MS = 31 * 86_400_000;
const MAX_RECURRING_DURATION_MS = 7 * 86_400_000;

const iso = (what: string) =>
  z
    .string({
      required_error: 'is required',
      invalid_type_error: `must be an ISO-8601 ${what} such as 2026-11-22T02:00:00Z`,
    })
    .max(40, 'is too long')
    .refine(
      v => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)),
      `must be an ISO-8601 ${what} such as 2026-11-22T02:00:00Z`,
    );

/** Whether a time zone is one Intl knows (IANA). */
function knownZone(tz: string): boolean {
  try {
    return (
      new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions()
        .timeZone.length > 0
    );
  } catch {
    return false;
  }
}

/**
 * POST /slos/:namespace/:name/corrections: one range (`start`, `end`, at most 31 days), or a recurring window (`cron`
 * for its starts, `duration` at most 7 days, from `start`, until `end` when given).
 * @public
 */
export const sloCorrectionCreateSchema = z
  .object({
    reason: z
      .string({
        required_error:
          'is required: say why, such as "planned database upgrade"',
      })
      .trim()
      .min(3, 'must say why, in at least 3 characters')
      .max(500, 'must be at most 500 characters'),
    start: iso('time'),
    end: iso('time').optional(),
    cron: z
      .string({
        invalid_type_error: 'must be a cron expression such as "0 2 * * 0"',
      })
      .max(100, 'must be at most 100 characters')
      .optional(),
    duration: z
      .string({ invalid_type_error: 'must be a duration such as 2h' })
      .max(10, 'must be a duration such as 2h')
      .optional(),
    timeZone: z
      .string()
      .max(64)
      .refine(knownZone, 'must be an IANA time zone such as Europe/Berlin')
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    const start = Date.parse(v.start);
    const end = v.end === undefined ? undefined : Date.parse(v.end);
    if (v.cron === undefined) {
      if (v.duration !== undefined)
        issue(
          'cron',
          'is required with duration: a recurring window needs both',
        );
      if (end === undefined)
        return issue(
          'end',
          'is required for a one-off range (or give cron and duration for a recurring window)',
        );
      if (!(end > start)) return issue('end', 'must be after start');
      if (end - start > MAX_ONCE_MS)
        issue('end', 'must be at most 31 days after start');
      return undefined;
    }
    if (v.duration === undefined)
      return issue(
        'duration',
        'is required with cron: how long each window lasts, such as 2h',
      );
    const d = parseDuration(v.duration);
    if (!d || !isFixedDuration(d) || d.unit === 's')
      return issue(
        'duration',
        'must be a duration in minutes, hours, days or weeks, such as 30m or 2h',
      );
    if (durationMs(d) > MAX_RECURRING_DURATION_MS)
      issue('duration', 'must be at most 7 days');
    if (end !== undefined && !(end > start))
      issue('end', 'must be after start');
    const fields = v.cron.trim().split(' ').filter(Boolean);
    if (fields.length !== 5)
      return issue(
        'cron',
        'must have 5 fields (minute hour day-of-month month day-of-week), such as "0 2 * * 0"',
      );
    // cron-parser's extensions (L, W, #) are not walked; a window comes round at most once an hour
    if (
      [...v.cron].some(
        ch => ch === 'L' || ch === 'W' || ch === '#' || ch === '?',
      )
    )
      return issue(
        'cron',
        'must use numbers, ranges, lists and steps only (no L, W, # or ?)',
      );
    let minutes: number;
    try {
      minutes = parseExpression(v.cron, { utc: true }).fields.minute.length;
    } catch (e) {
      return issue(
        'cron',
        `is not a cron expression: ${(e as Error).message.slice(0, 100)}`,
      );
    }
    if (minutes > 1)
      issue(
        'cron',
        'must not start a window more often than once an hour (one minute of the hour)',
      );
    return undefined;
  });

/** @public */
export type SloCorrectionCreate = z.infer<typeof sloCorrectionCreateSchema>;

/** The most windows a recurring correction contributes to one evaluation. @public */
export const MAX_RECURRING_WINDOWS = 1_000;

/**
 * The excluded ranges of some corrections that overlap [from, to), merged and sorted. A recurring correction's windows
 * start at each cron time (in its time zone) from its start; at most MAX_RECURRING_WINDOWS of them per correction.
 * Reverted corrections are skipped.
 * @public
 */
export function excludedRanges(
  corrections: readonly SloCorrection[],
  from: number,
  to: number,
  cache?: RecurrenceCache,
): TimeRange[] {
  const ranges: TimeRange[] = [];
  for (const c of corrections) {
    if (c.revertedAt) continue;
    const start = Date.parse(c.start);
    const end = c.end ? Date.parse(c.end) : Infinity;
    if (c.kind === 'once') {
      if (end > from && start < to)
        ranges.push({ start: Math.max(start, from), end: Math.min(end, to) });
      continue;
    }
    const len = durationMs(c.duration!);
    // windows that start in [max(start, from - len), min(end, to)) overlap [from, to)
    const first = Math.max(start, from - len);
    const last = Math.min(end, to);
    if (!(last > first)) continue;
    for (const s of cachedStarts(c, first, last, cache)) {
      const e = Math.min(s + len, end);
      if (e > from && s < to)
        ranges.push({ start: Math.max(s, from), end: Math.min(e, to) });
    }
  }
  return mergeRanges(ranges);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time of instant t in a time zone, as if that wall clock were UTC (epoch ms). */
function wallClock(t: number, timeZone: string): number {
  let f = formatters.get(timeZone);
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
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(
    f.formatToParts(new Date(t)).map(x => [x.type, x.value]),
  );
  return Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
}

/**
 * The instant a wall-clock time (as UTC ms) happens in a time zone. A time the clocks repeat (fall back) happens the
 * first time; a time they skip (spring forward) is moved forward by the jump, as JavaScript's Date does.
 */
function fromWallClock(wall: number, timeZone: string): number {
  const c1 = wall - (wallClock(wall, timeZone) - wall);
  const c2 = wall - (wallClock(c1, timeZone) - c1);
  const exact = [c1, c2].filter(c => wallClock(c, timeZone) === wall);
  return exact.length ? Math.min(...exact) : Math.max(c1, c2);
}

const DAY_MS = 86_400_000;

/**
 * The starts of a cron's windows in [first, last), in a time zone: cron-parser parses the expression; the days, hours
 * and minutes it allows are walked on the zone's wall clock (a day at a time: cron-parser's own iterator takes about
 * a millisecond a step), and each wall-clock start is turned into its instant. At most MAX_RECURRING_WINDOWS.
 */
function cronStarts(
  cron: string,
  timeZone: string,
  first: number,
  last: number,
): number[] {
  const fields = cronFields(cron);
  if (!fields) return [];
  const out: number[] = [];
  // a day of margin on both sides (no zone is a day away from UTC); each start is checked against [first, last)
  const from =
    Math.floor((wallClock(first, timeZone) - DAY_MS) / DAY_MS) * DAY_MS;
  const to = wallClock(last, timeZone) + DAY_MS;
  for (
    let day = from;
    day <= to && out.length < MAX_RECURRING_WINDOWS;
    day += DAY_MS
  ) {
    if (!fields.days(new Date(day))) continue;
    for (const h of fields.hours) {
      for (const m of fields.minutes) {
        const t = fromWallClock(day + h * 3_600_000 + m * 60_000, timeZone);
        if (t >= first && t < last && t !== out[out.length - 1]) out.push(t);
      }
    }
  }
  return out.sort((a, b) => a - b).slice(0, MAX_RECURRING_WINDOWS);
}

/**
 * Starts of recurring windows already expanded, per correction: an evaluation every minute slides its range by a
 * minute, so expanding a day ahead serves a day of ticks. Keep one per process; it forgets itself past 10,000 entries.
 * @public
 */
export type RecurrenceCache = Map<
  string,
  { first: number; last: number; starts: number[] }
>;

function cachedStarts(
  c: SloCorrection,
  first: number,
  last: number,
  cache?: RecurrenceCache,
): number[] {
  const tz = c.timeZone ?? 'UTC';
  if (!cache) return cronStarts(c.cron!, tz, first, last);
  const key = `${c.id}|${c.cron}|${tz}`;
  const hit = cache.get(key);
  if (
    hit &&
    hit.first <= first &&
    hit.last >= last &&
    hit.starts.length < MAX_RECURRING_WINDOWS
  )
    return hit.starts.filter(s => s >= first && s < last);
  if (cache.size > 10_000) cache.clear();
  const ahead = last + 86_400_000;
  const starts = cronStarts(c.cron!, tz, first, ahead);
  cache.set(key, { first, last: ahead, starts });
  return starts.filter(s => s < last);
}
