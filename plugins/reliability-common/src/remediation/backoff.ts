/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * the delay before retry n (0-based) is uniform in [0, min(cap, base * 2^n)).
 * @public
 */
export function fullJitterDelayMs(
  retry: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}
