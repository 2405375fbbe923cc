import { z } from 'zod';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  DeliveryRecord,
  DeliveryTargetKind,
  DeliveryTargetSummary,
  Page,
  SloDefinition,
  alertPolicyOf,
  decodeCursor,
  deliveryQuerySchema,
  deliveryTargetRef,
  deliveryTargetsQuerySchema,
  fullJitterDelayMs,
  incidentDedupKey,
  pageOf,
  quietHoursAt,
  routeAlert,
  sloAlertDedupKey,
} from '@reliability-suite/plugin-reliability-common';
import type {
  DeliveryRoutedBy,
  Incident,
} from '@reliability-suite/plugin-reliability-common';
import { INCIDENT_ROLES } from '@reliability-suite/plugin-reliability-common';
import type { CatalogAccess } from '../catalog/CatalogAccess';
import type { FiredAlert, ResolvedAlert } from '../events/ReliabilityEvents';
import type { Redactor } from '../redaction/Redactor';
import type {
  ClaimedDelivery,
  DeliveryOutbox,
  EscalationStep,
  NewDelivery,
} from './DeliveryStore';
import { send as defaultSend } from './senders';
import type { DeliveryMessage, SendResult } from './senders';
import type { DeliveryConfig, DeliveryTarget } from './targets';

/** Kinds whose vendor dedupes a repeat by the alert key: a send cut off by a stopped backend is sent again. */
export const IDEMPOTENT_KINDS: readonly DeliveryTargetKind[] = [
  'pagerduty',
  'opsgenie',
];

const BATCH = 10;

/**
 * Self-healing's side of a page (the remediation feature implements it): whether a fix covers the alert, what it
 * did, and the report of a page it spared.
 */
export interface SelfHealingHooks {
  /** How long a covered page waits for the fix before it goes out. */
  graceMs: number;
  covers(alert: FiredAlert, slo: SloDefinition): Promise<boolean>;
  outcome(alert: {
    id: number;
    sloRef: string;
  }): Promise<{ healed: boolean; tried: string[] }>;
  /** Called once per alert whose page was avoided (across targets and replicas). */
  avoided(alert: {
    id: number;
    sloRef: string;
    alertKey: string;
  }): Promise<void>;
}
/** The longest a Retry-After is honoured. */
const MAX_RETRY_AFTER_MS = 3_600_000;

export interface DeliveryServiceOptions {
  store: DeliveryOutbox;
  config: DeliveryConfig;
  /** The redaction step that knows every target's credentials (deliverySecrets), besides the plugin's own. */
  redactor: Redactor;
  logger: LoggerService;
  access: Pick<CatalogAccess, 'visibleRecently'>;
  /** The SLOs of an entity (the registry), for GET /delivery?entityRef=. */
  slosOf: (entityRef: string) => Promise<string[]>;
  holder: string;
  appBaseUrl?: string;
  /** The owner groups of entities (the catalog's spec.owner, full refs), one lookup for many. */
  ownersOf?: (entityRefs: string[]) => Promise<Map<string, string[]>>;
  selfHealing?: SelfHealingHooks;
  /** A vendor refused a delivery's credentials (401/403): once per failed delivery. */
  authFailed?: (target: DeliveryTarget, status: 401 | 403) => Promise<void>;
  now?: () => number;
  random?: () => number;
  send?: (
    target: DeliveryTarget,
    message: DeliveryMessage,
    options: { timeoutMs: number; now: () => number },
  ) => Promise<SendResult>;
}

/**
 * Delivery of the suite's own alerts: each transition (fired, resolved) is written to the outbox once per target
 * the SLO's alert policy names, then drained: a backend claims due rows under a lease, sends each with its vendor's
 * sender, and settles it (delivered; queued again with full-jitter backoff after 429, 5xx or no answer; failed after
 * a refusal or the last attempt, with the vendor's reason redacted).
 */
export class DeliveryService {
  private readonly now: () => number;
  private readonly leaseMs: number;
  private draining: Promise<number> | undefined;
  private again: Promise<number> | undefined;
  private readonly warned = new Set<string>();

