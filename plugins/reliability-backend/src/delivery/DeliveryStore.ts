import { Knex } from 'knex';
import type {
  DeliveryHold,
  DeliveryRecord,
  DeliveryRoutedBy,
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
  /** What self-healing tried before the page went out ("rollback checkout-multibuy (failed: …)"). */
  tried?: string[];
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
  /** Held back until `dueAt` (quiet hours, a self-healing grace period). */
  held?: DeliveryHold | null;
  /** When it is first due; `createdAt` when not given. */
  dueAt?: number;
  policy?: string | null;
  routedBy?: DeliveryRoutedBy | null;
  escalationStep?: number | null;
  /** Escalation steps to check once this page is delivered. */
  escalation?: EscalationStep[] | null;
  /** Written settled: `avoided` (the resolution of a page self-healing spared). */
  state?: 'avoided';
  /**
   * A later `fired` of the same alert that is said again (an incident's roles changed: the timeline event's id):
   * one row per revision and target. Its later transitions still go once per target.
   */
  revision?: number | null;
}

/** One escalation step: after `afterMs` from the page's delivery without acknowledgement, page `targets`. */
export interface EscalationStep {
  afterMs: number;
  targets: string[];
}

/** A delivered page whose escalation is still to check. */
export interface PendingEscalation extends ClaimedDelivery {
  deliveredAt: number;
  steps: EscalationStep[];
}

