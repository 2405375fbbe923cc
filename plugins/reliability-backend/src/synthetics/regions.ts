import type { SyntheticRegionMonitoring } from '@reliability-suite/plugin-reliability-common';
import { ALL_REGIONS, RunnerPresence } from './SyntheticStore';

/** How long a runner's report counts: three intervals (a replica reports every interval) and 5 s of slack. */
export function presenceStaleAfterMs(intervalSeconds: number): number {
  return 3 * intervalSeconds * 1000 + 5_000;
}

/**
 * Whether a live runner serves each region: one reporting that region, or one reporting every region (`*`), seen
 * within its stale-after time. An unmonitored region says whether no replica ever ran it or when the last one was seen.
 */
export function regionMonitoring(
  regions: string[],
  presence: RunnerPresence[],
  now: number,
): Record<string, SyntheticRegionMonitoring> {
  const live = (p?: RunnerPresence) =>
    Boolean(p && p.seenAt + p.staleAfterMs >= now);
  const any = presence.find(p => p.region === ALL_REGIONS);
  return Object.fromEntries(
    regions.map(region => {
      const own = presence.find(p => p.region === region);
      if (live(own) || live(any))
        return [region, { status: 'monitored' } as SyntheticRegionMonitoring];
      const last = Math.max(own?.seenAt ?? 0, any?.seenAt ?? 0);
      return [
        region,
        {
          status: 'unmonitored',
          reason: last
            ? `no runner for ${region} since ${new Date(
                last,
              ).toISOString()}: the replica that ran it stopped reporting`
            : `no backend replica runs ${region} (set reliability.synthetics.region: ${region} on one)`,
        } as SyntheticRegionMonitoring,
      ];
    }),
  );
}
