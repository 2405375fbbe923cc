import { Entity } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
} from '@backstage/plugin-catalog-node';
import {
  isSlothServiceLevel,
  slothToOpenSlo,
} from '@reliability-suite/plugin-reliability-common';
import { ANNOTATION_SLOTH_SPEC_FILE, emitConverted } from './annotations';

/**
 * Lets the catalog read Sloth's Kubernetes resources (`sloth.slok.dev/v1` `PrometheusServiceLevel`) as they are: the
 * resource is accepted as an entity, and each of its SLOs is emitted as an OpenSLO `kind: SLO` entity (the same
 * conversion as the importer), which the OpenSLO processor then validates and relates to its component. A resource
 * that does not fit (an SLI plugin, an empty query) is refused with the field named. A Sloth spec file
 * (`version: prometheus/v1`) is read the same way: the entity data parser gives each of its specs this resource's
 * envelope (see `reliabilityEntityDataParser`). Each SLO carries `reliability.io/source-format: sloth`.
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
    const specFile =
      !!entity.metadata.annotations?.[ANNOTATION_SLOTH_SPEC_FILE];
    const converted = slothToOpenSlo(specFile ? entity.spec : entity, {
      namespace: entity.metadata.namespace ?? 'default',
    });
    if (!converted.ok) {
      const what = specFile
        ? `Sloth spec (service ${String(entity.spec?.service ?? '(none)')})`
        : `Sloth PrometheusServiceLevel ${
            entity.metadata?.name ?? '(unnamed)'
          }`;
      throw new Error(
        `Invalid ${what} in ${location.type}:${location.target}: ${converted.error}`,
      );
    }
    emitConverted(emit, location, converted.value, 'sloth');
    return entity;
  }
}
