import { Feature, scheduledTask } from '../http/feature';
import type { SuiteContext } from '../wiring/context';
import type { ReliabilityNotifier } from '../notifications/ReliabilityNotifier';
import { ReadinessService } from './ReadinessService';
import { readinessRoutes } from './routes';
import { StaleProofTask } from './StaleProofTask';

/** The production-readiness review of an entity, and a notice to its owners when a drill or load test goes stale. */
export function createReadinessFeature(
  ctx: SuiteContext,
  deps: { features: Feature[]; notifier: ReliabilityNotifier },
) {
  const { stores } = ctx;
  const sources = deps.features.flatMap(f =>
    f.readinessFacts ? [f.readinessFacts] : [],
  );
  const readiness = new ReadinessService({ entities: ctx.entities, sources });
  const staleProofs = new StaleProofTask({
    drills: stores.drills,
    capacity: stores.capacity,
    notices: stores.notices,
    notifier: deps.notifier,
    logger: ctx.logger,
  });
  return {
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
  } satisfies Feature;
}