/** A delivery claimed for sending. */
export interface ClaimedDelivery extends Omit<NewDelivery, 'state'> {
  id: number;
  /** Attempts so far, this one included. */
  attempts: number;
  state?: DeliveryState;
  nextAttemptAt?: number | null;
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
  /**
   * Claims every quiet-hours-held delivery due by `now` (a digest per target), under a lease like claimDue; not
   * those of an alert still in its self-healing grace (they wait for its outcome: avoided with it, or sent).
   */
  claimHeld(
    holder: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<ClaimedDelivery[]>;
  /** Delivered pages with escalation steps to check, of alerts neither acknowledged nor resolved. */
  escalationsPending(limit: number): Promise<PendingEscalation[]>;
  /** Nothing more to escalate for these deliveries (every step queued), or for an alert (acknowledged, resolved). */
  escalationDone(by: { ids: number[] } | { alertKey: string }): Promise<void>;
  /** The alerts whose deliveries are held for a grace period that has ended by `now` (at most `limit`). */
  graceDue(now: number, limit: number): Promise<string[]>;
  /**
   * Self-healing spared a human: the alert's deliveries not yet sent (held for the grace, or for quiet hours) become
   * `avoided`. Answers whether this call was the first to record it (the one that reports it).
   */
  avoid(alertKey: string, now: number): Promise<boolean>;
  /**
   * The grace ended without a fix: the alert's grace-held deliveries are due now, saying what was tried. Those held
   * for quiet hours stay held until the window ends (the digest).
   */
  release(alertKey: string, now: number, tried: string[]): Promise<number>;
  /** Records the alert's acknowledgement; false when it was already acknowledged. */
  acknowledge(ack: {
    alertKey: string;
    by: string;
    source: 'portal' | 'pagerduty';
    at: number;
  }): Promise<boolean>;
  /**
   * Newest first. `sloRefs` keeps the deliveries of those SLOs' alerts, and with `entityRef` also the pages of that
   * entity's incidents (their `sloRef` is empty).
   */
  list(filter: {
    sloRefs?: string[];
    entityRef?: string;
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
const ALERTS = 'reliability_delivery_alerts';

/** The outbox on the plugin's database (SQLite or PostgreSQL). */
export class DeliveryStore implements DeliveryOutbox {
  constructor(private readonly db: Knex) {}

  async enqueue(rows: NewDelivery[]): Promise<number> {
    let inserted = 0;
    for (const d of rows) {
      const written = await this.db(TABLE)
        .insert({
          dedup_key: `${d.alertKey}|${d.transition}|${d.target}${
            d.revision ? `|${d.revision}` : ''
          }`,
          alert_key: d.alertKey,
          alert_id: d.alertId,
          slo_ref: d.sloRef,
          entity_ref: d.entityRef,
          target: d.target,
          target_kind: d.targetKind,
          transition: d.transition,
          payload: JSON.stringify(d.payload),
          state: d.state ?? 'queued',
          attempts: 0,
          next_attempt_at: d.state ? null : d.dueAt ?? d.createdAt,
          created_at: d.createdAt,
          held: d.held ?? null,
          policy: d.policy ?? null,
          routed_by: d.routedBy ?? null,
          escalation_step: d.escalationStep ?? null,
          escalation: d.escalation?.length
            ? JSON.stringify(d.escalation)
            : null,
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
      // a held row waits: grace for graceDue/avoid/release (self-healing is asked first), quiet hours for claimHeld
      .whereNull('held')
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
      .whereNull('held')
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

  async claimHeld(
    holder: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<ClaimedDelivery[]> {
    const due = this.db(`${TABLE} as d`)
      .where({ 'd.state': 'queued', 'd.held': 'quiet-hours' })
      .where('d.next_attempt_at', '<=', now)
      .whereNotExists(
        this.db(`${TABLE} as g`)
          .select(this.db.raw('1'))
          .whereRaw('g.alert_key = d.alert_key')
          .where({ 'g.state': 'queued', 'g.held': 'grace' }),
      )
      .orderBy('d.id')
      .limit(limit)
      .select('d.id');
    if (this.db.client.config.client === 'pg') due.forUpdate().skipLocked();
    const rows = await this.db(TABLE)
      .whereIn('id', due)
      .where({ state: 'queued', held: 'quiet-hours' })
      .update({
        state: 'sending',
        held: null,
        holder,
        lease_expires_at: now + leaseMs,
        attempts: this.db.raw('?? + 1', [`${TABLE}.attempts`]),
      })
      .returning('*');
    return rows.map(toClaimed).sort((a, b) => a.id - b.id);
  }

  async escalationsPending(limit: number): Promise<PendingEscalation[]> {
    const rows = await this.db(`${TABLE} as d`)
      .leftJoin(`${ALERTS} as a`, 'a.alert_key', 'd.alert_key')
      .where({ 'd.state': 'delivered', 'd.transition': 'fired' })
      .whereNotNull('d.escalation')
      .whereNull('a.acked_at')
      .whereNotExists(
        this.db(`${TABLE} as r`)
          .select(this.db.raw('1'))
          .whereRaw('r.alert_key = d.alert_key')
          .where('r.transition', 'resolved'),
      )
      .orderBy('d.id')
      .limit(limit)
      .select('d.*');
    return rows.map(r => ({
      ...toClaimed(r),
      deliveredAt: Number(r.delivered_at),
      steps: JSON.parse(r.escalation),
    }));
  }

  async escalationDone(
    by: { ids: number[] } | { alertKey: string },
  ): Promise<void> {
    const q = this.db(TABLE).whereNotNull('escalation');
    if ('ids' in by) q.whereIn('id', by.ids);
    else q.where('alert_key', by.alertKey);
    await q.update({ escalation: null });
  }

  async graceDue(now: number, limit: number): Promise<string[]> {
    const rows = await this.db(TABLE)
      .where({ state: 'queued', held: 'grace', transition: 'fired' })
      .where('next_attempt_at', '<=', now)
      .distinct('alert_key')
      .limit(limit);
    return rows.map(r => r.alert_key);
  }

  async avoid(alertKey: string, now: number): Promise<boolean> {
    return this.db.transaction(async tx => {
      // the grace-held rows, and the quiet-hours-held ones of the same alert: nobody hears of a healed page
      await tx(TABLE)
        .where({ alert_key: alertKey, state: 'queued' })
        .whereIn('held', ['grace', 'quiet-hours'])
        .update({ state: 'avoided', next_attempt_at: null, held: null });
      await tx(ALERTS)
        .insert({ alert_key: alertKey })
        .onConflict('alert_key')
        .ignore();
      const n = await tx(ALERTS)
        .where({ alert_key: alertKey })
        .whereNull('avoided_at')
        .update({ avoided_at: now });
      return n === 1;
    });
  }

  async release(
    alertKey: string,
    now: number,
    tried: string[],
  ): Promise<number> {
    const rows = await this.db(TABLE)
      .where({ alert_key: alertKey, state: 'queued', held: 'grace' })
      .select('id', 'payload', 'transition');
    let n = 0;
    for (const r of rows) {
      const payload = { ...JSON.parse(r.payload), tried };
      n += await this.db(TABLE)
        .where({ id: r.id, state: 'queued', held: 'grace' })
        .update({
          held: null,
          payload: JSON.stringify(payload),
          // the firing first, its resolution after it
          next_attempt_at: r.transition === 'fired' ? now : now + 1,
        });
    }
    return n;
  }

  async acknowledge(ack: {
    alertKey: string;
    by: string;
    source: 'portal' | 'pagerduty';
    at: number;
  }): Promise<boolean> {
    await this.db(ALERTS)
      .insert({ alert_key: ack.alertKey })
      .onConflict('alert_key')
      .ignore();
    const n = await this.db(ALERTS)
      .where({ alert_key: ack.alertKey })
      .whereNull('acked_at')
      .update({
        acked_by: ack.by.slice(0, 400),
        ack_source: ack.source,
        acked_at: ack.at,
      });
    return n === 1;
  }

  async prune(before: number, limit: number): Promise<number> {
    const old = this.db(`${TABLE} as d`)
      .whereIn('d.state', ['delivered', 'failed', 'avoided'])
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
    entityRef?: string;
    state?: DeliveryState;
    limit: number;
    offset: number;
  }): Promise<DeliveryRecord[]> {
    const q = this.db(`${TABLE} as d`)
      .leftJoin(`${ALERTS} as a`, 'a.alert_key', 'd.alert_key')
      .orderBy('d.id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .select('d.*', 'a.acked_by', 'a.ack_source', 'a.acked_at');
    const { sloRefs, entityRef } = filter;
    if (sloRefs && entityRef)
      q.where(w =>
        w
          .whereIn('d.slo_ref', sloRefs.slice(0, 1000))
          .orWhere(i =>
            i.where('d.slo_ref', '').where('d.entity_ref', entityRef),
          ),
      );
    else if (sloRefs) q.whereIn('d.slo_ref', sloRefs.slice(0, 1000));
    if (filter.state) q.where('d.state', filter.state);
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
      held: r.state === 'queued' ? r.held ?? null : null,
      policy: r.policy ?? null,
      routedBy: r.routed_by ?? null,
      escalationStep: num(r.escalation_step),
      acknowledged:
        r.acked_at !== null && r.acked_at !== undefined
          ? { by: r.acked_by, source: r.ack_source, at: iso(r.acked_at)! }
          : null,
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
    state: r.state,
    nextAttemptAt: num(r.next_attempt_at),
    held: r.held ?? null,
    policy: r.policy ?? null,
    routedBy: r.routed_by ?? null,
    escalationStep: num(r.escalation_step),
  };
}
