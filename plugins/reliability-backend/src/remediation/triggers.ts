import {
  SloDefinition,
  sloAlertLabels,
} from '@reliability-suite/plugin-reliability-common';
import type { FiredAlert } from '../events/ReliabilityEvents';
import type { IncomingTrigger } from './RemediationEngine';

/**
 * The labels of the suite's own alerts, so rules match them like Alertmanager alerts:
 * alertname (SLOBurnRate or SLONoData), severity (page/ticket), rule, slo, slo_name, entity, impact, plus the
 * SLO entity's own labels (metadata.labels, e.g. env) when they do not clash.
 */
export function sloAlertTrigger(
  alert: FiredAlert,
  slo: SloDefinition,
  receivedAt: number,
): IncomingTrigger {
  const labels = sloAlertLabels(alert, slo);
  return {
    kind: 'alert',
    id: `alert:${alert.id}`,
    labels,
    annotations: { summary: `${slo.title ?? slo.name}: ${alert.rule}` },
    entityRef: slo.componentRef,
    receivedAt,
  };
}

export { sloAlertLabels };
