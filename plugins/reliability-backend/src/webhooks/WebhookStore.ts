import { Knex } from 'knex';
import type {
  WebhookReceipt,
  WebhookSource,
} from '@reliability-suite/plugin-reliability-common';

/** Received webhook deliveries, unique on (source, sender id) in the database. */
export class WebhookStore {
  constructor(private readonly db: Knex) {}

  /** Records a delivery once; a repeat only counts as a duplicate of the first (and says so). */
  async receive(r: {
    source: WebhookSource;
    name: string;
    senderId: string;
    eventType: string;
    labels: Record<string, string>;
    receivedAt: number;
  }): Promise<{ duplicate: boolean }> {
    const rows = await this.db('reliability_webhook_receipts')
      .insert({
        source: r.source,
        name: r.name,
        sender_id: r.senderId,
        event_type: r.eventType,
        labels: JSON.stringify(r.labels),
        received_at: r.receivedAt,
      })
      .onConflict(['source', 'sender_id'])
      // a repeat counts itself on the first record, in the same statement (only a new record has no duplicates)
      .merge({
        duplicates: this.db.raw('?? + 1', [
          'reliability_webhook_receipts.duplicates',
        ]),
      })
      .returning(['duplicates']);
    return { duplicate: Number(rows[0].duplicates) > 0 };
  }

  /** Receipts, newest first. */
  async list(filter: {
    source?: WebhookSource;
    limit: number;
    offset: number;
  }): Promise<WebhookReceipt[]> {
    const q = this.db('reliability_webhook_receipts')
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset);
    if (filter.source) q.where('source', filter.source);
    const rows = await q.select('*');
    return rows.map(row => ({
      source: row.source,
      name: row.name,
      senderId: row.sender_id,
      eventType: row.event_type,
      labels: JSON.parse(row.labels),
      receivedAt: new Date(Number(row.received_at)).toISOString(),
      duplicates: Number(row.duplicates),
    }));
  }
}
