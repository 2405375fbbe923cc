import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { CorrectionStore } from './CorrectionStore';
import type { SloFeature } from '../slos';
import { CorrectionService } from './CorrectionService';
import { correctionRoutes } from './routes';

/** Budget corrections: time ranges excluded from an SLO's budget, audited, reverted but never deleted. */
export function createCorrectionFeature(
  ctx: FeatureContext<{ corrections: CorrectionStore }>,
  deps: { slos: SloFeature },
) {
  const corrections = new CorrectionService({
    store: ctx.stores.corrections,
    registry: deps.slos.registry,
    access: ctx.access,
    entities: ctx.entities,
  });
  return {
    /** The service, for the actions that call it (actions/). */
    corrections,
    routes: (router, { guards }) =>
      correctionRoutes(router, { guards, corrections }),
  } satisfies Feature & Record<string, unknown>;
}
