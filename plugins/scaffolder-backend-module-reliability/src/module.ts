import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { resolve } from 'path';
import { DEFAULT_CHAOS_POLICY } from '@reliability-suite/plugin-reliability-common';
import { createSloAction } from './slos/createSloAction';
import { createRunbookAction } from './runbooks/createRunbookAction';
import { createChaosAction } from './chaos/createChaosAction';
import { createChaosDraftAction } from './chaos/createChaosDraftAction';
import { publishLocalAction } from './publish/publishLocalAction';

/**
 * The reliability suite's scaffolder actions: reliability:slo:create, reliability:runbook:create,
 * reliability:chaos:create, reliability:chaos:draft and reliability:publish:local.
 * @public
 */
export const scaffolderModuleReliability = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'reliability',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        config: coreServices.rootConfig,
      },
      async init({ scaffolder, catalog, auth, discovery, config }) {
        const publishDir = config.getOptionalString(
          'reliability.scaffolder.publishDir',
        );
        const maxTraffic = config.getOptionalNumber(
          'reliability.chaos.maxTrafficPercent',
        );
        scaffolder.addActions(
          createSloAction(),
          createRunbookAction({ catalog, auth }),
          createChaosAction({
            policy:
              maxTraffic === undefined
                ? DEFAULT_CHAOS_POLICY
                : { ...DEFAULT_CHAOS_POLICY, maxTrafficPercent: maxTraffic },
          }),
          createChaosDraftAction({ discovery, auth }),
          // relative to where the backend runs (packages/backend), like the catalog's file locations
          publishLocalAction({
            catalog,
            publishDir: publishDir ? resolve(publishDir) : undefined,
            locationRef: config.getOptionalString(
              'reliability.scaffolder.locationRef',
            ),
          }),
        );
      },
    });
  },
});
