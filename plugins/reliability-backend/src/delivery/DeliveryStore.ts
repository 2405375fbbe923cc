import { Knex } from 'knex';
import type {
  DeliveryRecord,
  DeliveryState,
  DeliveryTargetKind,
  DeliveryTransition,
} from '@reliability-suite/plugin-reliability-common';
import { isoOrNull as iso, numOrNull as num } from '../database/rows';

/** What is said about an alert transition: never where it goes or with which key. */
export interface DeliveryPayload {
  summary: string;
  severity: string;
  rule: string;
  sloName: string;
  details: Record<string, unknown>;
  firedAt: number | null;
  resolvedAt: number | null;
}

/** One delivery to write: an alert transition for one configured target. */
export interface NewDelivery {
  alertKey: string;
  alertId: number;
  sloRef: string;
  entityRef: string;
  target: string;
  targetKind: DeliveryTargetKind;
  transition: DeliveryTransition;
  payload: DeliveryPayload;
  createdAt: number;
}

/** A delivery claimed for sending. */
export interface ClaimedDelivery extends NewDelivery {
  id: number;
  /** Attempts so far, this one included. */
  attempts: number;
}

/**
 * The outbox of deliveries, behind a port so the service never sees knex. A row is written (queued) once per
 * alert transition and target (a unique key); `claimDue` hands it to exactly one backend under a lease; only the
 * holder of the lease may settle it.
 */
export interface DeliveryOutbox {
  /** Writes the deliveries not yet written (same alert, transition and target); answers how many were new. */
  enqueue(rows: NewDelivery[]): Promise<number>;
  /** The deliveries of an alert's `fired` transition: where its later transitions go. */
  firedDeliveries(alertKey: string): Promise<ClaimedDelivery[]>;
  /**
   * Takes up to `limit` deliveries due by `dueBy` (default `now`) for `holder`, under a lease until
   * `now + leaseMs`, counting the attempt.
   */
  claimDue(
    holder: string,
    now: number,
    leaseMs: number,
    limit: number,
    dueBy?: number,
  ): Promise<ClaimedDelivery[]>;
  /**
   * Deliveries whose holder stopped while sending (lease expired): those of `requeueKinds` (a repeat is harmless:
   * the vendor dedupes) are queued again, the others fail as interrupted (a repeat could reach people twice).
   */
  recover(
    now: number,
    requeueKinds: readonly DeliveryTargetKind[],
  ): Promise<{ requeued: number; interrupted: number }>;
  /** Settles a claimed delivery; false when the lease was lost (another backend recovered it). */
  settle(
    id: number,
    holder: string,
    outcome:
      | { state: 'delivered'; at: number; status: number }
      | { state: 'failed'; status: number | null; error: string }
      | {
          state: 'queued';
          nextAttemptAt: number;
          status: number | null;
          error: string;
        },
  ): Promise<boolean>;
  list(filter: {
    sloRefs?: string[];
    state?: DeliveryState;
    limit: number;
    offset: number;
  }): Promise<DeliveryRecord[]>;
  /**
   * Forgets settled deliveries written before `before`, at most `limit` of them; a `fired` one only once its alert's
   * resolution is written (the resolution goes where the firing went). Answers how many it deleted.
   */
  prune(before: number, limit: number): Promise<number>;
}

const TABLE = 'reliability_deliveries';

/** The outbox on the plugin's database (SQLite or PostgreSQL). */
export class DeliveryStore implements DeliveryOutbox {
  constructor(private readonly db: Knex) {}

  async enqueue(rows: NewDelivery[]): Promise<number> {
    let inserted = 0;
    for (const d of rows) {
      const written = await this.db(TABLE)
        .insert({
          dedup_key: `${d.alertKey}|${d.transition}|${d.target}`,
          alert_key: d.alertKey,
          alert_id: d.alertId,
          slo_ref: d.sloRef,
          entity_ref: d.entityRef,
          target: d.target,
          target_kind: d.targetKind,
          transition: d.transition,
          payload: JSON.stringify(d.payload),
          state: 'queued',
          attempts: 0,
          next_attempt_at: d.createdAt,
          created_at: d.createdAt,
        })
        .onConflict('dedup_key')
        .ignore()
        .returning('id');
      if (written.length) inserted++;
    }
    return inserted;
  }

  async firedDeliveries(alertKey: string): Promise<ClaimedDelivery[]> {
    const rows = await this.db(TABLE)
      .where({ alert_key: alertKey, transition: 'fired' })
      .orderBy('id')
      .limit(100)
      .select('*');
    return rows.map(toClaimed);
  }

