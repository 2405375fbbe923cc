import { z } from 'zod';
import { pageParams } from '../model/pagination';
import { entityRefParam } from '../model/params';

/**
 * Delivery of the suite's own alerts to where people are (PagerDuty, Slack, Opsgenie, Microsoft Teams, a signed
 * webhook): the vocabulary the backend and the commander page share, the REST shapes of GET /delivery and
 * GET /delivery/targets, and how an OpenSLO AlertNotificationTarget names a configured target.
 */

/** The kinds of delivery target the backend can send to. @public */
export const DELIVERY_TARGET_KINDS = [
  'pagerduty',
  'slack',
  'opsgenie',
  'teams',
  'webhook',
] as const;

/** @public */
export type DeliveryTargetKind = (typeof DELIVERY_TARGET_KINDS)[number];

/** The alert transitions that are delivered: an alert fired, was acknowledged, resolved. @public */
export const DELIVERY_TRANSITIONS = [
  'fired',
  'acknowledged',
  'resolved',
] as const;

/** @public */
export type DeliveryTransition = (typeof DELIVERY_TRANSITIONS)[number];

/**
 * Where one delivery stands: `queued` (waiting for its first or next attempt), `sending` (claimed by one backend
 * under a lease), `delivered` (the vendor accepted it), `failed` (given up: refused, attempts spent, or interrupted
 * where a repeat could reach people twice), `avoided` (held for a self-healing grace period, and the fix healed the
 * alert: nobody was paged; terminal).
 * @public
 */
export const DELIVERY_STATES = [
  'queued',
  'sending',
  'delivered',
  'failed',
  'avoided',
] as const;

/** @public */
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** The target the suite's own notifications stand for (the owners, through Backstage notifications): never sent out. @public */
export const BACKSTAGE_OWNERS_TARGET = 'backstage-owners';

/**
 * The configured target an OpenSLO AlertNotificationTarget names, as `{ kind?, name }`: `pagerduty:payments` names
 * the PagerDuty target `payments`; a bare kind (`pagerduty`, as OpenSLO's own examples write) or anything else names
 * the target called like the document (`metadata.name`). A leading `#` or `@` (`slack:#payments-oncall`) is
 * dropped. Undefined for `backstage-owners`, which the suite's notifications serve.
 * @public
 */
export function deliveryTargetRef(t: {
  name: string;
  target: string;
}): { kind?: DeliveryTargetKind; name: string } | undefined {
  const target = t.target.trim();
  if (target === BACKSTAGE_OWNERS_TARGET || t.name === BACKSTAGE_OWNERS_TARGET)
    return undefined;
  const colon = target.indexOf(':');
  const head = (colon < 0 ? target : target.slice(0, colon)).toLowerCase();
  const kind = (DELIVERY_TARGET_KINDS as readonly string[]).includes(head)
    ? (head as DeliveryTargetKind)
    : undefined;
  if (kind && colon >= 0) {
    let name = target.slice(colon + 1).trim();
    while (name.startsWith('#') || name.startsWith('@')) name = name.slice(1);
    if (name) return { kind, name };
  }
  return { kind, name: t.name };
}

/**
 * The identity of one of the suite's own alerts outside the suite: PagerDuty's `dedup_key`, Opsgenie's `alias`, the
 * webhook's `alert.key`. One per alert (an SLO's rule from when it fired until it resolves); the next time the rule
 * fires is another alert with another key. At most 64 characters, ASCII.
 * @public
 */
export function sloAlertDedupKey(alert: {
  id: number;
  sloRef: string;
  rule: string;
}): string {
  return `reliability-${alert.id}-${fnv1a32(
    `${alert.sloRef}\u0000${alert.rule}`,
  )}`;
}

/**
 * The identity of an incident's page outside the suite, like sloAlertDedupKey for an alert: PagerDuty's `dedup_key`,
 * Opsgenie's `alias`, the webhook's `alert.key`. One per incident, from its declaration (and each change of its roles,
 * which PagerDuty adds to the same incident) until it is resolved. The hash of its entity and declaration time keeps
 * one database's incident 12 apart from another's. At most 64 characters, ASCII.
 * @public
 */
export function incidentDedupKey(incident: {
  id: number;
  entityRef: string;
  declaredAt: string;
}): string {
  return `reliability-incident-${incident.id}-${fnv1a32(
    `${incident.entityRef.toLocaleLowerCase('en-US')}\u0000${
      incident.declaredAt
    }`,
  )}`;
}

