import type { DeliveryTarget } from '../targets';
import { flatDetails, headline, postJson, subjectFact } from './http';
import type { Sender } from './types';

type OpsgenieTarget = Extract<DeliveryTarget, { kind: 'opsgenie' }>;

/** The suite's severities as Opsgenie priorities (P1 highest). */
export function opsgeniePriority(severity: string): string {
  if (severity === 'page' || severity === 'critical') return 'P1';
  if (severity === 'error') return 'P2';
  if (severity === 'ticket' || severity === 'warning') return 'P3';
  return 'P5';
}

/**
 * Opsgenie's Alert API with `Authorization: GenieKey <key>`: a firing alert is `POST {baseUrl}/v2/alerts` with
 * `alias` the alert's key (Opsgenie dedupes open alerts by alias); acknowledging and closing it are
 * `POST {baseUrl}/v2/alerts/{alias}/acknowledge|close?identifierType=alias`. Opsgenie answers 202
 * `{result, took, requestId}` (the request is processed later); 400, 401, 403, 404, 422 are refused, 429 and 5xx
 * retried.
 */
export const sendOpsgenie: Sender<OpsgenieTarget> = (target, m, options) => {
  const headers = { authorization: `GenieKey ${target.apiKey}` };
  if (m.transition === 'fired') {
    return postJson(
      'Opsgenie',
      `${target.baseUrl}/v2/alerts`,
      {
        message: headline(m).slice(0, 130),
        alias: m.alertKey,
        description: `${headline(m)}\n${subjectFact(m).join(' ')} of ${
          m.entityRef
        }`.slice(0, 15000),
        priority: opsgeniePriority(m.payload.severity),
        source: 'Backstage reliability',
        entity: m.entityRef.slice(0, 512),
        tags: [m.payload.severity, 'reliability'].map(t => t.slice(0, 50)),
        details: {
          ...(m.sloRef ? { slo: m.sloRef } : { incident: String(m.alertId) }),
          rule: m.payload.rule,
          ...Object.fromEntries(flatDetails(m.payload.details)),
        },
      },
      { ...options, headers },
    );
  }
  const verb = m.transition === 'resolved' ? 'close' : 'acknowledge';
  return postJson(
    'Opsgenie',
    `${target.baseUrl}/v2/alerts/${encodeURIComponent(
      m.alertKey,
    )}/${verb}?identifierType=alias`,
    {
      source: 'Backstage reliability',
      note: headline(m).slice(0, 25000),
    },
    { ...options, headers },
  );
};
