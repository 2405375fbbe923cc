import { Entity } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  isSlothServiceLevel,
  slothToOpenSlo,
} from '@reliability-suite/plugin-reliability-common';

/**
 * Lets the catalog read Sloth's Kubernetes resources (`sloth.slok.dev/v1` `PrometheusServiceLevel`) as they are: the
 * resource is accepted as an entity, and each of its SLOs is emitted as an OpenSLO `kind: SLO` entity (the same
 * conversion as the importer), which the OpenSLO processor then validates and relates to its component. A resource
 * that does not fit (an SLI plugin, an empty query) is refused with the field named.
 * @public
 */
export class SlothEntityProcessor implements CatalogProcessor {
  getProcessorName(): string {
    return 'SlothEntityProcessor';
  }

  async validateEntityKind(entity: Entity): Promise<boolean> {
    return isSlothServiceLevel(entity);
  }

  async preProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (!isSlothServiceLevel(entity)) return entity;
    const converted = slothToOpenSlo(entity, {
      namespace: entity.metadata.namespace ?? 'default',
    });
    if (!converted.ok) {
      throw new Error(
        `Invalid Sloth PrometheusServiceLevel ${
          entity.metadata?.name ?? '(unnamed)'
        } in ${location.type}:${location.target}: ${converted.error}`,
      );
    }
    for (const doc of converted.value)
      emit(processingResult.entity(location, doc as Entity));
    return entity;
  }
}
