import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { AlertStore } from './AlertStore';
import type { SloFeature } from '../slos';
import { AlertService } from './AlertService';
import { alertRoutes } from './routes';

/** The suite's burn-rate and no-data alerts, with their lifecycle. */
export function createAlertsFeature(
  ctx: FeatureContext<{ alerts: AlertStore }>,
  deps: { slos: SloFeature },
) {
  const alerts = new AlertService({
    alerts: ctx.stores.alerts,
    registry: deps.slos.registry,
    access: ctx.access,
  });
  return {
    routes: (router, { guards }) => alertRoutes(router, { guards, alerts }),
  } satisfies Feature;
}