  async claimDue(
    holder: string,
    now: number,
    leaseMs: number,
    limit: number,
    dueBy: number = now,
  ): Promise<ClaimedDelivery[]> {
    const due = this.db(TABLE)
      .where('state', 'queued')
      .where('next_attempt_at', '<=', dueBy)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .select('id');
    // PostgreSQL: replicas skip each other's rows instead of waiting for them
    if (this.db.client.config.client === 'pg') due.forUpdate().skipLocked();
    // the outer condition is checked again on the row itself: of two concurrent claims, one takes it
    const rows = await this.db(TABLE)
      .whereIn('id', due)
      .where('state', 'queued')
      .where('next_attempt_at', '<=', dueBy)
      .update({
        state: 'sending',
        holder,
        lease_expires_at: now + leaseMs,
        attempts: this.db.raw('?? + 1', [`${TABLE}.attempts`]),
      })
      .returning('*');
    return rows.map(toClaimed).sort((a, b) => a.id - b.id);
  }

  async recover(
    now: number,
    requeueKinds: readonly DeliveryTargetKind[],
  ): Promise<{ requeued: number; interrupted: number }> {
    const stale = this.db(TABLE)
      .where('state', 'sending')
      .where('lease_expires_at', '<', now);
    const requeued = await stale
      .clone()
      .whereIn('target_kind', [...requeueKinds])
      .update({
        state: 'queued',
        next_attempt_at: now,
        holder: null,
        lease_expires_at: null,
        last_error:
          'Requeued: the backend sending it stopped; the vendor dedupes a repeat by the alert key',
      });
    const interrupted = await stale
      .clone()
      .whereNotIn('target_kind', [...requeueKinds])
      .update({
        state: 'failed',
        holder: null,
        lease_expires_at: null,
        next_attempt_at: null,
        last_error:
          'Interrupted: the backend sending it stopped mid-send; it may or may not have arrived, and is not repeated (a repeat could reach people twice)',
      });
    return { requeued, interrupted };
  }

  async settle(
    id: number,
    holder: string,
    outcome:
      | { state: 'delivered'; at: number; status: number }
      | { state: 'failed'; status: number | null; error: string }
      | {
          state: 'queued';
          nextAttemptAt: number;
          status: number | null;
          error: string;
        },
  ): Promise<boolean> {
    const common = { holder: null, lease_expires_at: null };
    let update: Record<string, unknown>;
    if (outcome.state === 'delivered')
      update = {
        ...common,
        state: 'delivered',
        delivered_at: outcome.at,
        next_attempt_at: null,
        last_status: outcome.status,
        last_error: null,
      };
    else if (outcome.state === 'failed')
      update = {
        ...common,
        state: 'failed',
        next_attempt_at: null,
        last_status: outcome.status,
        last_error: outcome.error.slice(0, 2000),
      };
    else
      update = {
        ...common,
        state: 'queued',
        next_attempt_at: outcome.nextAttemptAt,
        last_status: outcome.status,
        last_error: outcome.error.slice(0, 2000),
      };
    const n = await this.db(TABLE)
      .where({ id, holder, state: 'sending' })
      .update(update);
    return n === 1;
  }

  async prune(before: number, limit: number): Promise<number> {
    const old = this.db(`${TABLE} as d`)
      .whereIn('d.state', ['delivered', 'failed'])
      .where('d.created_at', '<', before)
      .where(q =>
        q
          .whereNot('d.transition', 'fired')
          .orWhereExists(
            this.db(`${TABLE} as r`)
              .select(this.db.raw('1'))
              .whereRaw('r.alert_key = d.alert_key')
              .where('r.transition', 'resolved'),
          ),
      )
      .orderBy('d.id')
      .limit(limit)
      .select('d.id');
    return this.db(TABLE).whereIn('id', old).delete();
  }

  async list(filter: {
    sloRefs?: string[];
    state?: DeliveryState;
    limit: number;
    offset: number;
  }): Promise<DeliveryRecord[]> {
    const q = this.db(TABLE)
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .select('*');
    if (filter.sloRefs) q.whereIn('slo_ref', filter.sloRefs.slice(0, 1000));
    if (filter.state) q.where('state', filter.state);
    const rows = await q;
    return rows.map(r => ({
      id: Number(r.id),
      alertKey: r.alert_key,
      alertId: Number(r.alert_id),
      sloRef: r.slo_ref,
      entityRef: r.entity_ref,
      target: r.target,
      targetKind: r.target_kind,
      transition: r.transition,
      state: r.state,
      attempts: Number(r.attempts),
      createdAt: iso(r.created_at)!,
      nextAttemptAt: r.state === 'queued' ? iso(r.next_attempt_at) : null,
      deliveredAt: iso(r.delivered_at),
      lastStatus: num(r.last_status),
      lastError: r.last_error ?? null,
    }));
  }
}

function toClaimed(r: any): ClaimedDelivery {
  return {
    id: Number(r.id),
    alertKey: r.alert_key,
    alertId: Number(r.alert_id),
    sloRef: r.slo_ref,
    entityRef: r.entity_ref,
    target: r.target,
    targetKind: r.target_kind,
    transition: r.transition,
    payload: JSON.parse(r.payload),
    createdAt: Number(r.created_at),
    attempts: Number(r.attempts),
  };
}
