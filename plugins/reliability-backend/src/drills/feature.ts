import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { DrillStore } from './DrillStore';
import { DrillService } from './DrillService';
import { drillRoutes } from './routes';

/** Failover drills: the log with its targets and warnings, one drill from the form, CSV import and export. */
export function createDrillFeature(
  ctx: FeatureContext<{ drills: DrillStore }>,
) {
  const drills = new DrillService({
    store: ctx.stores.drills,
    entities: ctx.entities,
    maxAgeMs: ctx.config.drills.maxAgeMs,
  });
  return {
    drills,
    routes: (router, { guards }) => drillRoutes(router, { guards, drills }),
    readinessFacts: async entityRef => {
      const { lastSuccess } = await ctx.stores.drills.latest(entityRef);
      return {
        drill: {
          lastSuccessAt: lastSuccess ? Date.parse(lastSuccess.date) : null,
        },
      };
    },
  } satisfies Feature & Record<string, unknown>;
}
