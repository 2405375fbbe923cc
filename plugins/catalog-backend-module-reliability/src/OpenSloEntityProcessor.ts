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
 * Where an SLO says which reference did not resolve. The SLO is kept in the catalog, with this text as its
 * processing error (the catalog's EntityProcessingErrorsPanel shows it on the SLO's page), and is read again as soon
 * as the document it names is registered.
 */
export const ANNOTATION_UNRESOLVED = 'reliability.io/openslo-unresolved';

/** The status item type the catalog gives processing errors (ENTITY_STATUS_CATALOG_PROCESSING_TYPE). */
const CATALOG_PROCESSING_STATUS = 'backstage.io/catalog-processing';

/** The refresh key an SLO registers for a document it names: the SLO is processed again when that one changes. */
export const openSloRefreshKey = (
  kind: string,
  namespace: string,
  name: string,
) => `openslo:${kind.toLocaleLowerCase('en-US')}:${namespace}/${name}`;

/** The refresh key an SLO registers for the component it measures: the SLO is processed again when its owner changes. */
const componentOwnerRefreshKey = (e: {
  kind: string;
  metadata?: { namespace?: string; name?: string };
}) =>
  `reliability:owner:${e.kind.toLocaleLowerCase('en-US')}:${
    e.metadata?.namespace ?? 'default'
  }/${e.metadata?.name}`;

/** How long a document this processor read stays in its memory, and how many it keeps. */
const RECENT_TTL_MS = 10 * 60 * 1000;
const RECENT_MAX = 10_000;

type Recent =
  | { at: number; doc: Entity; hash: string }
  | { at: number; refused: string; hash: string };

/**
 * The OpenSLO documents (SLI, DataSource, alerting kinds) this processor read lately, accepted or refused, by
 * refresh key. An SLO in the same file or location as its SLI resolves from here in the pass after the SLI's,
 * before the catalog has stitched the SLI; a refused one lends its reason to the SLO that names it. Bounded in age
 * and size; the catalog stays the source of truth past that.
 */
class RecentDocuments {
  private readonly items = new Map<string, Recent>();

  get(key: string, now = Date.now()): Recent | undefined {
    const r = this.items.get(key);
    if (r && now - r.at > RECENT_TTL_MS) {
      this.items.delete(key);
      return undefined;
    }
    return r;
  }

  /** Keeps the entry; answers whether it differs from the one kept before. */
  put(key: string, entry: Recent): boolean {
    const before = this.items.get(key);
    this.items.delete(key);
    this.items.set(key, entry);
    while (this.items.size > RECENT_MAX) {
      const oldest = this.items.keys().next().value;
      if (oldest === undefined) break;
      this.items.delete(oldest);
    }
    return !before || before.hash !== entry.hash;
  }
}

/** Options of the OpenSLO processor. @public */
export interface OpenSloEntityProcessorOptions {
  /**
   * Called with a document's refresh key when an SLI, DataSource or alerting document is read for the first time or
   * changed, accepted or refused: the module asks the catalog to process the SLOs that registered that key again.
   */
  onReferencedDocument?: (refreshKey: string) => void;
}

/**
 * Lets the catalog accept OpenSLO v1 `kind: SLO` documents. Validation is reliability-common's `parseSlo`, the
 * function the backend's SLO registry reads the entity with, and a document that does not fit is refused with the
 * file and the field named.
 * Relations: SLO `measures` component (and `measuredBy` back); `ownedBy` the SLO's own owner annotation or
 * else the measured component's owner.
 * @public
 */
export class OpenSloEntityProcessor implements CatalogProcessor {
  private readonly recent = new RecentDocuments();

  constructor(
    private readonly lookupOwner?: OwnerLookup,
    private readonly lookupEntity?: EntityLookup,
    private readonly options: OpenSloEntityProcessorOptions = {},
  ) {}

