import { Feature } from '../http/feature';
import type { SuiteContext } from '../wiring/context';
import type { RunbookService } from '../runbooks/RunbookService';
import { IncidentService } from './IncidentService';
import { incidentRoutes } from './routes';

/** Incidents: declared, worked (timeline, status, roles) and closed with their review. */
export function createIncidentFeature(
  ctx: SuiteContext,
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
