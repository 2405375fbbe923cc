/**
 * Alert identity, once for the backend and the frontend: the labels of the suite's own alerts (so rules and runbook
 * sections match them like Alertmanager alerts) and the severity order. A burn-rate rule's id is math/rules.ts, the
 * kinds of remediation trigger remediation/types.ts.
 */

/** alertname of a burn-rate alert. @public */
export const SLO_BURN_RATE_ALERT = 'SLOBurnRate';
/** alertname of a no-data alert. @public */
export const SLO_NO_DATA_ALERT = 'SLONoData';
/** rule of a no-data alert. @public */
export const NO_DATA_RULE = 'no_data';
/** alertname of a time-to-exhaustion alert. @public */
export const SLO_EXHAUSTION_ALERT = 'SLOBudgetExhaustion';
/** The rule id of a time-to-exhaustion alert: `exhaustion within 3d`. @public */
export const exhaustionRuleId = (e: { within: string }) =>
  `exhaustion within ${e.within}`;
const isExhaustionRule = (rule: string) =>
  rule.startsWith('exhaustion within ');

/**
 * The labels of one of the suite's own alerts: alertname (SLOBurnRate, SLOBudgetExhaustion or SLONoData), severity, rule, slo,
 * slo_name, entity, impact, plus the SLO's own labels where they do not clash.
 * @public
 */
export function sloAlertLabels(
  alert: { rule: string; severity: string },
  slo: {
    ref: string;
    name: string;
    componentRef: string;
    labels?: Readonly<Record<string, string>>;
  },
): Record<string, string> {
  const noData = alert.rule === NO_DATA_RULE;
  let alertname = SLO_BURN_RATE_ALERT;
  if (noData) alertname = SLO_NO_DATA_ALERT;
  else if (isExhaustionRule(alert.rule)) alertname = SLO_EXHAUSTION_ALERT;
  return {
    ...(slo.labels ?? {}),
    alertname,
    severity: alert.severity,
    rule: alert.rule,
    slo: slo.ref,
    slo_name: slo.name,
    entity: slo.componentRef,
    impact: noData ? 'no_data' : 'slo_breach',
  };
}

const SEVERITY_RANK: Readonly<Record<string, number>> = {
  page: 0,
  critical: 0,
  error: 1,
  ticket: 2,
  warning: 2,
};

/** Most urgent first: page/critical 0, error 1, ticket/warning 2, anything else 3. @public */
export function severityRank(severity: string): number {
  return SEVERITY_RANK[severity] ?? 3;
}

/** The signals channel on which the backend tells commander views that alerts changed. @public */
export const COMMANDER_SIGNAL_CHANNEL = 'reliability:commander';
