import { z } from 'zod';
import { labelKey, scalarLabel } from './labels';

/**
 * PagerDuty's V3 webhook: the envelope `{ event: { id, event_type, resource_type, occurred_at, agent, client, data } }`
 * (signed in `X-PagerDuty-Signature`), and the labels a remediation rule matches on an incident. Pure: no I/O.
 */

/** The incident event types the receiver acts on or records. @public */
export const PAGERDUTY_EVENT_TYPES = [
  'incident.triggered',
  'incident.acknowledged',
  'incident.unacknowledged',
  'incident.resolved',
  'incident.reopened',
  'incident.escalated',
  'incident.reassigned',
  'incident.delegated',
  'incident.priority_updated',
  'incident.annotated',
  'incident.responder.added',
  'incident.responder.replied',
  'incident.status_update_published',
  'incident.conference_bridge.updated',
  'incident.custom_field_values.updated',
  'incident.workflow.started',
  'incident.workflow.completed',
  'pagey.ping',
] as const;

const reference = z
  .object({
    id: z.string().max(100).optional(),
    summary: z.string().max(1000).optional(),
    type: z.string().max(100).optional(),
  })
  .passthrough();

/** One V3 webhook event (the fields the receiver reads; others pass through). @public */
export const pagerDutyWebhookSchema = z.object({
  event: z
    .object({
      id: z
        .string({
          required_error: 'is required (the event id PagerDuty sends)',
        })
        .min(1, 'must not be empty')
        .max(200, 'must be at most 200 characters'),
      event_type: z.string().min(1).max(100),
      resource_type: z.string().max(100).optional(),
      occurred_at: z
        .string()
        .refine(s => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time'),
      agent: reference.nullable().optional(),
      client: z.unknown().optional(),
      data: z
        .object({
          id: z.string().max(100).optional(),
          type: z.string().max(100).optional(),
          title: z.string().max(10_000).optional(),
          status: z.string().max(100).optional(),
          urgency: z.string().max(100).optional(),
          incident_key: z.string().max(1000).nullable().optional(),
          html_url: z.string().max(2000).optional(),
          service: reference.nullable().optional(),
          priority: reference.nullable().optional(),
          severity: z.string().max(100).optional(),
          body: z
            .object({
              details: z.unknown().optional(),
              cef_details: z.unknown().optional(),
            })
            .passthrough()
            .nullable()
            .optional(),
          custom_details: z.unknown().optional(),
        })
        .passthrough(),
    })
    .passthrough(),
});

/** A V3 webhook event as the receiver reads it. @public */
export type PagerDutyWebhook = z.infer<typeof pagerDutyWebhookSchema>;

/** The most custom-detail labels taken from one incident. @public */
export const PAGERDUTY_MAX_DETAIL_LABELS = 64;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The custom details of an incident as PagerDuty may send them: data.custom_details, data.body.details, data.body.cef_details.details. */
function customDetails(
  data: PagerDutyWebhook['event']['data'],
): Record<string, unknown> {
  if (isObject(data.custom_details)) return data.custom_details;
  if (isObject(data.body?.details)) return data.body!.details as any;
  const cef = data.body?.cef_details;
  if (isObject(cef) && isObject(cef.details)) return cef.details;
  return {};
}

/** The severity of the event behind an incident: data.severity, or data.body.cef_details.severity. */
function severity(data: PagerDutyWebhook['event']['data']) {
  if (data.severity) return data.severity;
  const cef = data.body?.cef_details;
  return isObject(cef) ? scalarLabel(cef.severity) : undefined;
}

/**
 * The labels of a V3 webhook event, as remediation rules match them: `event_type`, `service` (its summary),
 * `urgency`, `priority` (its summary), `incident_key`, `status`, `payload.severity`, and
 * `payload.custom_details.<key>` for each scalar custom detail (at most 64; keys with characters a matcher cannot
 * name get '_'). Annotations: `summary` (the title) and `url`. @public
 */
export function pagerDutyLabels(webhook: PagerDutyWebhook): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const { event } = webhook;
  const data = event.data;
  const labels: Record<string, string> = { event_type: event.event_type };
  const put = (name: string, value: unknown) => {
    const v = scalarLabel(value);
    if (v !== undefined) labels[name] = v;
  };
  put('service', data.service?.summary);
  put('urgency', data.urgency);
  put('priority', data.priority?.summary);
  put('incident_key', data.incident_key);
  put('status', data.status);
  put('payload.severity', severity(data));
  let n = 0;
  for (const [key, value] of Object.entries(customDetails(data))) {
    if (n >= PAGERDUTY_MAX_DETAIL_LABELS) break;
    const v = scalarLabel(value);
    if (v === undefined) continue;
    labels[`payload.custom_details.${labelKey(key)}`] = v;
    n++;
  }
  const annotations: Record<string, string> = {};
  if (data.title) annotations.summary = scalarLabel(data.title)!;
  if (data.html_url) annotations.url = data.html_url;
  return { labels, annotations };
}

/**
 * Parses `X-PagerDuty-Signature`: the `v1=<hex>` values, comma-separated (several while a secret is rotated);
 * other schemes are left out. @public
 */
export function pagerDutySignatures(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .slice(0, 4096)
    .split(',')
    .map(s => s.trim())
    .filter(s => s.startsWith('v1='))
    .map(s => s.slice(3))
    .slice(0, 16);
}
