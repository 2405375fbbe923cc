import { createHmac } from 'crypto';

/** The hex HMAC-SHA256 of a body under a secret. */
export const hmacHex = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

/**
 * PagerDuty's V3 webhook as it is sent: the JSON body and its headers (`X-PagerDuty-Signature` with one `v1=` per
 * secret, as during a rotation; `X-Webhook-Id`, `X-Webhook-Subscription`).
 */
export function pagerDutyDelivery(
  event: Record<string, unknown>,
  secrets: string[],
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ event });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-pagerduty-signature': secrets
        .map(s => `v1=${hmacHex(s, body)}`)
        .join(','),
      'x-webhook-id': String(event.id ?? ''),
      'x-webhook-subscription': 'PSUB123',
      'user-agent': 'PagerDuty-Webhook/V3.0',
    },
  };
}

/** A V3 incident event (incident.triggered unless told), with the fields PagerDuty sends. */
export function pagerDutyIncidentEvent(
  over: Record<string, unknown> = {},
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: '01DEN1HNQBVYQ2ZHUBF4UVJZZ6',
    event_type: 'incident.triggered',
    resource_type: 'incident',
    occurred_at: '2026-12-05T10:00:00.000Z',
    agent: {
      html_url: 'https://acme.pagerduty.com/users/PLH1HKV',
      id: 'PLH1HKV',
      self: 'https://api.pagerduty.com/users/PLH1HKV',
      summary: 'Mei Tanaka',
      type: 'user_reference',
    },
    client: null,
    data: {
      id: 'PGR0VU2',
      type: 'incident',
      self: 'https://api.pagerduty.com/incidents/PGR0VU2',
      html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
      number: 2,
      status: 'triggered',
      incident_key: 'slo:default/checkout-availability:page',
      created_at: '2026-12-05T10:00:00Z',
      title: 'checkout burns its error budget',
      service: {
        html_url: 'https://acme.pagerduty.com/services/PF9KMXH',
        id: 'PF9KMXH',
        self: 'https://api.pagerduty.com/services/PF9KMXH',
        summary: 'checkout',
        type: 'service_reference',
      },
      assignees: [],
      escalation_policy: {
        id: 'PDE1',
        summary: 'sre',
        type: 'escalation_policy_reference',
      },
      teams: [],
      priority: { id: 'PSO4Q3V', summary: 'P1', type: 'priority' },
      urgency: 'high',
      conference_bridge: null,
      resolve_reason: null,
      body: {
        type: 'incident_body',
        cef_details: { severity: 'error' },
        details: { impact: 'slo_breach', service: 'checkout' },
      },
      ...data,
    },
    ...over,
  };
}

/** A generic webhook delivery: the body signed as `<prefix><hex>` over the body, or `<timestamp>.<body>`. */
export function genericDelivery(
  payload: unknown,
  o: {
    secret: string;
    signatureHeader?: string;
    prefix?: string;
    timestampHeader?: string;
    timestamp?: number;
  },
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(payload);
  const ts = o.timestamp === undefined ? undefined : String(o.timestamp);
  const signed = ts === undefined ? body : `${ts}.${body}`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [(o.signatureHeader ?? 'X-Signature-256').toLowerCase()]: `${
      o.prefix ?? 'sha256='
    }${hmacHex(o.secret, signed)}`,
  };
  if (o.timestampHeader && ts !== undefined)
    headers[o.timestampHeader.toLowerCase()] = ts;
  return { body, headers };
}
