import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { AlertmanagerStore } from './AlertmanagerStore';
import type { RemediationFeature } from '../remediation/feature';
import { AlertmanagerService } from './AlertmanagerService';
import { alertmanagerRoutes } from './routes';

/** The Alertmanager receiver (authenticated by its shared secret, not a Backstage token) and the alerts it received. */
export function createAlertmanagerFeature(
  ctx: FeatureContext<{ alertmanager: AlertmanagerStore }>,
  deps: { remediation: RemediationFeature },
) {
  const alertmanager = new AlertmanagerService({
    store: ctx.stores.alertmanager,
    remediation: deps.remediation.engine,
    access: ctx.access,
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
