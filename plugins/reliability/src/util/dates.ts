/**
 * Date formatters for charts and lists, each an `Intl.DateTimeFormat` made once per set of options. Making one is
 * costly (`Date.prototype.toLocaleString` with options makes one per call), and a chart formats every candidate tick
 * of every axis on each render: the tab's charts spent about 100 ms of a switch there.
 */
const cache = new Map<string, Intl.DateTimeFormat>();

export function dateFormat(
  options: Intl.DateTimeFormatOptions,
  locale = 'en-US',
): (t: number | string | Date) => string {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    cache.set(key, format);
  }
  const f = format;
  return t => f.format(typeof t === 'string' ? new Date(t) : t);
}

/**
 * `count` evenly spaced ticks from the first to the last point, for a time axis: the chart then lays out and
 * measures these labels only, not one candidate per point.
 */
export function timeTicks(
  points: readonly { t: number }[],
  count = 6,
): number[] {
  if (points.length < 2) return points.map(p => p.t);
  const from = points[0].t;
  const to = points[points.length - 1].t;
  return Array.from({ length: count }, (_, i) =>
    Math.round(from + ((to - from) * i) / (count - 1)),
  );
}
