import { Entity } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  detectSloFormat,
  pyrraToOpenSlo,
  toOpenSloV1,
} from '@reliability-suite/plugin-reliability-common';

import { ANNOTATION_SOURCE_FORMAT, emitConverted } from './annotations';

const V1ALPHA = 'openslo/v1alpha';
const V2ALPHA = 'openslo.com/v2alpha';
const PYRRA_KIND = 'ServiceLevelObjective';
/** The v2alpha kinds that are OpenSLO v1 kinds of the same name (the SLO aside). */
const V2ALPHA_OTHER_KINDS = new Set([
  'SLI',
  'DataSource',
  'Service',
  'AlertPolicy',
  'AlertCondition',
  'AlertNotificationTarget',
]);

type Doc = Record<string, any>;

const isPlainObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isPyrra = (e: Entity) =>
  detectSloFormat(e) === 'pyrra' && e.kind === PYRRA_KIND;

/**
 * A converted document in place of the entity it came from: the entity's own metadata (the catalog's location
 * annotations, its labels) kept, the converted document's added, the kind, namespace and name the entity's (the
 * catalog refuses a processor that changes them), and the source format annotated.
 */
function inPlaceOf(entity: Entity, doc: Doc, format: string): Entity {
  return {
    ...doc,
    apiVersion: 'openslo/v1',
    kind: entity.kind,
    metadata: {
      ...entity.metadata,
      ...doc.metadata,
      name: entity.metadata.name,
      namespace: entity.metadata.namespace ?? 'default',
      annotations: {
        ...entity.metadata.annotations,
        ...doc.metadata?.annotations,
        [ANNOTATION_SOURCE_FORMAT]: format,
      },
    },
  } as Entity;
}

/** A v2alpha SLI metric (`dataSourceRef` or `dataSourceSpec`, and `spec`) as an OpenSLO v1 `metricSource`. */
function v2alphaMetric(m: unknown): unknown {
  if (!isPlainObject(m)) return m;
  const { dataSourceRef, dataSourceSpec, spec, ...rest } = m;
  const type = isPlainObject(dataSourceSpec) ? dataSourceSpec.type : undefined;
  return {
    ...rest,
    metricSource: {
      ...(dataSourceRef !== undefined
        ? { metricSourceRef: dataSourceRef }
        : {}),
      ...(type !== undefined ? { type } : {}),
      spec,
    },
  };
}

/**
 * A v2alpha document of a kind other than SLO as the OpenSLO v1 document of the same kind. They differ in two
 * places: an SLI's metrics name their source as `dataSourceRef` / `dataSourceSpec` (v1: `metricSource`), and a
 * DataSource's `connectionDetails` is any JSON (the go-sdk's examples write a list of one-key maps), which v1 reads
 * as one map: a list of maps is merged into one. What v1 cannot hold is refused by the v1 validation, naming the field.
 */
function v2alphaOtherKind(entity: Entity): Doc {
  if (!isPlainObject(entity.spec)) return entity;
  const spec: Doc = { ...entity.spec };
  if (entity.kind === 'SLI') {
    if (isPlainObject(spec.ratioMetric)) {
      const rm: Doc = { ...spec.ratioMetric };
      for (const k of ['good', 'bad', 'total', 'raw'])
        if (rm[k] !== undefined) rm[k] = v2alphaMetric(rm[k]);
      spec.ratioMetric = rm;
    }
    if (spec.thresholdMetric !== undefined)
      spec.thresholdMetric = v2alphaMetric(spec.thresholdMetric);
  }
  if (
    entity.kind === 'DataSource' &&
    Array.isArray(spec.connectionDetails) &&
    spec.connectionDetails.every(isPlainObject)
  )
    spec.connectionDetails = Object.assign({}, ...spec.connectionDetails);
  return { ...entity, spec };
}

/**
 * A v2alpha SLO as OpenSLO v1, by -common's `toOpenSloV1`. That converter resolves an `sliRef` among the documents it
 * is given; the catalog gives one entity at a time, and resolves references across the whole catalog instead: an
 * `sliRef` becomes the v1 SLO's `indicatorRef`, which `OpenSloEntityProcessor` looks up (the SLI in the same file or
 * in any other location; the v2alpha SLI is itself an entity, converted here). The converter is handed a stand-in SLI
 * of that name so that the rest of the SLO is converted and checked as it is for the importer.
 */
