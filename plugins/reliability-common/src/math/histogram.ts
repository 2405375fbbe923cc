/**
 * The quantile of a histogram, as Prometheus's `histogram_quantile` reads classic (bucketed) histograms. No I/O.
 *
 * Buckets are cumulative (`le` upper bounds, increasing, the last one `+Inf`). The quantile's rank is q x the total
 * count; the bucket holding that rank is found and the value is interpolated linearly inside it, assuming its
 * observations spread evenly between the previous bucket's bound and its own (0 below the first bucket when that
 * bound is positive). A rank in the `+Inf` bucket answers the highest finite bound. Without observations, or
 * without a `+Inf` bucket, there is no value (NaN in Prometheus, null here).
 */

/** One cumulative bucket: observations less than or equal to `le`. @public */
export interface HistogramBucket {
  le: number | '+Inf';
  count: number;
}

/** Prometheus's classic `histogram_quantile(q, buckets)`; null where Prometheus answers NaN. @public */
export function histogramQuantile(
  q: number,
  buckets: readonly HistogramBucket[],
): number | null {
  if (!(q >= 0 && q <= 1)) return null;
  const sorted = buckets
    .map(b => ({ le: b.le === '+Inf' ? Infinity : b.le, count: b.count }))
    .sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1].le !== Infinity)
    return null;
  // counts made monotonic, as Prometheus does for buckets scraped at slightly different moments
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].count < sorted[i - 1].count)
      sorted[i].count = sorted[i - 1].count;
  const total = sorted[sorted.length - 1].count;
  if (!(total > 0)) return null;
  const rank = q * total;
  const b = sorted.findIndex(x => x.count >= rank);
  if (b === sorted.length - 1) return sorted[sorted.length - 2].le;
  if (b === 0 && sorted[0].le <= 0) return sorted[0].le;
  let start = 0;
  const end = sorted[b].le;
  let count = sorted[b].count;
  let below = 0;
  if (b > 0) {
    start = sorted[b - 1].le;
    below = sorted[b - 1].count;
    count -= below;
  }
  if (count === 0) return null;
  return start + (end - start) * ((rank - below) / count);
}
