import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  EntityProvider,
  EntityProviderConnection,
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { catalogModelExtensionPoint } from '@backstage/plugin-catalog-node/alpha';
import { reliabilityEntityDataParser } from './entityDataParser';
import { OpenSloEntityProcessor } from './OpenSloEntityProcessor';
import { SlothEntityProcessor } from './SlothEntityProcessor';
import { SloFormatsEntityProcessor } from './SloFormatsEntityProcessor';

/** How long after an SLI or DataSource is read its SLOs are asked again: the first ask can meet an SLO in flight. */
const SECOND_REFRESH_MS = 3000;

/**
 * Provides no entity: holds the catalog's connection, through which the processor asks the catalog to process again
 * the SLOs that registered a document's refresh key (`connection.refresh`), as soon as that document is read.
 */
class OpenSloReferenceRefresher implements EntityProvider {
  private connection?: EntityProviderConnection;

  getProviderName(): string {
    return 'OpenSloReferenceRefresher';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
  }

  refresh(key: string) {
    const ask = () =>
      this.connection?.refresh({ keys: [key] }).catch(() => undefined);
    ask();
    setTimeout(ask, SECOND_REFRESH_MS).unref?.();
  }
}

/**
 * Catalog module: OpenSLO SLO entities; Sloth's PrometheusServiceLevel resources and spec files (each SLO emitted as
 * one); OpenSLO v1alpha and v2alpha documents (converted to v1 in place) and Pyrra's ServiceLevelObjective (its SLO
 * emitted).
 * @public
 */
export const catalogModuleReliability = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'reliability',
  register(reg) {
    reg.registerInit({
      deps: {
        processing: catalogProcessingExtensionPoint,
        model: catalogModelExtensionPoint,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
      },
      async init({ processing, model, catalog, auth }) {
        // lists at the root (`- apiVersion: openslo/v1 …`) and JSON arrays of OpenSLO, Sloth or Pyrra documents
        model.setEntityDataParser(reliabilityEntityDataParser);
        const refresher = new OpenSloReferenceRefresher();
        processing.addEntityProvider(refresher);
        // the converting processors first: OpenSloEntityProcessor reads what they return and emit as OpenSLO v1
        processing.addProcessor(new SlothEntityProcessor());
        processing.addProcessor(new SloFormatsEntityProcessor());
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
            { onReferencedDocument: key => refresher.refresh(key) },
          ),
        );
      },
    });
  },
});
