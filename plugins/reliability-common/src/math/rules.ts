import type { MwmbRule } from './mwmb';

/**
 * A burn-rate rule's id within its SLO's policy, also its display text: the OpenSLO condition's name when it has
 * one, then severity, threshold and windows (`page 14.4x 1h&5m`, `spike: page 14x 5m`). Alerts, statuses and
 * runbook labels all carry this id, built here only.
 * @public
 */
export function ruleId(r: MwmbRule): string {
  const windows =
    r.shortWindow === r.longWindow
      ? r.longWindow
      : `${r.longWindow}&${r.shortWindow}`;
  return `${r.name ? `${r.name}: ` : ''}${r.severity} ${
    r.burnRate
  }x ${windows}`;
}

/** A rule that fires now: its id and severity, carried as data (never read back from the id). @public */
export interface FiringRule {
  id: string;
  severity: MwmbRule['severity'];
}
