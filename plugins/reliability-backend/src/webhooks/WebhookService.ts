import { z } from 'zod';
import { InputError } from '@backstage/errors';
import {
  decodeCursor,
  mapGenericWebhook,
  pageOf,
  pagerDutyLabels,
  PagerDutyWebhook,
  webhookReceiptsQuerySchema,
} from '@reliability-suite/plugin-reliability-common';
import type { ReliabilityEvents } from '../events/ReliabilityEvents';
import type {
  IncomingTrigger,
  RemediationEngine,
  SubmitResult,
} from '../remediation/RemediationEngine';
import type { WebhooksConfig } from './config';
import type { WebhookStore } from './WebhookStore';

/** The longest a receiver waits, before it answers, for its new executions to begin calling their targets. */
export const WEBHOOK_DISPATCH_WAIT_MS = 2_000;

/** What a receiver answers a sender. */
export interface WebhookReceiveResult {
  duplicate: boolean;
  eventType: string;
  remediations: SubmitResult[];
  acknowledged?: string;
}

/**
 * The webhook receivers' logic: each delivery recorded once by its sender's id; PagerDuty's incident.triggered and
 * every generic webhook delivery handed to remediation, incident.acknowledged told to the suite as AlertAcknowledged;
 * and the receipts listed.
 */
export class WebhookService {
  private readonly now: () => number;

  constructor(
    private readonly o: {
      store: WebhookStore;
      remediation: RemediationEngine;
      events: ReliabilityEvents;
      config: WebhooksConfig;
      now?: () => number;
    },
  ) {
    this.now = o.now ?? Date.now;
  }

  private async submit(trigger: IncomingTrigger): Promise<SubmitResult[]> {
    const results = await this.o.remediation.submit(trigger);
    await this.o.remediation.dispatched(
      results.filter(r => !r.duplicate).map(r => r.executionId),
      WEBHOOK_DISPATCH_WAIT_MS,
    );
    return results;
  }

  /** One PagerDuty V3 webhook event (its signature already checked). A repeat of an event id acts on nothing. */
  async pagerDuty(webhook: PagerDutyWebhook): Promise<WebhookReceiveResult> {
    const { event } = webhook;
    const receivedAt = this.now();
    const { labels, annotations } = pagerDutyLabels(webhook);
    const { duplicate } = await this.o.store.receive({
      source: 'pagerduty',
      name: 'pagerduty',
      senderId: event.id,
      eventType: event.event_type,
      labels,
      receivedAt,
    });
    const result: WebhookReceiveResult = {
      duplicate,
      eventType: event.event_type,
      remediations: [],
    };
    if (duplicate) return result;
    if (event.event_type === 'incident.triggered') {
      result.remediations = await this.submit({
        kind: 'pagerduty',
        id: `pagerduty:${event.id}`,
        labels,
        annotations,
        receivedAt,
      });
    } else if (
      event.event_type === 'incident.acknowledged' &&
      event.data.incident_key
    ) {
      const at = Date.parse(event.occurred_at);
      await this.o.events.publish('AlertAcknowledged', {
        alertKey: event.data.incident_key,
        by: event.agent?.summary || 'pagerduty',
        source: 'pagerduty',
        at,
      });
      result.acknowledged = event.data.incident_key;
    }
    // incident.resolved and the others: recorded only
    return result;
  }

  /** One delivery of the generic webhook `name` (its signature already checked), mapped by its declared pointers. */
  async generic(name: string, payload: unknown): Promise<WebhookReceiveResult> {
    const webhook = this.o.config.generic.get(name)!;
    const mapped = mapGenericWebhook(webhook.mapping, payload);
    if (!mapped.ok) throw new InputError(`Invalid body: ${mapped.error}`);
    const receivedAt = this.now();
    const { duplicate } = await this.o.store.receive({
      source: 'webhook',
      name,
      senderId: `${name}:${mapped.id}`,
      eventType: 'webhook',
      labels: mapped.labels,
      receivedAt,
    });
    const result: WebhookReceiveResult = {
      duplicate,
      eventType: 'webhook',
      remediations: [],
    };
    if (duplicate) return result;
    result.remediations = await this.submit({
      kind: 'webhook',
      id: `webhook:${name}:${mapped.id}`,
      labels: mapped.labels,
      annotations: mapped.annotations,
      entityRef: mapped.entityRef,
      receivedAt,
    });
    return result;
  }

  /** One page of receipts, newest first. */
  async list(query: z.infer<typeof webhookReceiptsQuerySchema>) {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 200;
    return pageOf(
      await this.o.store.list({
        source: query.source,
        limit: limit + 1,
        offset,
      }),
      offset,
      limit,
      true,
    );
  }
}