  private config: DeliveryConfig;

  constructor(private readonly o: DeliveryServiceOptions) {
    this.config = o.config;
    this.now = o.now ?? Date.now;
    // every send of a batch runs at once, each bounded by the timeout; the lease outlasts them with room to spare
    this.leaseMs = o.config.timeoutMs * 2 + 30_000;
  }

  /** The configured targets an SLO's alert policy names (AlertNotificationTargets), each once. */
  targetsFor(slo: SloDefinition): DeliveryTarget[] {
    const out = new Map<string, DeliveryTarget>();
    for (const t of alertPolicyOf(slo).targets ?? []) {
      const ref = deliveryTargetRef(t);
      if (!ref) continue;
      const target = this.config.targets.get(ref.name);
      if (target && (!ref.kind || ref.kind === target.kind)) {
        out.set(target.name, target);
        continue;
      }
      const key = `${slo.ref}\u0000${t.target}`;
      if (this.warned.has(key) || this.warned.size > 10_000) continue;
      this.warned.add(key);
      this.o.logger.warn(
        target
          ? `SLO ${slo.ref}: notification target ${t.name} (${t.target}) names ${ref.name}, a ${target.kind} target, not ${ref.kind}; nothing is sent to it`
          : `SLO ${slo.ref}: notification target ${t.name} (${t.target}) names no target in reliability.delivery.targets; nothing is sent to it`,
      );
    }
    return [...out.values()];
  }

  /** New delivery config (a config change): the next deliveries use its targets, credentials and routing. */
  reconfigure(config: DeliveryConfig): void {
    this.config = config;
  }

  /**
   * Where an alert goes: its SLO's own targets, and those the routing policy of its component (or of the
   * component's owner group) gives for its severity, each once, with whether it respects quiet hours.
   */
  private route(
    alert: FiredAlert,
    slo: SloDefinition,
  ): ReturnType<DeliveryService['routeFor']> {
    return this.routeFor(
      slo.componentRef,
      alert.severity,
      this.targetsFor(slo),
    );
  }

  /**
   * Where a notification about an entity goes: `own` targets (an SLO's AlertNotificationTargets), and those the
   * routing policy of the entity (or of its owner group) gives for the severity, each once.
   */
  private async routeFor(
    entityRef: string,
    severity: string,
    own: DeliveryTarget[],
  ): Promise<{
    policy?: string;
    quiet?: { endsAt: number };
    escalation: EscalationStep[];
    targets: {
      target: DeliveryTarget;
      routedBy: DeliveryRoutedBy;
      respectQuietHours: boolean;
    }[];
  }> {
    const out = new Map<
      string,
      {
        target: DeliveryTarget;
        routedBy: DeliveryRoutedBy;
        respectQuietHours: boolean;
      }
    >();
    for (const t of own)
      out.set(t.name, { target: t, routedBy: 'slo', respectQuietHours: false });
    const routing = this.config.routing;
    if (!routing.policies.length)
      return { targets: [...out.values()], escalation: [] };
    let owners: string[] = [];
    if (this.o.ownersOf && routing.policies.some(p => 'owner' in p.match))
      owners = (await this.o.ownersOf([entityRef])).get(entityRef) ?? [];
    const routed = routeAlert(routing, { entityRef, owners, severity });
    if (!routed) return { targets: [...out.values()], escalation: [] };
    for (const r of routed.targets) {
      const target = this.config.targets.get(r.name);
      if (!target || out.has(r.name)) continue;
      out.set(r.name, {
        target,
        routedBy: 'policy',
        respectQuietHours: r.respectQuietHours,
      });
    }
    const q = routed.quietHours
      ? quietHoursAt(routed.quietHours, this.now())
      : { quiet: false as const };
    return {
      policy: routed.policy,
      quiet: q.quiet ? { endsAt: q.endsAt } : undefined,
      escalation: routed.escalation,
      targets: [...out.values()],
    };
  }

