import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { AlertStore } from './AlertStore';
import type { SloFeature } from '../slos';
import { AlertService } from './AlertService';
import { alertRoutes } from './routes';

/** The suite's burn-rate and no-data alerts, with their lifecycle (it publishes AlertResolved). */
export function createAlertsFeature(
  ctx: FeatureContext<{ alerts: AlertStore }>,
  deps: { slos: SloFeature },
) {
  // an alert that had fired and resolved is an event of its own (delivery sends the resolution where the page went)
  ctx.stores.alerts.onResolved(async resolved => {
    for (const alert of resolved)
      await ctx.events.publish('AlertResolved', { alert });
  });
  const alerts = new AlertService({
    alerts: ctx.stores.alerts,
    registry: deps.slos.registry,
    access: ctx.access,
  });
  return {
    routes: (router, { guards }) => alertRoutes(router, { guards, alerts }),
  } satisfies Feature;
}
