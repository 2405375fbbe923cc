import { z } from 'zod';
import { pageParams } from '../model/pagination';

/** Where a webhook receipt came from. @public */
export type WebhookSource = 'pagerduty' | 'webhook';

/** One received webhook delivery. @public */
export interface WebhookReceipt {
  source: WebhookSource;
  /** The generic webhook's name, or 'pagerduty'. */
  name: string;
  /** The sender's id of the delivery (PagerDuty's event.id; the generic webhook's id at its idPath). */
  senderId: string;
  eventType: string;
  labels: Record<string, string>;
  receivedAt: string;
  duplicates: number;
}

/** GET /webhooks/receipts. @public */
export const webhookReceiptsQuerySchema = z
  .object({
    source: z.enum(['pagerduty', 'webhook']).optional(),
    ...pageParams,
  })
  .strict();
