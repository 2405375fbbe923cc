import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { AlertmanagerWebhook, alertmanagerAlertsQuerySchema, decodeCursor, pageOf } from '@internal/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { RemediationEngine } from '../remediation/RemediationEngine';
import { AlertmanagerStore } from './AlertmanagerStore';
import { alertEntityRef } from './entity';

/** Alertmanager notifications: recorded once each, handed to remediation, and listed for callers. */
export class AlertmanagerService {
  private readonly now: () => number;

  constructor(private readonly o: { store: AlertmanagerStore; remediation: RemediationEngine; access: CatalogAccess; now?: () => number }) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Records a notification and submits every firing alert to remediation, repeats included: the engine records
   * each (rule, alert) once and counts the repeats, so its history says how many deliveries were deduplicated.
   */
  async receive(payload: AlertmanagerWebhook) {
    const receivedAt = this.now();
    const result = await this.o.store.receive(payload, receivedAt);
    const remediations = [];
    for (const alert of payload.alerts.filter(a => a.status === 'firing')) {
      remediations.push(
        ...(await this.o.remediation.submit({
          kind: 'alertmanager',
          id: `${alert.fingerprint}|${alert.status}|${Date.parse(alert.startsAt)}`,
          labels: alert.labels,
          annotations: alert.annotations,
          receivedAt,
        })),
      );
    }
    return { ...result, remediations };
  }

  /** One page of received alerts (the latest state of each); alerts about entities the caller cannot read are left out. */
  async list(query: z.infer<typeof alertmanagerAlertsQuerySchema>, credentials: BackstageCredentials) {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 200;
    const page = pageOf(await this.o.store.list({ status: query.status, limit: limit + 1, offset }), offset, limit, true);
    const visible = await this.o.access.filter(page.items.map(a => alertEntityRef(a.labels) ?? ''), credentials);
    return { ...page, items: page.items.filter(a => visible(alertEntityRef(a.labels) ?? '')) };
  }
}
