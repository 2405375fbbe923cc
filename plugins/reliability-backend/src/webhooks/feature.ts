import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { RemediationFeature } from '../remediation/feature';
import type { WebhookStore } from './WebhookStore';
import { readWebhooksConfig } from './config';
import { webhookRoutes } from './routes';
import { WebhookService } from './WebhookService';

/**
 * More ways in: PagerDuty's V3 webhooks and generic HMAC-signed webhooks (each authenticated by its signature, not a
 * Backstage token), handed to remediation, and their receipts.
 */
export function createWebhooksFeature(
  ctx: FeatureContext<{ webhooks: WebhookStore }>,
  deps: { remediation: RemediationFeature },
) {
  const config = readWebhooksConfig(ctx.config.raw);
  const webhooks = new WebhookService({
    store: ctx.stores.webhooks,
    remediation: deps.remediation.engine,
    events: ctx.events,
    config,
  });
  return {
    unauthenticated: ['/webhooks/pagerduty', '/webhooks/generic'],
    routes: (router, { guards, now }) =>
      webhookRoutes(router, { guards, webhooks, config, now }),
  } satisfies Feature;
}