  /**
   * An alert fired: one delivery per target of its SLO's policy and its routing policy. A target that respects quiet
   * hours waits for them to end (one digest then), whatever self-healing does meanwhile; a covered page's other
   * targets wait for self-healing's grace. Answers how many were new.
   */
  async fired(alert: FiredAlert, slo: SloDefinition): Promise<number> {
    const routed = await this.route(alert, slo);
    if (!routed.targets.length) return 0;
    const at = this.now();
    const alertKey = sloAlertDedupKey(alert);
    const heal = this.o.selfHealing;
    const grace =
      heal && alert.severity === 'page' && (await heal.covers(alert, slo));
    const hold = (respectQuietHours: boolean) => {
      // quiet hours first: the grace ends long before the window does, and releasing it must not send these
      // (the store keeps them out of the digest while the alert is in its grace, and avoids them with it)
      if (respectQuietHours && routed.quiet)
        return { held: 'quiet-hours' as const, dueAt: routed.quiet.endsAt };
      if (grace) return { held: 'grace' as const, dueAt: at + heal!.graceMs };
      return {};
    };
    const rows: NewDelivery[] = routed.targets.map(({ target: t, ...r }) => ({
      alertKey,
      alertId: alert.id,
      sloRef: alert.sloRef,
      entityRef: slo.componentRef,
      target: t.name,
      targetKind: t.kind,
      transition: 'fired',
      routedBy: r.routedBy,
      policy: r.routedBy === 'policy' ? routed.policy : null,
      ...hold(r.respectQuietHours),
      escalation:
        r.routedBy === 'policy' && !(r.respectQuietHours && routed.quiet)
          ? routed.escalation
          : null,
      payload: {
        summary: `${slo.name} ${alert.rule}`,
        severity: alert.severity,
        rule: alert.rule,
        sloName: slo.name,
        details: alert.details,
        firedAt: at,
        resolvedAt: null,
      },
      createdAt: at,
    }));
    const n = await this.o.store.enqueue(rows);
    this.kick();
    return n;
  }

  /**
   * An alert resolved (or was acknowledged): the transition goes where its `fired` went, to targets still
   * configured. Answers how many were new.
   */
  async transition(
    alert: ResolvedAlert,
    transition: 'resolved' | 'acknowledged',
  ): Promise<number> {
    return this.transitionOf(sloAlertDedupKey(alert), transition, alert.at);
  }

  /**
   * An incident's roles are paged: its declaration, or (`revision`, the id of the timeline event that changed them)
   * a change of its roles, goes to the targets the routing policy of its entity (or of the entity's owner group)
   * gives for page severity, once per target and revision, under the incident's key (incidentDedupKey: PagerDuty
   * adds a change to the open incident). Quiet hours and escalation apply as to an alert's page: a page route
   * ignores quiet hours unless it says otherwise, and the declaration (not a change) escalates until someone
   * acknowledges it or the incident is resolved. Nothing is sent for a resolved incident. Answers how many were new.
   */
  async incidentPaged(incident: Incident, revision?: number): Promise<number> {
    if (incident.status === 'resolved' || incident.state === 'closed') return 0;
    const severity = 'page';
    const routed = await this.routeFor(incident.entityRef, severity, []);
    if (!routed.targets.length) return 0;
    const at = this.now();
    const roles = Object.fromEntries(
      INCIDENT_ROLES.filter(r => incident.roles[r]).map(r => [
        r,
        incident.roles[r]!,
      ]),
    );
    const payload = {
      summary: `Incident ${incident.id} (${incident.severity}): ${incident.title}`,
      severity,
      rule: revision
        ? `roles changed: ${incident.title}`
        : `declared: ${incident.title}`,
      sloName: `Incident ${incident.id} ${incident.severity}`,
      details: {
        incident: incident.id,
        incidentSeverity: incident.severity,
        status: incident.status,
        ...roles,
      },
      firedAt: Date.parse(incident.declaredAt) || at,
      resolvedAt: null,
    };
    const rows: NewDelivery[] = routed.targets.map(({ target: t, ...r }) => {
      const held = r.respectQuietHours && routed.quiet;
      return {
        alertKey: incidentDedupKey(incident),
        alertId: incident.id,
        sloRef: '',
        entityRef: incident.entityRef,
        target: t.name,
        targetKind: t.kind,
        transition: 'fired',
        revision: revision ?? null,
        routedBy: r.routedBy,
        policy: routed.policy ?? null,
        ...(held
          ? { held: 'quiet-hours' as const, dueAt: routed.quiet!.endsAt }
          : {}),
        escalation: !revision && !held ? routed.escalation : null,
        payload,
        createdAt: at,
      };
    });
    const n = await this.o.store.enqueue(rows);
    this.kick();
    return n;
  }