  private remember(key: string, entry: Recent) {
    if (this.recent.put(key, entry)) this.options.onReferencedDocument?.(key);
  }

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
      const key = openSloRefreshKey(
        entity.kind,
        entity.metadata?.namespace ?? 'default',
        String(entity.metadata?.name),
      );
      if (!checked.ok) {
        const refused = `Invalid OpenSLO ${entity.kind} ${
          entity.metadata?.name ?? '(unnamed)'
        } in ${location.type}:${location.target}: ${checked.error}`;
        this.remember(key, { at: Date.now(), refused, hash: refused });
        throw new Error(refused);
      }
      this.remember(key, {
        at: Date.now(),
        doc: entity as Entity,
        hash: JSON.stringify([entity.metadata, entity.spec]),
      });
      const meta = (entity as Entity).metadata;
      return !meta.title && typeof meta.displayName === 'string'
        ? {
            ...(entity as Entity),
            metadata: { ...meta, title: meta.displayName },
          }
        : entity;
    }
    if (entity.kind === 'Component') {
      // a component's owner, remembered: its SLOs take it from here in the pass after the component's (before the
      // catalog has stitched it), and are processed again when it first arrives or changes owner
      this.remember(componentOwnerRefreshKey(entity), {
        at: Date.now(),
        doc: entity,
        hash: String(entity.spec?.owner ?? ''),
      });
      return entity;
    }
    if (!isSlo(entity)) return entity;
    // the documents it names by reference (indicatorRef, alertPolicyRef, conditionRef, targetRef) put in place: the
    // catalog processes the SLO again on its next pass, so a changed SLI or policy reaches it
    // every document looked up registers a refresh key, found or not: the SLO is read again when it arrives or changes
    const missing: string[] = [];
    const refusals: string[] = [];
    const resolved = await resolveSloReferences(
      entity as unknown as Record<string, any>,
      async (kind, name, namespace) => {
        const key = openSloRefreshKey(kind, namespace, name);
        emit(processingResult.refresh(key));
        const recent = this.recent.get(key);
        if (recent && 'doc' in recent)
          return recent.doc as unknown as {
            metadata: { name: string };
            spec: any;
          };
        const found = await this.lookupEntity?.(
          `${kind.toLocaleLowerCase('en-US')}:${namespace}/${name}`,
        );
        if (found && found.apiVersion === OPENSLO_API_VERSION)
          return found as unknown as { metadata: { name: string }; spec: any };
        missing.push(key);
        if (recent && 'refused' in recent) refusals.push(recent.refused);
        return undefined;
      },
    );
    if (!resolved.ok) {
      const message = `Invalid OpenSLO document ${
        entity.metadata?.name ?? '(unnamed)'
      } in ${location.type}:${location.target}: ${resolved.error}`;
      // a name that is not (yet) in the catalog: the SLO is kept, its error shown on its page, until it resolves
      if (missing.length && / no [A-Za-z]+ named /.test(resolved.error)) {
        const why = refusals.length
          ? ` (the catalog refused it: ${refusals.join('; ')})`
          : ' (it is read again as soon as that document is registered)';
        return {
          ...entity,
          metadata: {
            ...entity.metadata,
            annotations: {
              ...entity.metadata.annotations,
              [ANNOTATION_UNRESOLVED]: `${message}${why}`,
            },
          },
        };
      }
      throw new Error(message);
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

  /**
   * An SLO whose reference did not resolve leaves with its processing error in status.items, the place the catalog
   * keeps processing errors and its EntityProcessingErrorsPanel reads (status is set after the catalog's entity
   * policies ran, which allow no status on a document).
   */
  async postProcessEntity(entity: Entity): Promise<Entity> {
    const unresolved = isSlo(entity)
      ? entity.metadata.annotations?.[ANNOTATION_UNRESOLVED]
      : undefined;
    if (!unresolved) return entity;
    // the catalog-model Entity type has no status; the catalog's stored entity does (AlphaEntity)
    const status = (entity as { status?: { items?: unknown[] } }).status;
    return {
      ...entity,
      status: {
        ...status,
        items: [
          ...(status?.items ?? []),
          {
            type: CATALOG_PROCESSING_STATUS,
            level: 'error',
            message: `Error: ${unresolved}`,
            error: { name: 'Error', message: unresolved },
          },
        ],
      },
    } as Entity;
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
    let ownerNamespace = self.namespace;
    if (!owner) {
      // the component's owner: processed again when the component arrives or changes owner
      const key = componentOwnerRefreshKey({
        kind: component.kind,
        metadata: { namespace: component.namespace, name: component.name },
      });
      emit(processingResult.refresh(key));
      const recent = this.recent.get(key);
      const known =
        recent && 'doc' in recent ? recent.doc.spec?.owner : undefined;
      owner =
        typeof known === 'string' && known
          ? known
          : await this.lookupOwner?.(stringifyEntityRef(component));
      // a component's owner is relative to the component's namespace
      ownerNamespace = component.namespace;
    }
    if (owner) {
      const ownerRef = parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: ownerNamespace,
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
