import type { DeliveryTarget } from '../targets';
import { flatDetails, headline, postJson } from './http';
import type { Sender } from './types';

type PagerDutyTarget = Extract<DeliveryTarget, { kind: 'pagerduty' }>;

/** The suite's severities in PagerDuty's four (critical, error, warning, info). */
export function pagerDutySeverity(severity: string): string {
  if (severity === 'page' || severity === 'critical') return 'critical';
  if (severity === 'error') return 'error';
  if (severity === 'ticket' || severity === 'warning') return 'warning';
  return 'info';
}

const ACTIONS = {
  fired: 'trigger',
  acknowledged: 'acknowledge',
  resolved: 'resolve',
} as const;

/**
 * PagerDuty Events API v2: `POST {baseUrl}/v2/enqueue` with the integration's routing key, `event_action`
 * trigger, acknowledge or resolve, and `dedup_key` the alert's key, so a repeat, the acknowledgement and the
 * resolution all reach the one incident. PagerDuty answers 202 `{status, message, dedup_key}`; 400 is an invalid
 * event (not retried); 429 (throttled) and 5xx are retried.
 */
export const sendPagerDuty: Sender<PagerDutyTarget> = (target, m, options) => {
  const action = ACTIONS[m.transition];
  const event: Record<string, unknown> = {
    routing_key: target.routingKey,
    event_action: action,
    dedup_key: m.alertKey,
  };
  if (action === 'trigger') {
    event.payload = {
      summary: headline(m).slice(0, 1024),
      source: m.entityRef,
      severity: pagerDutySeverity(m.payload.severity),
      ...(m.payload.firedAt
        ? { timestamp: new Date(m.payload.firedAt).toISOString() }
        : {}),
      component: m.entityRef,
      group: m.sloRef || 'incident',
      class: m.payload.rule,
      custom_details: {
        ...(m.sloRef ? { slo: m.sloRef } : { incident: m.alertId }),
        rule: m.payload.rule,
        severity: m.payload.severity,
        ...Object.fromEntries(flatDetails(m.payload.details)),
      },
    };
    event.client = 'Backstage reliability';
    if (m.appBaseUrl) event.client_url = m.appBaseUrl;
  }
  return postJson('PagerDuty', `${target.baseUrl}/v2/enqueue`, event, options);
};