  /** An incident was resolved (or closed): the resolution goes where its pages went, once per target. */
  async incidentResolved(incident: Incident): Promise<number> {
    const when = Date.parse(incident.resolvedAt ?? '') || this.now();
    return this.transitionOf(incidentDedupKey(incident), 'resolved', when);
  }

  private async transitionOf(
    alertKey: string,
    transition: 'resolved' | 'acknowledged',
    when: number,
    kinds?: DeliveryTargetKind[],
  ): Promise<number> {
    const fired = await this.o.store.firedDeliveries(alertKey);
    const at = this.now();
    if (transition === 'resolved')
      await this.o.store.escalationDone({ alertKey });
    const rows: NewDelivery[] = fired
      .filter(f => this.config.targets.get(f.target)?.kind === f.targetKind)
      .filter(f => !kinds || kinds.includes(f.targetKind))
      // an acknowledgement of a page that was never sent (avoided, still held) says nothing
      .filter(f => transition !== 'acknowledged' || f.state === 'delivered')
      .map(f => ({
        alertKey,
        alertId: f.alertId,
        sloRef: f.sloRef,
        entityRef: f.entityRef,
        target: f.target,
        targetKind: f.targetKind,
        transition,
        payload: {
          ...f.payload,
          resolvedAt: transition === 'resolved' ? when : null,
        },
        createdAt: at,
        policy: f.policy,
        routedBy: f.routedBy,
        escalationStep: f.escalationStep,
        // the firing still waits (grace, quiet hours): its resolution waits with it, and goes after it
        ...(f.state === 'queued' && f.held
          ? { held: f.held, dueAt: (f.nextAttemptAt ?? at) + 1 }
          : {}),
        // the firing was avoided (self-healing): so is its resolution
        ...(f.state === 'avoided' ? { state: 'avoided' as const } : {}),
      }));
    if (!rows.length) return 0;
    const n = await this.o.store.enqueue(rows);
    this.kick();
    return n;
  }

  /** Starts a drain now unless one runs in this process (the scheduled task drains anyway). */
  private kick(): void {
    this.drain().catch(e =>
      this.o.logger.warn(`Delivery drain failed: ${this.o.redactor.error(e)}`),
    );
  }

