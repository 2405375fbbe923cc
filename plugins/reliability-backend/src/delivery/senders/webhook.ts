import { createHmac } from 'node:crypto';
import type { DeliveryTarget } from '../targets';
import { headline, postJson } from './http';
import type { DeliveryMessage, Sender } from './types';

type WebhookTarget = Extract<DeliveryTarget, { kind: 'webhook' }>;

/** The header names of the signed webhook. */
export const WEBHOOK_HEADERS = {
  signature: 'x-reliability-signature',
  timestamp: 'x-reliability-timestamp',
  delivery: 'x-reliability-delivery',
  event: 'x-reliability-event',
} as const;

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>`: what a receiver recomputes and compares. */
export function webhookSignature(
  secret: string,
  timestamp: string,
  body: string,
): string {
  return `sha256=${createHmac('sha256', secret)
    .update(`${timestamp}.${body}`)
    .digest('hex')}`;
}

/** The body of the signed webhook (version 1). */
export function webhookBody(m: DeliveryMessage) {
  return {
    version: '1',
    event: `alert.${m.transition}`,
    delivery: String(m.deliveryId),
    alert: {
      key: m.alertKey,
      id: m.alertId,
      slo: m.sloRef,
      entity: m.entityRef,
      rule: m.payload.rule,
      severity: m.payload.severity,
      summary: headline(m),
      details: m.payload.details,
      firedAt: m.payload.firedAt
        ? new Date(m.payload.firedAt).toISOString()
        : null,
      resolvedAt: m.payload.resolvedAt
        ? new Date(m.payload.resolvedAt).toISOString()
        : null,
    },
  };
}

/**
 * A generic webhook signed with HMAC-SHA256: `POST <url>` of the JSON body, with `X-Reliability-Timestamp` (Unix
 * seconds), `X-Reliability-Signature: sha256=<hex>` over `<timestamp>.<body>`, `X-Reliability-Delivery` (the same on
 * a retry: receivers dedupe by it) and `X-Reliability-Event` (alert.fired, alert.acknowledged, alert.resolved).
 * Any 2xx is accepted; 408, 429 and 5xx are retried; other statuses are refused.
 */
export const sendWebhook: Sender<WebhookTarget> = (target, m, options) => {
  const raw = JSON.stringify(webhookBody(m));
  const timestamp = String(Math.floor(options.now() / 1000));
  return postJson('Webhook', target.url, undefined, {
    ...options,
    rawBody: raw,
    headers: {
      [WEBHOOK_HEADERS.timestamp]: timestamp,
      [WEBHOOK_HEADERS.signature]: webhookSignature(
        target.secret,
        timestamp,
        raw,
      ),
      [WEBHOOK_HEADERS.delivery]: String(m.deliveryId),
      [WEBHOOK_HEADERS.event]: `alert.${m.transition}`,
    },
  });
};
