import { Knex } from 'knex';
import { isoOrNull as iso } from '../database/rows';
import type { AlertmanagerWebhook } from '@reliability-suite/plugin-reliability-common';

const GO_ZERO_TIME = /^0001-01-01/;

/** Received Alertmanager alerts, deduplicated on fingerprint + status + startsAt in the database. */
export class AlertmanagerStore {
  constructor(private readonly db: Knex) {}

  /** Records each alert of a notification once; repeats only count as duplicates. */
  async receive(
    payload: AlertmanagerWebhook,
    now: number,
  ): Promise<{ received: number; recorded: number; duplicates: number }> {
    let recorded = 0;
    for (const a of payload.alerts) {
      const startsAt = Date.parse(a.startsAt);
      const dedupKey = `${a.fingerprint}|${a.status}|${startsAt}`;
      const inserted = await this.db('reliability_am_alerts')
        .insert({
          dedup_key: dedupKey,
          fingerprint: a.fingerprint,
          status: a.status,
          alertname: a.labels.alertname ?? null,
          group_key: payload.groupKey,
          starts_at: startsAt,
          ends_at:
            a.endsAt &&
            !GO_ZERO_TIME.test(a.endsAt) &&
            !Number.isNaN(Date.parse(a.endsAt))
              ? Date.parse(a.endsAt)
              : null,
          labels: JSON.stringify(a.labels),
          annotations: JSON.stringify(a.annotations),
          received_at: now,
        })
        .onConflict('dedup_key')
        // a repeat counts itself on the first record, in the same statement (only a new record has no duplicates)
        .merge({
          duplicates: this.db.raw('?? + 1', [
            'reliability_am_alerts.duplicates',
          ]),
        })
        .returning(['duplicates']);
      if (Number(inserted[0].duplicates) === 0) recorded++;
    }
    return {
      received: payload.alerts.length,
      recorded,
      duplicates: payload.alerts.length - recorded,
    };
  }

  /** The latest state of each alert (by fingerprint), newest first. */
  async list(filter: {
    status?: 'firing' | 'resolved';
    limit?: number;
    offset?: number;
  }) {
    const latest = this.db('reliability_am_alerts')
      .max({ id: 'id' })
      .groupBy('fingerprint');
    const q = this.db('reliability_am_alerts')
      .whereIn('id', latest)
      .orderBy('starts_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 200)
      .offset(filter.offset ?? 0);
    if (filter.status) q.where('status', filter.status);
    const rows = await q.select('*');
    return rows.map(r => ({
      fingerprint: r.fingerprint,
      status: r.status,
      alertname: r.alertname,
      labels: JSON.parse(r.labels),
      annotations: JSON.parse(r.annotations),
      startsAt: iso(r.starts_at),
      endsAt: iso(r.ends_at),
      receivedAt: iso(r.received_at),
      duplicates: Number(r.duplicates),
    }));
  }
}