  /**
   * Drains the outbox: accounts for deliveries a stopped backend left, then claims and sends due deliveries in
   * batches until none is due. One drain at a time per process (a call meanwhile runs one more after it); replicas
   * are kept apart by the claims. Answers
   * how many deliveries it settled.
   */
  drain(): Promise<number> {
    // asked while one runs: one more drain after it (deliveries written since its start are due by then)
    if (this.draining) {
      const next = () => {
        this.again = undefined;
        return this.drain();
      };
      this.again ??= this.draining.then(next, next);
      return this.again;
    }
    this.draining = this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<number> {
    await this.pruneNowAndThen();
    const recovered = await this.o.store.recover(this.now(), IDEMPOTENT_KINDS);
    if (recovered.interrupted || recovered.requeued)
      this.o.logger.warn(
        `Deliveries left by a stopped backend: ${recovered.requeued} queued again, ${recovered.interrupted} failed as interrupted`,
      );
    let settled = 0;
    settled += await this.graceEnded();
    settled += await this.digests();
    await this.escalate();
    // due as of the drain's start: a delivery put back for a retry (at least 1 ms later) waits for the next drain
    const asOf = this.now();
    for (let round = 0; round < 100; round++) {
      const batch = await this.o.store.claimDue(
        this.o.holder,
        this.now(),
        this.leaseMs,
        BATCH,
        asOf,
      );
      if (!batch.length) break;
      await Promise.all(batch.map(d => this.sendOne(d)));
      settled += batch.length;
    }
    return settled;
  }

  /** Pages held for self-healing's grace that has ended: avoided when healed, released saying what was tried. */
  private async graceEnded(): Promise<number> {
    const heal = this.o.selfHealing;
    if (!heal) return 0;
    let n = 0;
    for (const alertKey of await this.o.store.graceDue(this.now(), 50)) {
      const [first] = await this.o.store.firedDeliveries(alertKey);
      if (!first) continue;
      const alert = { id: first.alertId, sloRef: first.sloRef };
      let outcome: { healed: boolean; tried: string[] };
      try {
        outcome = await heal.outcome(alert);
      } catch (e) {
        outcome = {
          healed: false,
          tried: [`(self-healing could not say: ${this.o.redactor.error(e)})`],
        };
      }
      if (outcome.healed) {
        if (await this.o.store.avoid(alertKey, this.now()))
          await heal
            .avoided({ ...alert, alertKey })
            .catch(e =>
              this.o.logger.warn(
                `Recording the avoided page of alert ${alertKey} failed: ${this.o.redactor.error(
                  e,
                )}`,
              ),
            );
        n++;
      } else {
        await this.o.store.release(
          alertKey,
          this.now(),
          outcome.tried.slice(0, 20).map(t => this.o.redactor.text(t, 300)),
        );
      }
    }
    return n;
  }

  /**
   * Deliveries held for quiet hours whose window ended: one digest per target (PagerDuty: each its own event,
   * deduplicated by its alert key), fired-and-resolved alerts said as such.
   */
  private async digests(): Promise<number> {
    const held = await this.o.store.claimHeld(
      this.o.holder,
      this.now(),
      this.leaseMs,
      500,
    );
    if (!held.length) return 0;
    const byTarget = new Map<string, ClaimedDelivery[]>();
    for (const d of held)
      byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
    for (const rows of byTarget.values()) {
      if (rows[0].targetKind === 'pagerduty' || rows.length === 1) {
        for (const d of rows) await this.sendOne(d);
        continue;
      }
      await this.sendDigest(rows);
    }
    return held.length;
  }

  private async sendDigest(rows: ClaimedDelivery[]): Promise<void> {
    const first = rows[0];
    const alerts = new Map<string, ClaimedDelivery[]>();
    for (const d of rows)
      alerts.set(d.alertKey, [...(alerts.get(d.alertKey) ?? []), d]);
    const details: Record<string, string> = {};
    for (const [key, ds] of alerts) {
      const resolved = ds.some(d => d.transition === 'resolved');
      const fired = ds.some(d => d.transition === 'fired');
      let what = 'fired';
      if (fired && resolved) what = 'fired and resolved during quiet hours';
      else if (resolved) what = 'resolved';
      details[
        key
      ] = `${ds[0].payload.summary} (${ds[0].payload.severity}): ${what}`;
    }
    const severities = [...new Set(rows.map(d => d.payload.severity))];
    await this.sendOne(first, rows.slice(1), {
      deliveryId: first.id,
      alertKey: `digest-${first.id}`,
      alertId: first.alertId,
      sloRef: first.sloRef,
      entityRef: first.entityRef,
      transition: 'fired',
      payload: {
        summary: `Quiet-hours digest: ${alerts.size} alerts`,
        severity: severities.join(','),
        rule: `${alerts.size} alerts held during quiet hours`,
        sloName: 'Quiet-hours digest',
        details,
        firedAt: first.payload.firedAt,
        resolvedAt: null,
      },
      appBaseUrl: this.o.appBaseUrl,
    });
  }

  /** Delivered pages not acknowledged in time: the next step's targets are paged (once each). */
  private async escalate(): Promise<void> {
    const pending = await this.o.store.escalationsPending(200);
    const now = this.now();
    const done: number[] = [];
    for (const p of pending) {
      const rows: NewDelivery[] = [];
      p.steps.forEach((step, i) => {
        if (p.deliveredAt + step.afterMs > now) return;
        for (const name of step.targets) {
          const t = this.config.targets.get(name);
          if (!t) continue;
          rows.push({
            alertKey: p.alertKey,
            alertId: p.alertId,
            sloRef: p.sloRef,
            entityRef: p.entityRef,
            target: t.name,
            targetKind: t.kind,
            transition: 'fired',
            payload: p.payload,
            createdAt: now,
            policy: p.policy,
            routedBy: 'escalation',
            escalationStep: i,
          });
        }
      });
      if (rows.length) await this.o.store.enqueue(rows);
      if (p.steps.every(s => p.deliveredAt + s.afterMs <= now)) done.push(p.id);
    }
    if (done.length) await this.o.store.escalationDone({ ids: done });
  }

  /**
   * Someone acknowledged an alert (the portal, or PagerDuty's webhook): recorded once, stops its escalation, and
   * is sent to the PagerDuty targets its page went to (not back to PagerDuty when it came from there). Answers
   * whether this was the first acknowledgement.
   */
  async acknowledge(ack: {
    alertKey: string;
    by: string;
    source: 'portal' | 'pagerduty';
    at?: number;
  }): Promise<{ acknowledged: boolean; firstAcknowledgement: boolean }> {
    const at = ack.at ?? this.now();
    const fired = await this.o.store.firedDeliveries(ack.alertKey);
    if (!fired.length)
      return { acknowledged: false, firstAcknowledgement: false };
    const first = await this.o.store.acknowledge({ ...ack, at });
    await this.o.store.escalationDone({ alertKey: ack.alertKey });
    if (first && ack.source !== 'pagerduty') {
      await this.transitionOf(ack.alertKey, 'acknowledged', at, ['pagerduty']);
      this.kick();
    }
    return { acknowledged: true, firstAcknowledgement: first };
  }

  /**
   * A person acknowledges an alert in the portal, if `mayAct` allows them on the alert's entity (its owners).
   * 404 for an alert that was never delivered, 403 when not allowed.
   */
  async acknowledgeInPortal(
    alertKey: string,
    by: string,
    mayAct: (entityRef: string) => Promise<boolean>,
  ): Promise<{ alertKey: string; firstAcknowledgement: boolean }> {
    const [fired] = await this.o.store.firedDeliveries(alertKey);
    if (!fired)
      throw new NotFoundError(
        `alertKey: no alert ${alertKey} was routed for delivery`,
      );
    if (!(await mayAct(fired.entityRef)))
      throw new NotAllowedError(
        `Only the owners of ${fired.entityRef} may acknowledge its alerts`,
      );
    const r = await this.acknowledge({ alertKey, by, source: 'portal' });
    return { alertKey, firstAcknowledgement: r.firstAcknowledgement };
  }

  private lastPrune = 0;

  /** At most once an hour per process: settled deliveries older than the retention are forgotten, in batches. */
  private async pruneNowAndThen(): Promise<void> {
    const now = this.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    let deleted = 0;
    for (let i = 0; i < 20; i++) {
      const n = await this.o.store.prune(now - this.config.retentionMs, 1000);
      deleted += n;
      if (n < 1000) break;
    }
    if (deleted)
      this.o.logger.info(
        `Forgot ${deleted} settled deliveries past the retention`,
      );
  }

  /**
   * Sends one claimed delivery (or a digest: `message` said for `d` and `also`, which settle with it) and settles
   * it.
   */
  private async sendOne(
    d: ClaimedDelivery,
    also: ClaimedDelivery[] = [],
    message?: DeliveryMessage,
  ): Promise<void> {
    const target = this.config.targets.get(d.target);
    let result: SendResult;
    if (!target || target.kind !== d.targetKind) {
      result = {
        ok: false,
        retry: false,
        status: null,
        error: `reliability.delivery.targets.${d.target}: no ${d.targetKind} target of that name is configured any more`,
      };
    } else {
      try {
        const tried = d.payload.tried;
        result = await (this.o.send ?? defaultSend)(
          target,
          message ?? {
            deliveryId: d.id,
            alertKey: d.alertKey,
            alertId: d.alertId,
            sloRef: d.sloRef,
            entityRef: d.entityRef,
            transition: d.transition,
            payload: tried?.length
              ? {
                  ...d.payload,
                  details: { ...d.payload.details, tried: tried.join('; ') },
                }
              : d.payload,
            appBaseUrl: this.o.appBaseUrl,
          },
          { timeoutMs: this.config.timeoutMs, now: this.now },
        );
      } catch (e) {
        result = {
          ok: false,
          retry: true,
          status: null,
          error: `${d.targetKind}: ${(e as Error).message}`,
        };
      }
    }
    const at = this.now();
    if (result.ok) {
      await this.settleAll([d, ...also], {
        state: 'delivered',
        at,
        status: result.status,
      });
      return;
    }
    const error = this.o.redactor.text(result.error, 2000);
    const last = d.attempts >= this.config.maxAttempts;
    if (result.retry && !last) {
      const { baseMs, capMs } = this.config.backoff;
      const delay = Math.max(
        1,
        fullJitterDelayMs(d.attempts - 1, baseMs, capMs, this.o.random),
        Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS),
      );
      await this.settleAll([d, ...also], {
        state: 'queued',
        nextAttemptAt: at + delay,
        status: result.status,
        error,
      });
      return;
    }
    const reason =
      result.retry && last
        ? `Gave up after ${d.attempts} attempts: ${error}`
        : error;
    await this.settleAll([d, ...also], {
      state: 'failed',
      status: result.status,
      error: reason,
    });
    this.o.logger.warn(
      `Delivery ${d.id} of alert ${d.alertKey} (${d.transition}) to ${d.target} failed: ${reason}`,
    );
    if (
      target &&
      this.o.authFailed &&
      (result.status === 401 || result.status === 403)
    )
      await this.o
        .authFailed(target, result.status)
        .catch(e =>
          this.o.logger.warn(
            `Reporting the refused credentials of ${
              d.target
            } failed: ${this.o.redactor.error(e)}`,
          ),
        );
  }

