import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { DrillStore } from '../drills/DrillStore';
import type { CapacityStore } from '../capacity/CapacityStore';
import type { NoticeStore } from '../notifications/NoticeStore';
import type { ReliabilityNotifier } from '../notifications/ReliabilityNotifier';
import { ReadinessEvidence } from './ReadinessEvidence';
import { ReadinessService } from './ReadinessService';
import { readinessRoutes } from './routes';
import { StaleProofTask } from './StaleProofTask';

/** The production-readiness review of an entity, and a notice to its owners when a drill or load test goes stale. */
export function createReadinessFeature(
  ctx: FeatureContext<{
    drills: DrillStore;
    capacity: CapacityStore;
    notices: NoticeStore;
  }>,
  deps: { features: Feature[]; notifier: ReliabilityNotifier },
) {
  const { stores } = ctx;
  // the review's own evidence from the entity: dashboards, paging, the resilience file
  const evidence = new ReadinessEvidence({
    catalog: ctx.catalog,
    auth: ctx.auth,
    urlReader: ctx.urlReader,
    redactor: ctx.redactor,
    delivery: () => {
      const d = ctx.config.delivery;
      return {
        live: Boolean(d?.enabled && d.targets.size > 0),
        routing: d?.routing ?? { policies: [] },
      };
    },
  });
  const sources = [
    ...deps.features.flatMap(f => (f.readinessFacts ? [f.readinessFacts] : [])),
    (entityRef: string) => evidence.facts(entityRef),
  ];
  const readiness = new ReadinessService({ entities: ctx.entities, sources });
  const staleProofs = new StaleProofTask({
    drills: stores.drills,
    capacity: stores.capacity,
    notices: stores.notices,
    notifier: deps.notifier,
    logger: ctx.logger,
  });
  return {
    /** The service, for the actions that call it (actions/). */
    readiness,
    tasks: [
      scheduledTask(
        'reliability-stale-proofs',
        'global',
        {
          frequency: { hours: 6 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 2 },
        },
        () => staleProofs.run(),
      ),
    ],
    routes: (router, { guards }) =>
      readinessRoutes(router, { guards, readiness }),
  } satisfies Feature & Record<string, unknown>;
}
