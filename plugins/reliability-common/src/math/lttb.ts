/** A point of a time series: x is epoch ms, y may be null for gaps. @public */
export interface SeriesPoint {
  t: number;
  v: number | null;
}

/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the first and last points and, from
 * each bucket, the point forming the largest triangle with its neighbours, so spikes survive.
 * Null values are gaps: they are kept as-is when chosen bucket has only gaps.
 * @public
 */
export function lttb<T extends SeriesPoint>(
  data: readonly T[],
  threshold: number,
): T[] {
  const n = data.length;
  if (threshold >= n || threshold <= 0) return data.slice();
  if (threshold < 3)
    return [data[0], data[n - 1]].slice(0, Math.max(1, threshold));
  const sampled: T[] = [data[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // average point of the next bucket
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    let cnt = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      const v = data[j].v;
      if (v === null) continue;
      avgX += data[j].t;
      avgY += v;
      cnt++;
    }
    if (cnt > 0) {
      avgX /= cnt;
      avgY /= cnt;
    } else {
      avgX = data[Math.min(nextStart, n - 1)].t;
      avgY = 0;
    }
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = data[a].t;
    const ay = data[a].v ?? 0;
    let maxArea = -1;
    let chosen = start;
    for (let j = start; j < end; j++) {
      const v = data[j].v;
      if (v === null) {
        if (maxArea < 0) chosen = j;
        continue;
      }
      const area = Math.abs(
        (ax - avgX) * (v - ay) - (ax - data[j].t) * (avgY - ay),
      );
      if (area > maxArea) {
        maxArea = area;
        chosen = j;
      }
    }
    sampled.push(data[chosen]);
    a = chosen;
  }
  sampled.push(data[n - 1]);
  return sampled;
}
