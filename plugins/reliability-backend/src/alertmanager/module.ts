import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { eventsExtensionPoint } from '@backstage/plugin-events-node/alpha';
import {
  alertmanagerEventsTopic,
  alertmanagerIngressValidator,
} from './events';

/**
 * The events backend's HTTP ingress for Alertmanager: POST `/api/events/http/alertmanager` (the topic is
 * `reliability.alertmanager.eventsTopic`, default `alertmanager`), guarded by `reliability.alertmanager.sharedSecret` as a bearer token. A notification that
 * passes is published on the topic, where the reliability plugin's receiver acts on it once (across replicas too).
 * Without a shared secret nothing is registered. A module of the events plugin, since only the events plugin's
 * modules can reach its extension point.
 * @public
 */
export const reliabilityEventsModule = createBackendModule({
  pluginId: 'events',
  moduleId: 'reliability-alertmanager',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        events: eventsExtensionPoint,
      },
      async init({ config, logger, events }) {
        const topic = alertmanagerEventsTopic(config);
        const secret = config.getOptionalString(
          'reliability.alertmanager.sharedSecret',
        );
        if (!secret) {
          logger.info(
            `No Alertmanager ingress at /api/events/http/${topic}: set reliability.alertmanager.sharedSecret`,
          );
          return;
        }
        events.addHttpPostIngress({
          topic,
          validator: alertmanagerIngressValidator(secret),
        });
      },
    });
  },
});
