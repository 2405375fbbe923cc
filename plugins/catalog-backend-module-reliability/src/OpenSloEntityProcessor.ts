import {
  Entity,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_OPENSLO_LABELS,
  ANNOTATION_OWNER,
  OPENSLO_API_VERSION,
  RELATION_MEASURED_BY,
  RELATION_MEASURES,
  SLO_KIND,
  isOpenSloReferencedKind,
  parseSlo,
  resolveSloReferences,
  validateOpenSloKind,
} from '@reliability-suite/plugin-reliability-common';

/** Looks up the owner of the component an SLO measures. @public */
export type OwnerLookup = (componentRef: string) => Promise<string | undefined>;
/** Looks up a catalog entity by ref (an SLI, AlertPolicy, AlertCondition or AlertNotificationTarget an SLO names). @public */
export type EntityLookup = (entityRef: string) => Promise<Entity | undefined>;

const isSlo = (e: Entity) =>
  e.apiVersion === OPENSLO_API_VERSION && e.kind === SLO_KIND;
/** A label value the catalog keeps in metadata.labels (Backstage's rule: at most 63 letters, digits, -, _ or .). */
const LABEL_VALUE = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;

/**
 * OpenSLO allows label values that are lists of strings; the catalog keeps only plain values in metadata.labels. The
 * others move, joined with commas, to the annotation the SLO parser reads beside metadata.labels.
 */
function catalogSafeLabels(entity: Entity): Entity {
  const labels = (entity.metadata.labels ?? {}) as Record<string, unknown>;
  const moved: Record<string, string> = {};
  const kept: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    const text = Array.isArray(v) ? v.map(String).join(',') : String(v);
    if (typeof v === 'string' && LABEL_VALUE.test(v)) kept[k] = v;
    else moved[k] = text;
  }
  if (!Object.keys(moved).length) return entity;
  return {
    ...entity,
    metadata: {
      ...entity.metadata,
      labels: kept,
      annotations: {
        ...entity.metadata.annotations,
        [ANNOTATION_OPENSLO_LABELS]: JSON.stringify(moved),
      },
    },
  };
}

/** Where the SLO lists the documents it references (kind:namespace/name, comma separated). */
export const ANNOTATION_REFERENCES = 'reliability.io/openslo-references';

/**
 * Lets the catalog accept OpenSLO v1 `kind: SLO` documents. Validation is reliability-common's `parseSlo`, the
 * function the backend's SLO registry reads the entity with, and a document that does not fit is refused with the
 * file and the field named.
 * Relations: SLO `measures` component (and `measuredBy` back); `ownedBy` the SLO's own owner annotation or
 * else the measured component's owner.
 * @public
 */
export class OpenSloEntityProcessor implements CatalogProcessor {
  constructor(
    private readonly lookupOwner?: OwnerLookup,
    private readonly lookupEntity?: EntityLookup,
  ) {}

  getProcessorName(): string {
    return 'OpenSloEntityProcessor';
  }

  async validateEntityKind(entity: Entity): Promise<boolean> {
    return isSlo(entity) || isOpenSloReferencedKind(entity);
  }

