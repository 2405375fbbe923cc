import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { IdempotencyStore } from './IdempotencyStore';
import { IdempotencyService } from './IdempotencyService';
import { idempotencyRoutes } from './routes';

/**
 * Idempotent ingest: an `Idempotency-Key` header on POST /sli-events, /sli-values, /capacity/runs and /changes
 * (registered before those routes), and an hourly cleanup of keys older than 24 hours.
 */
export function createIdempotencyFeature(
  ctx: FeatureContext<{ idempotency: IdempotencyStore }>,
) {
  const idempotency = new IdempotencyService({
    store: ctx.stores.idempotency,
  });
  return {
    idempotency,
    tasks: [
      scheduledTask(
        'reliability-idempotency-cleanup',
        'global',
        {
          frequency: { hours: 1 },
          timeout: { minutes: 5 },
          initialDelay: { minutes: 5 },
        },
        () => idempotency.cleanup(),
      ),
    ],
    routes: (router, { guards }) =>
      idempotencyRoutes(router, { guards, idempotency }),
  } satisfies Feature & Record<string, unknown>;
}
