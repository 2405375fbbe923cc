import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { BurnRateImportStore } from './BurnRateImportStore';
import type { DrillService } from '../drills/DrillService';
import type { SloFeature } from '../slos';
import type { SyntheticService } from '../synthetics/SyntheticService';
import { policyHints } from '../permissions/policyHints';
import { RegistryImportService } from './RegistryImportService';
import { importRoutes } from './routes';

/** The four CSV registries (SLOs, burn-rate alerts, synthetic journeys, drills) through one door. */
export function createImportFeature(
  ctx: FeatureContext<{ burnRateImports: BurnRateImportStore }>,
  deps: {
    slos: SloFeature;
    drills: DrillService;
    synthetics: SyntheticService;
  },
) {
  const imports = new RegistryImportService({
    catalog: ctx.catalog,
    auth: ctx.auth,
    logger: ctx.logger.child({ component: 'imports' }),
    registry: deps.slos.registry,
    burnRates: ctx.stores.burnRateImports,
    drills: deps.drills,
    synthetics: deps.synthetics,
    publishDir: ctx.config.scaffolder.publishDir,
    locationRef: ctx.config.scaffolder.locationRef,
  });
  return {
    routes: (router, { guards }) =>
      importRoutes(router, {
        guards,
        imports,
        refusedHint: policyHints(ctx.config.permissions).platform,
      }),
  } satisfies Feature;
}
