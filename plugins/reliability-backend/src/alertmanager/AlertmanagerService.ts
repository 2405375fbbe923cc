import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  AlertmanagerWebhook,
  alertmanagerAlertsQuerySchema,
  decodeCursor,
  pageOf,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { RemediationEngine } from '../remediation/RemediationEngine';
import { AlertmanagerStore } from './AlertmanagerStore';
import { alertEntityRef } from './entity';

/**
 * The longest the receiver waits, before it answers, for its new executions to begin calling their targets.
 * Alertmanager's next notifications then wait for a busy receiver instead of queueing unbounded work in memory
 * behind it: a flood of alerts slows the sender, not every remediation.
 */
export const DISPATCH_WAIT_MS = 2_000;

/** Alertmanager notifications: recorded once each, handed to remediation, and listed for callers. */
export class AlertmanagerService {
  private readonly now: () => number;

  constructor(
    private readonly o: {
      store: AlertmanagerStore;
      remediation: RemediationEngine;
      access: CatalogAccess;
      now?: () => number;
    },
  ) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Records a notification and submits every firing alert to remediation, repeats included: the engine records
   * each (rule, alert) once and counts the repeats, so its history says how many deliveries were deduplicated.
   *
   * It answers once the new executions have begun calling their targets (or ended without a call), waiting at
   * most `DISPATCH_WAIT_MS`: Alertmanager's next notifications wait for a busy receiver instead of queueing
   * unbounded work in memory behind it, so a flood of alerts slows the sender and not every remediation.
   */
  async receive(payload: AlertmanagerWebhook) {
    const receivedAt = this.now();
    const submitAll = async () => {
      const out = [];
      for (const alert of payload.alerts.filter(a => a.status === 'firing')) {
        out.push(
          ...(await this.o.remediation.submit({
            kind: 'alertmanager',
            id: `${alert.fingerprint}|${alert.status}|${Date.parse(
              alert.startsAt,
            )}`,
            labels: alert.labels,
            annotations: alert.annotations,
            receivedAt,
          })),
        );
      }
      return out;
    };
    // recording the notification and recording its executions are independent writes: both go at once (a failure
    // of either is the answer's; Alertmanager retries, and both writes are deduplicated)
    const [result, remediations] = await Promise.all([
      this.o.store.receive(payload, receivedAt),
      submitAll(),
    ]);
    await this.o.remediation.dispatched(
      remediations.filter(r => !r.duplicate).map(r => r.executionId),
      DISPATCH_WAIT_MS,
    );
    return { ...result, remediations };
  }

  /** One page of received alerts (the latest state of each); alerts about entities the caller cannot read are left out. */
  async list(
    query: z.infer<typeof alertmanagerAlertsQuerySchema>,
    credentials: BackstageCredentials,
  ) {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 200;
    const page = pageOf(
      await this.o.store.list({
        status: query.status,
        limit: limit + 1,
        offset,
      }),
      offset,
      limit,
      true,
    );
    const visible = await this.o.access.filter(
      page.items.map(a => alertEntityRef(a.labels) ?? ''),
      credentials,
    );
    return {
      ...page,
      items: page.items.filter(a => visible(alertEntityRef(a.labels) ?? '')),
    };
  }
}
