import type {
  ChaosExperimentRecord,
  SloStatus,
  SyntheticRegionMonitoring,
} from '@reliability-suite/plugin-reliability-common';

/**
 * Whether a live runner watches each region (the synthetics runners' reports): a region nobody watches has no
 * steady state to guard. Absent when no runner runs journeys on this portal (synthetics turned off).
 */
export type RegionMonitor = (
  regions: string[],
) => Promise<Record<string, SyntheticRegionMonitoring>>;

/**
 * The start guard's region rule, the same for a start from the portal and a scheduled start: an experiment that
 * names regions starts only when a live runner watches every one of them, or null.
 */
export async function regionRefusal(
  e: ChaosExperimentRecord,
  monitor: RegionMonitor | undefined,
): Promise<string | null> {
  const regions = e.experiment.blastRadius.regions;
  if (!monitor || !regions.length) return null;
  const monitoring = await monitor(regions);
  const unwatched = regions.flatMap((region, i) => {
    const m = monitoring[region];
    return m?.status === 'monitored'
      ? []
      : [
          `blastRadius.regions.${i}: ${region} has no reachable runner (${
            m?.reason ?? 'no runner reported it'
          })`,
        ];
  });
  return unwatched.length
    ? `${unwatched.join(
        '; ',
      )}; chaos starts only where its steady state is watched`
    : null;
}

const fmt = (n: number) => `${Number((n * 100).toFixed(1))}%`;

/**
 * The start guard, the same for a start from the portal and a scheduled start: why the experiment may not start
 * now, or null. It refuses while the steady-state SLO is burning, exhausted, not yet evaluated, or below the
 * experiment's least budget.
 */
export function startRefusal(
  e: ChaosExperimentRecord,
  status: SloStatus | undefined,
): string | null {
  const steady = e.experiment.steadyState;
  if (!status)
    return `${steady.slo} has not been evaluated yet, so its budget is unknown`;
  if (status.state === 'burning' || status.state === 'exhausted')
    return `${steady.slo} is ${status.state}${
      status.firing.length
        ? ` (${status.firing.map(f => f.id).join(', ')})`
        : ''
    }; chaos must respect business SLOs`;
  if (
    status.budgetRemaining === null ||
    status.budgetRemaining < steady.minBudgetRemaining
  )
    return `${steady.slo} has ${
      status.budgetRemaining === null
        ? 'no measured budget'
        : `${fmt(status.budgetRemaining)} of its error budget left`
    }; the experiment needs at least ${fmt(steady.minBudgetRemaining)}`;
  return null;
}