  /**
   * Parses the document once: refuses an invalid one, shows OpenSLO's displayName and spec.description where the
   * catalog shows title and description, and emits the relations from the same parse (relations may be emitted in
   * any step; they are kept only if the entity is accepted).
   */
  async preProcessEntity(
    given: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    let entity =
      isSlo(given) || isOpenSloReferencedKind(given)
        ? catalogSafeLabels(given)
        : given;
    if (isOpenSloReferencedKind(entity)) {
      const checked = validateOpenSloKind(entity);
      if (!checked.ok)
        throw new Error(
          `Invalid OpenSLO ${entity.kind} ${
            entity.metadata?.name ?? '(unnamed)'
          } in ${location.type}:${location.target}: ${checked.error}`,
        );
      const meta = (entity as Entity).metadata;
      return !meta.title && typeof meta.displayName === 'string'
        ? {
            ...(entity as Entity),
            metadata: { ...meta, title: meta.displayName },
          }
        : entity;
    }
    if (!isSlo(entity)) return entity;
    // the documents it names by reference (indicatorRef, alertPolicyRef, conditionRef, targetRef) put in place: the
    // catalog processes the SLO again on its next pass, so a changed SLI or policy reaches it
    const resolved = await resolveSloReferences(
      entity as unknown as Record<string, any>,
      async (kind, name, namespace) => {
        const found = await this.lookupEntity?.(
          `${kind.toLocaleLowerCase('en-US')}:${namespace}/${name}`,
        );
        return found && found.apiVersion === OPENSLO_API_VERSION
          ? (found as unknown as { metadata: { name: string }; spec: any })
          : undefined;
      },
    );
    if (!resolved.ok) {
      throw new Error(
        `Invalid OpenSLO document ${entity.metadata?.name ?? '(unnamed)'} in ${
          location.type
        }:${location.target}: ${resolved.error}`,
      );
    }
    const self = {
      kind: entity.kind,
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    };
    for (const r of resolved.value.references) {
      const target = { kind: r.kind, namespace: r.namespace, name: r.name };
      emit(
        processingResult.relation({
          source: self,
          type: RELATION_DEPENDS_ON,
          target,
        }),
      );
      emit(
        processingResult.relation({
          source: target,
          type: RELATION_DEPENDENCY_OF,
          target: self,
        }),
      );
    }
    if (resolved.value.references.length) {
      const refs = [
        ...new Set(
          resolved.value.references.map(
            r =>
              `${r.kind.toLocaleLowerCase('en-US')}:${r.namespace}/${r.name}`,
          ),
        ),
      ].join(',');
      entity = {
        ...(resolved.value.doc as unknown as Entity),
        metadata: {
          ...entity.metadata,
          annotations: {
            ...entity.metadata.annotations,
            [ANNOTATION_REFERENCES]: refs,
          },
        },
      };
    }
    // the same entry point the backend's SLO registry reads the entity with: what the catalog accepts, it evaluates
    const parsed = parseSlo(entity);
    if (!parsed.ok) {
      throw new Error(
        `Invalid OpenSLO document ${entity.metadata?.name ?? '(unnamed)'} in ${
          location.type
        }:${location.target}: ${parsed.error}`,
      );
    }
    await this.emitRelations(entity, parsed.value[0].componentRef, emit);
    const displayName = entity.metadata.displayName;
    const description = (entity.spec as { description?: unknown } | undefined)
      ?.description;
    return {
      ...entity,
      metadata: {
        ...entity.metadata,
        ...(!entity.metadata.title && typeof displayName === 'string'
          ? { title: displayName }
          : {}),
        ...(!entity.metadata.description && typeof description === 'string'
          ? { description }
          : {}),
      },
    };
  }

  private async emitRelations(
    entity: Entity,
    componentRef: string,
    emit: CatalogProcessorEmit,
  ): Promise<void> {
    const self = {
      kind: entity.kind,
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    };
    const component = parseEntityRef(componentRef);
    emit(
      processingResult.relation({
        source: self,
        type: RELATION_MEASURES,
        target: component,
      }),
    );
    emit(
      processingResult.relation({
        source: component,
        type: RELATION_MEASURED_BY,
        target: self,
      }),
    );

    let owner = entity.metadata.annotations?.[ANNOTATION_OWNER];
    if (!owner && this.lookupOwner) {
      owner = await this.lookupOwner(stringifyEntityRef(component));
    }
    if (owner) {
      const ownerRef = parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: self.namespace,
      });
      emit(
        processingResult.relation({
          source: self,
          type: RELATION_OWNED_BY,
          target: ownerRef,
        }),
      );
      emit(
        processingResult.relation({
          source: ownerRef,
          type: RELATION_OWNER_OF,
          target: self,
        }),
      );
    }
  }
}
