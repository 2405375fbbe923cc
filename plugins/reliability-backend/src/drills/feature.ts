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
    // the latest drills, newest first: the review picks the one that proves each item (kind, success, age, RTO/RPO)
    readinessFacts: async entityRef => ({
      drills: (await ctx.stores.drills.list(entityRef, 50, 0)).map(d => ({
        kind: d.kind,
        at: Date.parse(d.date),
        success: d.success,
        measuredRtoSeconds: d.measuredRtoSeconds,
        ...(d.rpoSeconds !== undefined ? { rpoSeconds: d.rpoSeconds } : {}),
      })),
    }),
  } satisfies Feature & Record<string, unknown>;
}
