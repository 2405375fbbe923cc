import { hostname } from 'os';
import { randomUUID } from 'crypto';
import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { collectSecrets } from '../redaction/Redactor';
import { LearningRedactor } from './LearningRedactor';
import type { SloFeature } from '../slos';
import type { DeliveryOutbox } from './DeliveryStore';
import { DeliveryService } from './DeliveryService';
import type { DeliveryServiceOptions } from './DeliveryService';
import { deliveryRoutes } from './routes';
import { NO_DELIVERY, readDeliveryConfig } from '../config/deliveryConfig';
import { deliverySecrets } from './targets';
import type { IncidentPager } from '../incidents/IncidentService';

/**
 * Delivery to where people are: the suite's own alerts, as they fire (AlertFired) and resolve (AlertResolved), go
 * to the PagerDuty, Slack, Opsgenie, Teams and signed-webhook targets of `reliability.delivery.targets` that their
 * SLO's OpenSLO AlertNotificationTargets name, through an outbox each replica drains (its own scheduled task).
 */
export function createDeliveryFeature(
  ctx: FeatureContext<{ delivery: DeliveryOutbox }>,
  deps: {
    slos: Pick<SloFeature, 'registry'>;
    /** The root config: when it changes (and it can, `subscribe`), targets, secrets and routing apply at once. */
    rootConfig?: Parameters<typeof readDeliveryConfig>[0];
    selfHealing?: DeliveryServiceOptions['selfHealing'];
    authFailed?: DeliveryServiceOptions['authFailed'];
  },
) {
  const config = ctx.config.delivery ?? NO_DELIVERY;
  // the plugin's redaction step knows the config's secret-named keys; this one also knows routing keys and the
  // webhook URLs that are secrets whole, and learns those of a changed config
  const redactor = new LearningRedactor([
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
    selfHealing: deps.selfHealing,
    authFailed: deps.authFailed,
    // the owner groups of the alert's component: one catalog call per alert, whatever the number of targets
    ownersOf: async refs => {
      const credentials = await ctx.auth.getOwnServiceCredentials();
      const { items } = await ctx.catalog.getEntitiesByRefs(
        {
          entityRefs: refs,
          fields: ['kind', 'metadata.namespace', 'spec.owner'],
        },
        { credentials },
      );
      return new Map(
        refs.map((ref, i) => {
          const owner = items[i]?.spec?.owner;
          if (typeof owner !== 'string' || !owner) return [ref, []];
          try {
            return [
              ref,
              [
                stringifyEntityRef(
                  parseEntityRef(owner, {
                    defaultKind: 'group',
                    defaultNamespace: items[i]?.metadata.namespace ?? 'default',
                  }),
                ),
              ],
            ];
          } catch {
            return [ref, []];
          }
        }),
      );
    },
  });
  // a changed config applies without a restart; an invalid one is refused (its key named, never a value)
  const root = deps.rootConfig;
  if (root?.subscribe)
    root.subscribe(() => {
      try {
        const next = readDeliveryConfig(root);
        redactor.learn(deliverySecrets(next.targets.values()));
        delivery.reconfigure(next);
        logger.info(
          'reliability.delivery changed: its targets and routing apply now',
        );
      } catch (e) {
        logger.error(
          `reliability.delivery changed but is invalid; the previous delivery config stays: ${redactor.error(
            e,
          )}`,
        );
      }
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
    ctx.events.subscribe('AlertAcknowledged', async ack => {
      await delivery
        .acknowledge(ack)
        .catch(e =>
          logger.error(
            `The acknowledgement of alert ${
              ack.alertKey
            } was not recorded: ${redactor.error(e)}`,
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
  // the incidents feature's port: an incident's roles paged through the routing of its entity (page severity)
  const incidentPager: IncidentPager = {
    paged: async (incident, revision) => {
      if (!live) return;
      await delivery
        .incidentPaged(incident, revision)
        .then(() => undefined)
        .catch(e =>
          logger.error(
            `The page of incident ${
              incident.id
            } was not queued for delivery: ${redactor.error(e)}`,
          ),
        );
    },
    resolved: async incident => {
      if (!live) return;
      await delivery
        .incidentResolved(incident)
        .then(() => undefined)
        .catch(e =>
          logger.error(
            `The resolution of incident ${
              incident.id
            } was not queued for delivery: ${redactor.error(e)}`,
          ),
        );
    },
  };
  return {
    delivery,
    incidentPager,
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
