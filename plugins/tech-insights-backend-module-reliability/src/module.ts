import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  techInsightsFactCheckerFactoryExtensionPoint,
  techInsightsFactRetrieversExtensionPoint,
} from '@backstage-community/plugin-tech-insights-node';
import { JsonRulesEngineFactCheckerFactory } from '@backstage-community/plugin-tech-insights-backend-module-jsonfc';
import { RELIABILITY_FACT_RETRIEVER_ID } from './facts';
import { createReliabilityFactRetriever } from './retriever';
import { reliabilityChecks } from './checks';

/**
 * Adds the reliability fact retriever (`reliabilityFactRetriever`) to Tech Insights. Like every retriever it runs
 * once `techInsights.factRetrievers.reliabilityFactRetriever.cadence` is configured.
 * @public
 */
export const techInsightsModuleReliability = createBackendModule({
  pluginId: 'tech-insights',
  moduleId: 'reliability',
  register(env) {
    env.registerInit({
      deps: {
        techInsights: techInsightsFactRetrieversExtensionPoint,
        catalog: catalogServiceRef,
      },
      async init({ techInsights, catalog }) {
        techInsights.addFactRetrievers({
          [RELIABILITY_FACT_RETRIEVER_ID]: createReliabilityFactRetriever({
            catalog,
          }),
        });
      },
    });
  },
});

/**
 * The JSON rules engine fact checker with the reliability checks (`reliabilityChecks`) and those of
 * `techInsights.factChecker.checks` (a configured check with the same id replaces ours). Use it instead of
 * `@backstage-community/plugin-tech-insights-backend-module-jsonfc`'s module, not beside it: Tech Insights has one
 * fact checker.
 * @public
 */
export const techInsightsModuleReliabilityChecks = createBackendModule({
  pluginId: 'tech-insights',
  moduleId: 'reliability-checks',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        techInsights: techInsightsFactCheckerFactoryExtensionPoint,
      },
      async init({ config, logger, auth, catalog, techInsights }) {
        const ours: JsonObject = {};
        for (const { id, ...check } of reliabilityChecks)
          ours[id] = JSON.parse(JSON.stringify(check));
        const configured =
          config.getOptional<JsonObject>('techInsights.factChecker.checks') ??
          {};
        // read through the fact checker's own config reader, so ours and the configured ones are read alike
        const merged = new ConfigReader({
          techInsights: { factChecker: { checks: { ...ours, ...configured } } },
        });
        techInsights.setFactCheckerFactory(
          JsonRulesEngineFactCheckerFactory.fromConfig(merged, {
            logger,
            auth,
            catalog,
          }),
        );
      },
    });
  },
});
