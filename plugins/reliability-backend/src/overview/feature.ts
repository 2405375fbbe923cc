import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { SloOverviewReader } from '../slos';
import { OverviewService } from './OverviewService';
import { overviewRoutes } from './routes';

/** The organisation's SLOs ranked by the budget they have left, with filters and a CSV export. */
export function createOverviewFeature(
  ctx: FeatureContext<{ slos: { statuses: SloOverviewReader } }>,
) {
  const overview = new OverviewService({
    store: ctx.stores.slos.statuses,
    access: ctx.access,
    gateThreshold: ctx.config.gate.threshold,
  });
  return {
    routes: (router, { guards }) =>
      overviewRoutes(router, { guards, overview }),
  } satisfies Feature;
}
