import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { OpenSloEntityProcessor } from './OpenSloEntityProcessor';
import { SlothEntityProcessor } from './SlothEntityProcessor';

/**
 * Catalog module: OpenSLO SLO entities, and Sloth's PrometheusServiceLevel resources (each SLO emitted as one).
 * @public
 */
export const catalogModuleReliability = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'reliability',
  register(reg) {
    reg.registerInit({
      deps: {
        processing: catalogProcessingExtensionPoint,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
      },
      async init({ processing, catalog, auth }) {
        processing.addProcessor(new SlothEntityProcessor());
        processing.addProcessor(
          new OpenSloEntityProcessor(
            async componentRef => {
              const component = await catalog.getEntityByRef(componentRef, {
                credentials: await auth.getOwnServiceCredentials(),
              });
              const owner = component?.spec?.owner;
              return typeof owner === 'string' ? owner : undefined;
            },
            async ref =>
              (await catalog.getEntityByRef(ref, {
                credentials: await auth.getOwnServiceCredentials(),
              })) ?? undefined,
          ),
        );
      },
    });
  },
});
