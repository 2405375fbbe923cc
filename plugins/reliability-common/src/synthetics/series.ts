import { percentile } from '../math/percentile';

/** Bucketing of a journey's runs for its chart: success rate and p95 per bucket and region. */

/** One bucket of a journey's runs in one region. @public */
export interface SyntheticSeriesPoint {
  t: number;
  region: string;
  runs: number;
  /** Share of runs that succeeded within the deadline, 0..1. */
  successRate: number;
  /** 95th percentile of the runs' durations (nearest rank). */
  p95Ms: number;
}

const SERIES_BUCKET: Record<
  '24h' | '7d' | '30d',
  { rangeMs: number; bucketMs: number }
> = {
  '24h': { rangeMs: 86_400_000, bucketMs: 3_600_000 },
  '7d': { rangeMs: 7 * 86_400_000, bucketMs: 6 * 3_600_000 },
  '30d': { rangeMs: 30 * 86_400_000, bucketMs: 86_400_000 },
};

/** The range and bucket size of a series. @public */
export function syntheticSeriesRange(range: '24h' | '7d' | '30d'): {
  rangeMs: number;
  bucketMs: number;
} {
  return SERIES_BUCKET[range];
}

/** Code-unit order of two texts (-1, 0 or 1), as `<` compares them. */
const compareText = (a: string, b: string): number =>
  a < b ? -1 : Number(a > b);

/**
 * Runs bucketed per region: success rate and p95 duration per bucket (buckets aligned to `bucketMs` since the epoch),
 * ordered by time then region. Linear in the runs, plus a sort per bucket.
 * @public
 */
export function syntheticSeries(
  runs: {
    startedAt: number;
    region: string;
    success: boolean;
    durationMs: number;
  }[],
  bucketMs: number,
): SyntheticSeriesPoint[] {
  const buckets = new Map<
    string,
    { t: number; region: string; ok: number; durations: number[] }
  >();
  for (const r of runs) {
    const t = Math.floor(r.startedAt / bucketMs) * bucketMs;
    const key = `${t}|${r.region}`;
    let b = buckets.get(key);
    if (!b)
      buckets.set(key, (b = { t, region: r.region, ok: 0, durations: [] }));
    if (r.success) b.ok++;
    b.durations.push(r.durationMs);
  }
  return [...buckets.values()]
    .sort((a, b) => a.t - b.t || compareText(a.region, b.region))
    .map(b => ({
      t: b.t,
      region: b.region,
      runs: b.durations.length,
      successRate: b.ok / b.durations.length,
      p95Ms: percentile(b.durations, 95) ?? 0,
    }));
}
