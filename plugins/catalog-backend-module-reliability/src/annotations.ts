import { Entity } from '@backstage/catalog-model';
import {
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { LocationSpec } from '@backstage/plugin-catalog-common';

/**
 * The format an entity was read from, on every entity the module converted to OpenSLO v1: `openslo/v1alpha`,
 * `openslo/v2alpha`, `pyrra` or `sloth`.
 * @public
 */
export const ANNOTATION_SOURCE_FORMAT = 'reliability.io/source-format';

/**
 * On a `PrometheusServiceLevel` the module made of a Sloth spec file (`version: prometheus/v1`, which has no entity
 * envelope): its `spec` is the file's spec as written, read as Sloth reads the file, and errors name the file's
 * fields. The value is the spec's `version`.
 * @public
 */
export const ANNOTATION_SLOTH_SPEC_FILE = 'reliability.io/sloth-spec-file';

/**
 * Emits the OpenSLO v1 documents a format was converted into, each from the location its source came from and
 * marked with the format it was read from (ANNOTATION_SOURCE_FORMAT).
 */
export function emitConverted(
  emit: CatalogProcessorEmit,
  location: LocationSpec,
  docs: Iterable<Record<string, any>>,
  format: string,
): void {
  for (const doc of docs)
    emit(
      processingResult.entity(location, {
        ...doc,
        metadata: {
          ...doc.metadata,
          annotations: {
            ...doc.metadata.annotations,
            [ANNOTATION_SOURCE_FORMAT]: format,
          },
        },
      } as Entity),
    );
}
