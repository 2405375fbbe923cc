import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { IncidentStore } from './IncidentStore';
import type { RunbookService } from '../runbooks/RunbookService';
import { IncidentService } from './IncidentService';
import { incidentRoutes } from './routes';

/** Incidents: declared, worked (timeline, status, roles) and closed with their review. */
export function createIncidentFeature(
  ctx: FeatureContext<{ incidents: IncidentStore }>,
  deps: { runbooks: RunbookService },
) {
  const incidents = new IncidentService({
    store: ctx.stores.incidents,
    access: ctx.access,
    runbooks: deps.runbooks,
  });
  return {
    routes: (router, { guards }) =>
      incidentRoutes(router, { guards, incidents }),
  } satisfies Feature;
}
