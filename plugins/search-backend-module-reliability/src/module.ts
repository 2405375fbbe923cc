import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { searchIndexRegistryExtensionPoint } from '@backstage/plugin-search-backend-node/alpha';
import { readCollatorSettings } from './config/config';
import { ReliabilityApi } from './http/ReliabilityApi';
import { SloCollatorFactory } from './slos/SloCollatorFactory';
import {
  catalogRunbookEntities,
  RunbookCollatorFactory,
} from './runbooks/RunbookCollatorFactory';
import { IncidentCollatorFactory } from './incidents/IncidentCollatorFactory';

/**
 * Search module (plugin `search`, module `reliability-collator`): the reliability suite's SLOs, runbook sections and
 * incidents as search documents (`reliability-slo`, `reliability-runbook`, `reliability-incident`), read from the
 * reliability backend's REST API with the search plugin's own service credentials, on the schedule of
 * `search.collators.reliability.schedule`. Each document names its entity (`authorization.resourceRef`), so search
 * shows it only to who may read that entity in the catalog.
 * @public
 */
export const searchModuleReliabilityCollators = createBackendModule({
  pluginId: 'search',
  moduleId: 'reliability-collator',
  register(reg) {
    reg.registerInit({
      deps: {
        auth: coreServices.auth,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        indexRegistry: searchIndexRegistryExtensionPoint,
      },
      async init({
        auth,
        config,
        discovery,
        logger,
        scheduler,
        catalog,
        indexRegistry,
      }) {
        const settings = readCollatorSettings(config);
        const api = new ReliabilityApi({
          auth,
          discovery,
          pageSize: settings.pageSize,
        });
        const entities = catalogRunbookEntities(
          async request =>
            catalog.queryEntities(request, {
              credentials: await auth.getOwnServiceCredentials(),
            }),
          settings.pageSize,
        );
        const factories = [
          new SloCollatorFactory(api),
          new RunbookCollatorFactory({
            api,
            entities,
            logger,
            pagesPath: settings.pagesPath,
          }),
          new IncidentCollatorFactory({ api, pagesPath: settings.pagesPath }),
        ];
        for (const factory of factories)
          indexRegistry.addCollator({
            schedule: scheduler.createScheduledTaskRunner(settings.schedule),
            factory,
          });
      },
    });
  },
});
