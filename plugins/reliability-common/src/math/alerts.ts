import { describeRule, SloStatus } from './status';
import { DEFAULT_MWMB_RULES, MwmbRule } from './mwmb';

/** A condition that should have an open alert. @public */
export interface AlertCondition {
  /** `page 14.4x 1h&5m`, `ticket 3x 1d&2h`, or `no_data`. */
  rule: string;
  severity: 'page' | 'ticket';
  details: Record<string, unknown>;
  /** How long it must hold before it fires, when its rule says (OpenSLO alertAfter). */
  pendingMs?: number;
}

/**
 * The alert conditions an evaluated status raises: each firing multi-window burn-rate rule, and a no-data
 * alert when the SLI stops reporting (traffic earlier in the window but none in the last 5 minutes) or its source
 * cannot be read. An SLO that never had traffic raises nothing.
 * @public
 */
export function alertConditions(
  status: SloStatus,
  policy: { rules: readonly MwmbRule[]; noData: boolean } = { rules: DEFAULT_MWMB_RULES, noData: true },
): AlertCondition[] {
  const byName = new Map(policy.rules.map(r => [describeRule(r), r]));
  const out: AlertCondition[] = status.firing.map(rule => {
    const r = byName.get(rule);
    return {
      rule,
      severity: r?.severity ?? (rule.startsWith('page') ? 'page' : 'ticket'),
      details: { burnRates: status.burnRates, budgetRemaining: status.budgetRemaining },
      ...(r?.pendingMs !== undefined ? { pendingMs: r.pendingMs } : {}),
    };
  });
  if (!policy.noData) return out;
  if (status.reason) {
    out.push({ rule: 'no_data', severity: 'ticket', details: { reason: status.reason } });
  } else if (status.total > 0 && status.burnRates['5m'] === null) {
    out.push({ rule: 'no_data', severity: 'ticket', details: { reason: 'the SLI has not reported for 5 minutes' } });
  }
  return out;
}
