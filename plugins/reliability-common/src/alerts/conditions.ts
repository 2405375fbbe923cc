import { SloStatus } from '../math/status';
import { exhaustionRuleId, NO_DATA_RULE } from './identity';
import { ruleId } from '../math/rules';
import { DEFAULT_MWMB_RULES, MwmbRule } from '../math/mwmb';
import type { SloExhaustionAlert } from '../openslo/definition';

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
  policy: { rules: readonly MwmbRule[]; noData: boolean } = {
    rules: DEFAULT_MWMB_RULES,
    noData: true,
  },
  exhaustion?: SloExhaustionAlert,
): AlertCondition[] {
  const byId = new Map(policy.rules.map(r => [ruleId(r), r]));
  const out: AlertCondition[] = status.firing.map(f => {
    const pendingMs = byId.get(f.id)?.pendingMs;
    return {
      rule: f.id,
      severity: f.severity,
      details: {
        burnRates: status.burnRates,
        budgetRemaining: status.budgetRemaining,
      },
      ...(pendingMs !== undefined ? { pendingMs } : {}),
    };
  });
  // time to exhaustion: the budget runs out within the horizon at the current burn
  if (
    exhaustion &&
    status.exhaustsAt &&
    status.budgetRemaining !== null &&
    status.budgetRemaining > 0
  ) {
    const left = Date.parse(status.exhaustsAt) - Date.parse(status.evaluatedAt);
    if (left <= exhaustion.withinMs) {
      out.push({
        rule: exhaustionRuleId(exhaustion),
        severity: exhaustion.severity,
        details: {
          exhaustsAt: status.exhaustsAt,
          budgetRemaining: status.budgetRemaining,
          burnRates: status.burnRates,
        },
      });
    }
  }
  if (!policy.noData) return out;
  if (status.reason) {
    out.push({
      rule: NO_DATA_RULE,
      severity: 'ticket',
      details: { reason: status.reason },
    });
  } else if (status.total > 0 && status.burnRates['5m'] === null) {
    out.push({
      rule: NO_DATA_RULE,
      severity: 'ticket',
      details: { reason: 'the SLI has not reported for 5 minutes' },
    });
  }
  return out;
}
