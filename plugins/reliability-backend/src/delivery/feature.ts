import { hostname } from 'os';
import { randomUUID } from 'crypto';
import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import { Redactor, collectSecrets } from '../redaction/Redactor';
import type { SloFeature } from '../slos';
import type { DeliveryOutbox } from './DeliveryStore';
import { DeliveryService } from './DeliveryService';
import { deliveryRoutes } from './routes';
import { NO_DELIVERY } from '../config/deliveryConfig';
import { deliverySecrets } from './targets';

/**
 * Delivery to where people are: the suite's own alerts, as they fire (AlertFired) and resolve (AlertResolved), go
 * to the PagerDuty, Slack, Opsgenie, Teams and signed-webhook targets of `reliability.delivery.targets` that their
 * SLO's OpenSLO AlertNotificationTargets name, through an outbox each replica drains (its own scheduled task).
 */
export function createDeliveryFeature(
  ctx: FeatureContext<{ delivery: DeliveryOutbox }>,
  deps: { slos: Pick<SloFeature, 'registry'> },
) {
  const config = ctx.config.delivery ?? NO_DELIVERY;
  // the plugin's redaction step knows the config's secret-named keys; this one also knows routing keys and the
  // webhook URLs that are secrets whole
  const redactor = new Redactor([
    ...collectSecrets(ctx.config.raw),
    ...deliverySecrets(config.targets.values()),
  ]);
  const logger = redactor.logger(ctx.logger.child({ component: 'delivery' }));
  const delivery = new DeliveryService({
    store: ctx.stores.delivery,
    config,
    redactor,
    logger,
    access: ctx.access,
    slosOf: async entityRef =>
      (await deps.slos.registry.forEntity(entityRef)).map(s => s.def.ref),
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    appBaseUrl: ctx.config.appBaseUrl,
  });
  const live = config.enabled && config.targets.size > 0;
  if (live) {
    // a failed write is logged, not thrown: the tick that fired the alert (and remediation's part of it) goes on
    ctx.events.subscribe('AlertFired', async ({ alert, slo }) => {
      await delivery
        .fired(alert, slo)
        .catch(e =>
          logger.error(
            `Alert ${alert.id} of ${
              alert.sloRef
            } was not queued for delivery: ${redactor.error(e)}`,
          ),
        );
    });
    ctx.events.subscribe('AlertResolved', async ({ alert }) => {
      await delivery
        .transition(alert, 'resolved')
        .catch(e =>
          logger.error(
            `The resolution of alert ${alert.id} of ${
              alert.sloRef
            } was not queued for delivery: ${redactor.error(e)}`,
          ),
        );
    });
  }
  return {
    delivery,
    tasks: live
      ? [
          scheduledTask(
            'reliability-delivery-drain',
            'local',
            {
              frequency: { seconds: config.intervalSeconds },
              timeout: { minutes: 10 },
              initialDelay: { seconds: 3 },
            },
            () => delivery.drain(),
          ),
        ]
      : [],
    routes: (router, { guards }) =>
      deliveryRoutes(router, { guards, delivery }),
  } satisfies Feature & Record<string, unknown>;
}

/** The delivery feature's ports. */
export type DeliveryFeature = ReturnType<typeof createDeliveryFeature>;
