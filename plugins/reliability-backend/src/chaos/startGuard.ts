import type {
  ChaosExperimentRecord,
  SloStatus,
} from '@reliability-suite/plugin-reliability-common';

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
