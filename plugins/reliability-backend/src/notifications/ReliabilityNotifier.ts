import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { NotificationService } from '@backstage/plugin-notifications-node';

/** A notification's topic per kind and entity: users mute one kind for one entity in their notification settings. */
export const notificationTopic = (
  kind: 'slo-burn' | 'remediation-escalated' | 'chaos-aborted' | 'proof-stale',
  entityRef: string,
) => `${kind}:${entityRef}`;

/** Where a notification points: the entity's Reliability tab (with a section anchor), or a page of the portal. */
export function reliabilityLink(entityRef: string, anchor?: string): string {
  const e = parseEntityRef(entityRef);
  return `/catalog/${e.namespace}/${e.kind}/${e.name}/reliability${
    anchor ? `#${anchor}` : ''
  }`;
}

/**
 * Tells the owners of an entity what needs them, through Backstage's notifications (the portal's notifications and
 * signals plugins): an SLO that starts burning at page level, a remediation that escalated, an aborted chaos
 * experiment, and a stale drill or capacity proof. A failure to notify is logged, never thrown: alerting goes on.
 */
export class ReliabilityNotifier {
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
    rule: string;
    runbook?: string;
  }) {
    return this.send(a.entityRef, {
      title: `${a.sloTitle} is burning its error budget (${a.rule})`,
      description: `A page-level burn-rate alert fired. The runbook's Symptoms section says what to check first.`,
      link:
        a.runbook && a.runbook.startsWith('/')
          ? a.runbook
          : reliabilityLink(a.entityRef),
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
      link: reliabilityLink(a.entityRef, 'remediation-panel'),
      severity: 'high',
      topic: notificationTopic('remediation-escalated', a.entityRef),
    });
  }

  chaosAborted(a: { entityRef: string; experiment: string; reason: string }) {
    return this.send(a.entityRef, {
      title: `Chaos experiment ${a.experiment} was aborted`,
      description: a.reason.slice(0, 500),
      link: reliabilityLink(a.entityRef, 'chaos-panel'),
      severity: 'normal',
      topic: notificationTopic('chaos-aborted', a.entityRef),
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
      a.proof === 'drill' ? 'successful failover drill' : 'load test';
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
        a.proof === 'drill' ? 'drills-panel' : 'capacity-panel',
      ),
      severity: 'normal',
      topic: notificationTopic('proof-stale', a.entityRef),
    });
  }
}
