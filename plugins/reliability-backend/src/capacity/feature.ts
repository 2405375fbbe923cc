import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { SliPeakRate } from '../slos';
import type { CapacityStore } from './CapacityStore';
import type { SloFeature } from '../slos';
import { CapacityService } from './CapacityService';
import { capacityRoutes } from './routes';

/** Load tests: CI posts k6 summaries and gets a verdict; the tab reads the trend and the headroom. */
export function createCapacityFeature(
  ctx: FeatureContext<{
    capacity: CapacityStore;
    slos: { counts: SliPeakRate };
  }>,
  deps: { slos: SloFeature },
) {
  const capacity = new CapacityService({
    store: ctx.stores.capacity,
    entities: ctx.entities,
    registry: deps.slos.registry,
    slos: ctx.stores.slos.counts,
  });
  return {
    routes: (router, { guards }) =>
      capacityRoutes(router, { guards, capacity }),
    // the latest load tests with their verdicts: only a passing one counts
    readinessFacts: async entityRef => ({
      loadTests: (await ctx.stores.capacity.list(entityRef, 20, 0)).map(r => ({
        at: Date.parse(r.startedAt),
        testType: r.testType,
        verdict: r.verdict,
        reason: r.reason,
      })),
    }),
  } satisfies Feature;
}
