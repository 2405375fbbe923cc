/** Nearest-rank percentile of a list of numbers (p in [0, 100]); null for an empty list. @public */
export function percentile(
  values: readonly number[],
  p: number,
): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}
