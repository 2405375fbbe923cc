import type { SloStatus } from './status';

/** A condition that should have an open alert. @public */
export interface AlertCondition {
  /** `page 14.4x 1h&5m`, `ticket 3x 1d&2h`, or `no_data`. */
  rule: string;
  severity: 'page' | 'ticket';
  details: Record<string, unknown>;
}

/**
 * The alert conditions an evaluated status raises: each firing multi-window burn-rate rule, and a no-data
 * alert when the SLI stops reporting (traffic earlier in the window but none in the last 5 minutes) or its source
 * cannot be read. An SLO that never had traffic raises nothing.
 * @public
 */
export function alertConditions(status: SloStatus): AlertCondition[] {
  const out: AlertCondition[] = status.firing.map(rule => ({
    rule,
    severity: rule.startsWith('page') ? 'page' : 'ticket',
    details: { burnRates: status.burnRates, budgetRemaining: status.budgetRemaining },
  }));
  if (status.reason) {
    out.push({ rule: 'no_data', severity: 'ticket', details: { reason: status.reason } });
  } else if (status.total > 0 && status.burnRates['5m'] === null) {
    out.push({ rule: 'no_data', severity: 'ticket', details: { reason: 'the SLI has not reported for 5 minutes' } });
  }
  return out;
}