function v2alphaSlo(
  entity: Entity,
): { ok: true; value: Doc } | { ok: false; error: string } {
  const spec = isPlainObject(entity.spec) ? entity.spec : {};
  const sliRef =
    spec.sli === undefined && typeof spec.sliRef === 'string'
      ? spec.sliRef
      : undefined;
  const input =
    sliRef === undefined
      ? entity
      : [
          entity,
          {
            apiVersion: V2ALPHA,
            kind: 'SLI',
            metadata: { name: sliRef },
            spec: { ratioMetric: {} },
          },
        ];
  const r = toOpenSloV1(input);
  if (!r.ok)
    return {
      ok: false,
      error: r.error.startsWith('document 1: ')
        ? r.error.slice('document 1: '.length)
        : r.error,
    };
  const doc = r.value[0];
  if (sliRef === undefined) return { ok: true, value: doc };
  const { indicator: _standIn, ...rest } = doc.spec;
  return {
    ok: true,
    value: { ...doc, spec: { ...rest, indicatorRef: sliRef } },
  };
}

/**
 * Lets the catalog read the SLO formats other than OpenSLO v1 and Sloth, each as OpenSLO v1 entities that
 * `OpenSloEntityProcessor` (added after this one) then validates, resolves and relates, as it does a v1 document:
 * - OpenSLO `openslo/v1alpha`: an `SLO` is converted as the importer converts it (as Sloth reads it: one SLO per
 *   objective, ratio objectives only); the entity becomes the first objective's SLO, keeping its name, and
 *   each objective after the first is emitted as the SLO `<name>-<i>`. A `Service` becomes a v1 `Service`.
 * - OpenSLO `openslo.com/v2alpha`: an `SLO` becomes the v1 SLO (`serviceRef` as `service`, an inline `sli` as
 *   `indicator`, an `sliRef` as `indicatorRef`, `dataSourceRef` as `metricSourceRef`); its `SLI`, `DataSource`,
 *   `Service` and alerting kinds become the v1 documents of the same kind, so they are entities that an SLO names
 *   by reference, in the same file or in any other.
 * - Pyrra `pyrra.dev/v1alpha1` `ServiceLevelObjective`: accepted as it is, and emitted as an OpenSLO `SLO` entity of
 *   the same name, namespace and location (as `SlothEntityProcessor` does with Sloth's resource).
 * Every converted entity carries `reliability.io/source-format`. A document that cannot be converted is refused with
 * the converter's error, which names the field; it is the entity's processing error in the catalog.
 *
 * Why a processor and not the entity data parser: a processor sees every entity, from a file or URL location and from
 * any entity provider alike; its error belongs to the one entity, and the other documents of the same file are kept
 * (an error from the parser fails the whole location). The parser reads only what has no entity envelope at all (a
 * list at the root, a Sloth `prometheus/v1` spec file).
 * @public
 */
export class SloFormatsEntityProcessor implements CatalogProcessor {
  getProcessorName(): string {
    return 'SloFormatsEntityProcessor';
  }

  /** The Pyrra resource, which stays as it is; the OpenSLO documents are v1 by the time the catalog validates them. */
  async validateEntityKind(entity: Entity): Promise<boolean> {
    return isPyrra(entity);
  }

  async preProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    const where = `${location.type}:${location.target}`;
    const refuse = (what: string, error: string) =>
      new Error(
        `Invalid ${what} ${
          entity.metadata?.name ?? '(unnamed)'
        } in ${where}: ${error}`,
      );
    if (entity.apiVersion === V1ALPHA) {
      if (entity.kind === 'Service')
        return inPlaceOf(entity, entity as Doc, V1ALPHA);
      if (entity.kind !== 'SLO') return entity;
      const r = toOpenSloV1(entity);
      if (!r.ok) throw refuse('OpenSLO v1alpha SLO', r.error);
      const [first, ...others] = r.value;
      for (const [i, doc] of others.entries())
        emit(
          processingResult.entity(
            location,
            inPlaceOf(
              {
                ...entity,
                metadata: {
                  name: `${entity.metadata.name}-${i + 1}`,
                  namespace: entity.metadata.namespace,
                },
              },
              doc,
              V1ALPHA,
            ),
          ),
        );
      return inPlaceOf(entity, first, V1ALPHA);
    }
    if (entity.apiVersion === V2ALPHA) {
      if (entity.kind === 'SLO') {
        const r = v2alphaSlo(entity);
        if (!r.ok) throw refuse('OpenSLO v2alpha SLO', r.error);
        return inPlaceOf(entity, r.value, 'openslo/v2alpha');
      }
      if (V2ALPHA_OTHER_KINDS.has(entity.kind))
        return inPlaceOf(entity, v2alphaOtherKind(entity), 'openslo/v2alpha');
      return entity;
    }
    if (!isPyrra(entity)) return entity;
    const r = pyrraToOpenSlo(entity);
    if (!r.ok) throw refuse('Pyrra ServiceLevelObjective', r.error);
    emitConverted(emit, location, r.value, 'pyrra');
    return entity;
  }
}
