import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  ChaosFollowUpItem,
  entityReliabilityPath,
  formatElapsed,
  Incident,
  IncidentActionItem,
  ReliabilityTabRoute,
} from '@reliability-suite/plugin-reliability-common';
import type { IncidentNotices } from '../incidents/IncidentFollowUps';

/** A notification's topic per kind and entity: users mute one kind for one entity in their notification settings. */
export const notificationTopic = (
  kind:
    | 'slo-burn'
    | 'remediation-escalated'
    | 'chaos-aborted'
    | 'chaos-expectation-unmet'
    | 'proof-stale'
    | 'incident-update-overdue'
    | 'incident-action-overdue',
  entityRef: string,
) => `${kind}:${entityRef}`;

/**
 * Where a notification points: the entity's Reliability tab at the screen that answers it (`chaos`,
 * `self-healing`, an SLO's `slo/:name`; the overview by default), or a page of the portal.
 */
export function reliabilityLink(
  entityRef: string,
  route: ReliabilityTabRoute = 'overview',
  sloName?: string,
): string {
  const e = parseEntityRef(entityRef);
  return entityReliabilityPath(e, route, sloName);
}

/** Where an incident's notification points: its page in the portal. */
export const incidentLink = (id: number) => `/reliability/incidents/${id}`;

/**
 * Tells the owners of an entity what needs them, through Backstage's notifications (the portal's notifications and
 * signals plugins): an SLO that starts burning at page level, a remediation that escalated, an aborted chaos
 * experiment, and a stale drill or capacity proof; and tells an incident's Comms holder of an overdue status update
 * and an action item's owner of an overdue item. A failure to notify is logged, never thrown: alerting goes on.
 */
export class ReliabilityNotifier implements IncidentNotices {
  constructor(
    private readonly notifications: NotificationService | undefined,
    private readonly logger: LoggerService,
  ) {}

  private async send(
    entityRef: string,
    payload: {
      title: string;
      description: string;
      link: string;
      severity: 'critical' | 'high' | 'normal' | 'low';
      topic: string;
    },
  ) {
    if (!this.notifications) return;
    try {
      await this.notifications.send({
        recipients: { type: 'entity', entityRef },
        payload,
      });
    } catch (e) {
      this.logger.warn(
        `Could not notify the owners of ${entityRef}: ${(e as Error).message}`,
      );
    }
  }

  sloBurning(a: {
    entityRef: string;
    sloTitle: string;
    /** The SLO's name: the link opens its screen of the tab. */
    sloName?: string;
    rule: string;
    runbook?: string;
  }) {
    return this.send(a.entityRef, {
      title: `${a.sloTitle} is burning its error budget (${a.rule})`,
      description: `A page-level burn-rate alert fired. The runbook's Symptoms section says what to check first.`,
      link:
        a.runbook && a.runbook.startsWith('/')
          ? a.runbook
          : reliabilityLink(
              a.entityRef,
              a.sloName ? 'slo' : 'overview',
              a.sloName,
            ),
      severity: 'high',
      topic: notificationTopic('slo-burn', a.entityRef),
    });
  }

  remediationEscalated(a: {
    entityRef: string;
    ruleId: string;
    detail: string;
  }) {
    return this.send(a.entityRef, {
      title: `Remediation ${a.ruleId} escalated: a human needs to look`,
      description: a.detail.slice(0, 500),
      link: reliabilityLink(a.entityRef, 'selfHealing'),
      severity: 'high',
      topic: notificationTopic('remediation-escalated', a.entityRef),
    });
  }

  chaosAborted(a: { entityRef: string; experiment: string; reason: string }) {
    return this.send(a.entityRef, {
      title: `Chaos experiment ${a.experiment} was aborted`,
      description: a.reason.slice(0, 500),
      link: reliabilityLink(a.entityRef, 'chaos'),
      severity: 'normal',
      topic: notificationTopic('chaos-aborted', a.entityRef),
    });
  }

  /** A chaos run ended with unmet expectations: its follow-up's action items, on the chaos tab. */
  chaosExpectationsUnmet(a: {
    entityRef: string;
    experiment: string;
    runId: number;
    items: ChaosFollowUpItem[];
  }) {
    return this.send(a.entityRef, {
      title: `Chaos experiment ${a.experiment}: ${a.items.length} expectation${
        a.items.length > 1 ? 's' : ''
      } not met`.slice(0, 200),
      description: `Run #${a.runId} ended with action items for ${
        a.items[0]?.owner ?? 'its owner'
      }, due ${a.items[0]?.due}: ${a.items.map(i => i.title).join('; ')}`.slice(
        0,
        500,
      ),
      link: reliabilityLink(a.entityRef, 'chaos'),
      severity: 'normal',
      topic: notificationTopic('chaos-expectation-unmet', a.entityRef),
    });
  }

  proofStale(a: {
    entityRef: string;
    proof: 'drill' | 'capacity';
    lastAt: number;
    maxAgeDays: number;
    now: number;
  }) {
    const days = Math.floor((a.now - a.lastAt) / 86_400_000);
    const what =
      a.proof === 'drill'
        ? 'successful failover or restore drill'
        : 'passing load test';
    return this.send(a.entityRef, {
      title: `The ${
        a.proof === 'drill' ? 'failover drill' : 'capacity'
      } proof of ${a.entityRef} is stale`,
      description: `The last ${what} was ${days} days ago (${new Date(a.lastAt)
        .toISOString()
        .slice(0, 10)}); the readiness review asks for one within ${
        a.maxAgeDays
      } days.`,
      link: reliabilityLink(
        a.entityRef,
        a.proof === 'drill' ? 'drills' : 'capacity',
      ),
      severity: 'normal',
      topic: notificationTopic('proof-stale', a.entityRef),
    });
  }

  /** The incident's status update is overdue: tells the Comms holder (the follow-up task picks Comms, else the Commander). */
  statusUpdateOverdue(a: {
    recipient: string;
    incident: Incident;
    overdueMs: number;
  }) {
    const i = a.incident;
    return this.send(a.recipient, {
      title: `Incident #${
        i.id
      } needs a status update: overdue by ${formatElapsed(a.overdueMs)}`,
      description: `${i.severity} ${i.title} (${i.entityRef}, ${
        i.status
      }): stakeholders expect an update every ${
        i.updateCadenceMinutes ?? 30
      } min. Post one on the incident page.`.slice(0, 500),
      link: incidentLink(i.id),
      severity: i.severity === 'SEV1' ? 'critical' : 'high',
      topic: notificationTopic('incident-update-overdue', i.entityRef),
    });
  }

  /** An action item of a closed incident is overdue and not done: tells its owner once. */
  actionItemOverdue(a: {
    recipient: string;
    incident: Incident;
    item: IncidentActionItem;
    position: number;
    overdueMs: number;
  }) {
    const i = a.incident;
    return this.send(a.recipient, {
      title: `Action item overdue: ${a.item.title}`.slice(0, 200),
      description:
        `Action item ${a.position} of incident #${i.id} (${i.title}, ${i.entityRef}) was due ${a.item.due} and is not done; its owner is ${a.item.owner}. Mark it done on the incident page.`.slice(
          0,
          500,
        ),
      link: incidentLink(i.id),
      severity: 'normal',
      topic: notificationTopic('incident-action-overdue', i.entityRef),
    });
  }
}
