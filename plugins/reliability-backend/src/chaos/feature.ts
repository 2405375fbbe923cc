import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { SloStatusReader } from '../slos';
import type { ChaosStore } from './ChaosStore';
import type { SloFeature } from '../slos';
import { ChaosFiles } from './ChaosFiles';
import { ChaosGuard, HaltSubmitter, StartSubmitter } from './ChaosGuard';
import { ChaosService } from './ChaosService';
import { chaosRoutes } from './routes';

/**
 * Chaos experiments: design, approval, the start (ChaosStarted: the features that call engines answer their calls),
 * the guard that aborts a run whose steady state breaks, and the kill switch (both ChaosAborted).
 */
export function createChaosFeature(
  ctx: FeatureContext<{
    chaos: ChaosStore;
    slos: { statuses: SloStatusReader };
  }>,
  deps: { slos: SloFeature },
) {
  const { config: rc, stores, events } = ctx;
  const { registry, reads, prometheus } = deps.slos;
  const halt: HaltSubmitter = async (experiment, reason) => {
    await events.publish('ChaosAborted', { experiment, reason });
  };
  const engineStart: StartSubmitter = async experiment =>
    (await events.publish('ChaosStarted', { experiment })).flat();
  const guard = new ChaosGuard({
    store: stores.chaos,
    registry,
    reads,
    logger: ctx.logger.child({ component: 'chaos-guard' }),
    halt,
    promql: prometheus
      ? (slo, query, t) => prometheus.query(slo, query, t)
      : undefined,
  });
  const chaos = new ChaosService({
    store: stores.chaos,
    registry,
    slos: stores.slos.statuses,
    access: ctx.access,
    entities: ctx.entities,
    policy: rc.chaos.policy,
    prometheus: Boolean(prometheus),
    halt,
    engineStart,
    backendBaseUrl: rc.backendBaseUrl,
  });
  const files = new ChaosFiles({
    catalog: ctx.catalog,
    auth: ctx.auth,
    urlReader: ctx.urlReader,
    registry,
    policy: rc.chaos.policy,
    prometheus: Boolean(prometheus),
    redactor: ctx.redactor,
  });
  return {
    tasks: [
      scheduledTask(
        'reliability-chaos-guard',
        'global',
        {
          frequency: { seconds: rc.chaos.guardIntervalSeconds },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 10 },
        },
        () => guard.run(),
      ),
    ],
    routes: (router, { guards }) =>
      chaosRoutes(router, { guards, chaos, files }),
    readinessFacts: async entityRef => ({
      chaos: {
        completed: (
          await stores.chaos.list({
            entityRef,
            states: ['completed'],
            limit: 100,
            offset: 0,
          })
        ).length,
      },
    }),
  } satisfies Feature;
}