/** FNV-1a, 32 bits, as 8 hex digits (not a secret: it keeps an alert id from one database apart from another's). */
function fnv1a32(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** A configured target as GET /delivery/targets shows it: its name and kind, never its credentials or URL. @public */
export interface DeliveryTargetSummary {
  name: string;
  kind: DeliveryTargetKind;
}

/** One delivery of one alert transition to one target (GET /delivery). @public */
export interface DeliveryRecord {
  id: number;
  /** The alert's identity outside the suite (sloAlertDedupKey). */
  alertKey: string;
  alertId: number;
  sloRef: string;
  entityRef: string;
  target: string;
  targetKind: DeliveryTargetKind;
  transition: DeliveryTransition;
  state: DeliveryState;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  /** The vendor's last HTTP status, when it answered. */
  lastStatus: number | null;
  /** Why the last attempt failed, redacted (no routing key, URL secret or HMAC key). */
  lastError: string | null;
  /** Why a queued delivery waits beyond its due time: quiet hours, or a self-healing grace period. */
  held?: DeliveryHold | null;
  /** Which routing policy routed it, when one did. */
  policy?: string | null;
  /** Why it goes to its target: the SLO's own AlertNotificationTarget, a routing policy, or an escalation step. */
  routedBy?: DeliveryRoutedBy | null;
  /** The escalation step (0-based) of an escalation delivery. */
  escalationStep?: number | null;
  /** The alert's acknowledgement, when someone acknowledged it. */
  acknowledged?: DeliveryAcknowledgement | null;
}

/** Why a queued delivery is held back. @public */
export const DELIVERY_HOLDS = ['quiet-hours', 'grace'] as const;
/** @public */
export type DeliveryHold = (typeof DELIVERY_HOLDS)[number];

/** Why a delivery goes to its target. @public */
export const DELIVERY_ROUTED_BY = ['slo', 'policy', 'escalation'] as const;
/** @public */
export type DeliveryRoutedBy = (typeof DELIVERY_ROUTED_BY)[number];

/** Who acknowledged an alert, where and when. @public */
export interface DeliveryAcknowledgement {
  by: string;
  source: 'portal' | 'pagerduty';
  at: string;
}

/**
 * POST /delivery/alerts/:alertKey/acknowledge path parameter: an alert key as sloAlertDedupKey writes it, or an
 * incident's as incidentDedupKey does.
 * @public
 */
export const deliveryAlertKeySchema = z
  .string()
  .regex(/^reliability-(?:incident-)?\d{1,19}-[0-9a-f]{8}$/, {
    message:
      'must be an alert key (reliability-<id>-<8 hex digits>, or reliability-incident-<id>-<8 hex digits>)',
  });

/** GET /delivery query. @public */
export const deliveryQuerySchema = z
  .object({
    entityRef: entityRefParam.optional(),
    state: z
      .enum(DELIVERY_STATES, {
        errorMap: () => ({
          message: `must be one of ${DELIVERY_STATES.join(', ')}`,
        }),
      })
      .optional(),
    ...pageParams,
  })
  .strict();

/** GET /delivery/targets query. @public */
export const deliveryTargetsQuerySchema = z.object({ ...pageParams }).strict();

const iso = z.string();

/** GET /delivery answer, as the frontend checks it. @public */
export const deliveryPageSchema = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      alertKey: z.string(),
      alertId: z.number().int(),
      sloRef: z.string(),
      entityRef: z.string(),
      target: z.string(),
      targetKind: z.enum(DELIVERY_TARGET_KINDS),
      transition: z.enum(DELIVERY_TRANSITIONS),
      state: z.enum(DELIVERY_STATES),
      attempts: z.number().int(),
      createdAt: iso,
      nextAttemptAt: iso.nullable(),
      deliveredAt: iso.nullable(),
      lastStatus: z.number().int().nullable(),
      lastError: z.string().nullable(),
      held: z.enum(DELIVERY_HOLDS).nullable().optional(),
      policy: z.string().nullable().optional(),
      routedBy: z.enum(DELIVERY_ROUTED_BY).nullable().optional(),
      escalationStep: z.number().int().nullable().optional(),
      acknowledged: z
        .object({
          by: z.string(),
          source: z.enum(['portal', 'pagerduty']),
          at: iso,
        })
        .nullable()
        .optional(),
    }),
  ),
  nextCursor: z.string().optional(),
});

/** GET /delivery/targets answer. @public */
export const deliveryTargetsPageSchema = z.object({
  items: z.array(
    z.object({ name: z.string(), kind: z.enum(DELIVERY_TARGET_KINDS) }),
  ),
  nextCursor: z.string().optional(),
});
