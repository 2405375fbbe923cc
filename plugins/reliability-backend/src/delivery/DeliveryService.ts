import { z } from 'zod';
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
  pageOf,
  sloAlertDedupKey,
} from '@reliability-suite/plugin-reliability-common';
import type { CatalogAccess } from '../catalog/CatalogAccess';
import type { FiredAlert, ResolvedAlert } from '../events/ReliabilityEvents';
import type { Redactor } from '../redaction/Redactor';
import type {
  ClaimedDelivery,
  DeliveryOutbox,
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

  constructor(private readonly o: DeliveryServiceOptions) {
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
      const target = this.o.config.targets.get(ref.name);
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

  /** An alert fired: one delivery per target of its SLO's policy. Answers how many were new. */
  async fired(alert: FiredAlert, slo: SloDefinition): Promise<number> {
    const targets = this.targetsFor(slo);
    if (!targets.length) return 0;
    const at = this.now();
    const alertKey = sloAlertDedupKey(alert);
    const rows: NewDelivery[] = targets.map(t => ({
      alertKey,
      alertId: alert.id,
      sloRef: alert.sloRef,
      entityRef: slo.componentRef,
      target: t.name,
      targetKind: t.kind,
      transition: 'fired',
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
    const alertKey = sloAlertDedupKey(alert);
    const fired = await this.o.store.firedDeliveries(alertKey);
    const at = this.now();
    const rows: NewDelivery[] = fired
      .filter(f => this.o.config.targets.get(f.target)?.kind === f.targetKind)
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
          resolvedAt: transition === 'resolved' ? alert.at : null,
        },
        createdAt: at,
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

  private lastPrune = 0;

  /** At most once an hour per process: settled deliveries older than the retention are forgotten, in batches. */
  private async pruneNowAndThen(): Promise<void> {
    const now = this.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    let deleted = 0;
    for (let i = 0; i < 20; i++) {
      const n = await this.o.store.prune(now - this.o.config.retentionMs, 1000);
      deleted += n;
      if (n < 1000) break;
    }
    if (deleted)
      this.o.logger.info(
        `Forgot ${deleted} settled deliveries past the retention`,
      );
  }

  private async sendOne(d: ClaimedDelivery): Promise<void> {
    const target = this.o.config.targets.get(d.target);
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
        result = await (this.o.send ?? defaultSend)(
          target,
          {
            deliveryId: d.id,
            alertKey: d.alertKey,
            alertId: d.alertId,
            sloRef: d.sloRef,
            entityRef: d.entityRef,
            transition: d.transition,
            payload: d.payload,
            appBaseUrl: this.o.appBaseUrl,
          },
          { timeoutMs: this.o.config.timeoutMs, now: this.now },
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
      await this.o.store.settle(d.id, this.o.holder, {
        state: 'delivered',
        at,
        status: result.status,
      });
      return;
    }
    const error = this.o.redactor.text(result.error, 2000);
    const last = d.attempts >= this.o.config.maxAttempts;
    if (result.retry && !last) {
      const { baseMs, capMs } = this.o.config.backoff;
      const delay = Math.max(
        1,
        fullJitterDelayMs(d.attempts - 1, baseMs, capMs, this.o.random),
        Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS),
      );
      await this.o.store.settle(d.id, this.o.holder, {
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
    await this.o.store.settle(d.id, this.o.holder, {
      state: 'failed',
      status: result.status,
      error: reason,
    });
    this.o.logger.warn(
      `Delivery ${d.id} of alert ${d.alertKey} (${d.transition}) to ${d.target} failed: ${reason}`,
    );
  }

  /** One page of deliveries, newest first, of SLOs the caller may read. */
  async list(
    query: z.infer<typeof deliveryQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<Page<DeliveryRecord>> {
    const sloRefs = query.entityRef
      ? await this.o.slosOf(query.entityRef.toLocaleLowerCase('en-US'))
      : undefined;
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const page = pageOf(
      sloRefs && !sloRefs.length
        ? []
        : await this.o.store.list({
            sloRefs,
            state: query.state,
            limit: limit + 1,
            offset,
          }),
      offset,
      limit,
      true,
    );
    const owner = (d: DeliveryRecord) => `slo:${d.sloRef}`;
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
    const all = [...this.o.config.targets.values()]
      .map(t => ({ name: t.name, kind: t.kind }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en'));
    return pageOf(all, decodeCursor(query.cursor) ?? 0, query.limit ?? 100);
  }
}
