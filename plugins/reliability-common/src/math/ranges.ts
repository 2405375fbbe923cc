/** Half-open time ranges and their arithmetic (merge, subtract): what budget corrections exclude. Pure. */

/** A half-open time range [start, end), epoch ms. @public */
export interface TimeRange {
  start: number;
  end: number;
}

/** Ranges sorted and merged where they overlap or touch. @public */
export function mergeRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges
    .filter(r => r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** [start, end) without the (merged, sorted) excluded ranges: the pieces left, in order. @public */
export function subtractRanges(
  interval: TimeRange,
  excluded: readonly TimeRange[],
): TimeRange[] {
  const out: TimeRange[] = [];
  let at = interval.start;
  for (const x of excluded) {
    if (x.end <= at) continue;
    if (x.start >= interval.end) break;
    if (x.start > at)
      out.push({ start: at, end: Math.min(x.start, interval.end) });
    at = Math.max(at, x.end);
    if (at >= interval.end) break;
  }
  if (at < interval.end) out.push({ start: at, end: interval.end });
  return out;
}
