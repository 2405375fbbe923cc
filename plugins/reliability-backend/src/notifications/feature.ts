import { NotificationService } from '@backstage/plugin-notifications-node';
import type { FeatureContext } from '../http/feature';
import { ReliabilityNotifier } from './ReliabilityNotifier';

/**
 * Notifications: the owners hear of burns (a page-severity AlertFired), escalations (RemediationEscalated) and
 * aborted chaos (ChaosAborted) through Backstage's notifications; off with reliability.notifications.enabled: false.
 */
export function createNotificationsFeature(
  ctx: FeatureContext<{}>,
  notifications: NotificationService,
) {
  const notifier = new ReliabilityNotifier(
    ctx.config.notificationsEnabled ? notifications : undefined,
    ctx.logger.child({ component: 'notifications' }),
  );
  ctx.events.subscribe('AlertFired', async ({ alert, slo }) => {
    if (alert.severity === 'page')
      await notifier.sloBurning({
        entityRef: slo.componentRef,
        sloTitle: slo.title,
        sloName: slo.name,
        rule: alert.rule,
      });
  });
  ctx.events.subscribe('RemediationEscalated', ({ rule, detail }) =>
    notifier.remediationEscalated({
      entityRef: rule.entityRef,
      ruleId: rule.id,
      detail,
    }),
  );
  ctx.events.subscribe('ChaosAborted', ({ experiment: e, reason }) =>
    notifier.chaosAborted({
      entityRef: e.entityRef,
      experiment: e.name,
      reason,
    }),
  );
  return { notifier };
}