  private async settleAll(
    ds: ClaimedDelivery[],
    outcome: Parameters<DeliveryOutbox['settle']>[2],
  ): Promise<void> {
    for (const d of ds) await this.o.store.settle(d.id, this.o.holder, outcome);
  }

  /** One page of deliveries, newest first, of SLOs the caller may read. */
  async list(
    query: z.infer<typeof deliveryQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<Page<DeliveryRecord>> {
    const entityRef = query.entityRef?.toLocaleLowerCase('en-US');
    const sloRefs = entityRef ? await this.o.slosOf(entityRef) : undefined;
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const page = pageOf(
      await this.o.store.list({
        sloRefs,
        entityRef,
        state: query.state,
        limit: limit + 1,
        offset,
      }),
      offset,
      limit,
      true,
    );
    // an alert's delivery is read with its SLO, an incident's page (no SLO) with its entity
    const owner = (d: DeliveryRecord) =>
      d.sloRef ? `slo:${d.sloRef}` : d.entityRef;
    const visible = await this.o.access.visibleRecently(
      page.items.map(owner),
      credentials,
    );
    return { ...page, items: page.items.filter(d => visible(owner(d))) };
  }

  /** The configured targets, by name: names and kinds only. */
  targets(
    query: z.infer<typeof deliveryTargetsQuerySchema>,
  ): Page<DeliveryTargetSummary> {
    const all = [...this.config.targets.values()]
      .map(t => ({ name: t.name, kind: t.kind }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en'));
    return pageOf(all, decodeCursor(query.cursor) ?? 0, query.limit ?? 100);
  }
}
