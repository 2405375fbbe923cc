import type { EventsService } from '@backstage/plugin-events-node';
import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { AlertmanagerStore } from './AlertmanagerStore';
import type { RemediationFeature } from '../remediation/feature';
import { AlertmanagerService } from './AlertmanagerService';
import { subscribeAlertmanagerEvents } from './events';
import { alertmanagerRoutes } from './routes';

/**
 * The Alertmanager receiver (authenticated by its shared secret, not a Backstage token) and the alerts it received.
 * Notifications come in through its own route or, with the events backend, through the events topic
 * `reliability.alertmanager.eventsTopic` (the HTTP ingress of `reliabilityEventsModule`); both end in the same
 * `AlertmanagerService.receive`.
 */
export async function createAlertmanagerFeature(
  ctx: FeatureContext<{ alertmanager: AlertmanagerStore }>,
  deps: {
    remediation: RemediationFeature;
    events?: EventsService;
  },
) {
  const alertmanager = new AlertmanagerService({
    store: ctx.stores.alertmanager,
    remediation: deps.remediation.engine,
    access: ctx.access,
  });
  // no secret, no receiver: neither the route (404) nor the topic's subscriber
  if (deps.events && ctx.config.alertmanagerSecret)
    await subscribeAlertmanagerEvents({
      events: deps.events,
      topic: ctx.config.alertmanagerEventsTopic,
      alertmanager,
      auditor: ctx.auditor,
      logger: ctx.logger.child({ component: 'alertmanager-events' }),
    });
  return {
    unauthenticated: ['/alertmanager/webhook'],
    routes: (router, { guards, json }) =>
      alertmanagerRoutes(router, {
        guards,
        alertmanager,
        secret: ctx.config.alertmanagerSecret,
        json,
      }),
  } satisfies Feature;
}
