import { Readable } from 'stream';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CATALOG_FILTER_EXISTS,
  QueryEntitiesRequest,
  QueryEntitiesResponse,
} from '@backstage/catalog-client';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  DocumentCollatorFactory,
  IndexableDocument,
} from '@backstage/plugin-search-common';
import {
  parseRunbookRef,
  RunbookResponse,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi } from '../http/ReliabilityApi';
import { runbookPath } from '../http/links';

/** The search type of runbook sections. @public */
export const RELIABILITY_RUNBOOK_DOCUMENT_TYPE = 'reliability-runbook';

/** The annotation that points at an entity's runbook. */
const RUNBOOK_ANNOTATION = 'reliability.io/runbook';

/** One section of an entity's runbook in search, linking to the section's anchor on the runbook page. @public */
export interface ReliabilityRunbookDocument extends IndexableDocument {
  /** The entity whose runbook it is; search shows the section to who may read it. */
  entityRef: string;
  /** The section's anchor, e.g. `symptoms`. */
  section: string;
  /** The heading's own text. */
  sectionTitle: string;
  /** The alerts the section answers (its `Alerts:` line). */
  alerts: string[];
  authorization: { resourceRef: string };
}

/**
 * Which entities may have a runbook, page by page: the catalog's entities with a `reliability.io/runbook`
 * annotation, and the components SLOs measure (their runbook may be written in the portal, or named by an SLO's
 * `link://runbooks/<name>`).
 * @public
 */
export interface RunbookEntitySource {
  /** Entity refs of the catalog's entities with the runbook annotation, every page. */
  annotatedEntities(): AsyncIterable<string>;
}

/** The documents of one runbook: one per section. */
export function runbookDocuments(
  runbook: RunbookResponse,
  pagesPath: string,
): ReliabilityRunbookDocument[] {
  const entity = parseEntityRef(runbook.entityRef);
  return runbook.sections.map(section => ({
    title: `${section.title} (runbook of ${entity.name})`,
    text: section.body.trim(),
    location: runbookPath(pagesPath, runbook.entityRef, section.id),
    entityRef: runbook.entityRef,
    section: section.id,
    sectionTitle: section.title,
    alerts: section.alerts,
    authorization: { resourceRef: runbook.entityRef },
  }));
}

/**
 * Collates the runbooks the reliability backend serves (`GET /runbooks/:kind/:namespace/:name`) into
 * `reliability-runbook` documents, one per heading section. The entities asked are those with the runbook
 * annotation in the catalog (every page) and the components of every SLO (`GET /slos`, every page); an entity
 * without a runbook (404) has none. A runbook that cannot be read (its URL unreachable) is left out with a warning,
 * and the others are indexed.
 * @public
 */
export class RunbookCollatorFactory implements DocumentCollatorFactory {
  readonly type = RELIABILITY_RUNBOOK_DOCUMENT_TYPE;
  readonly visibilityPermission = catalogEntityReadPermission;

  constructor(
    private readonly options: {
      api: ReliabilityApi;
      entities: RunbookEntitySource;
      logger: LoggerService;
      pagesPath: string;
    },
  ) {}

  async getCollator(): Promise<Readable> {
    return Readable.from(this.execute());
  }

  async *execute(): AsyncGenerator<ReliabilityRunbookDocument> {
    const { api, entities, logger, pagesPath } = this.options;
    const refs = new Set<string>();
    const add = (ref: string) => {
      try {
        refs.add(
          stringifyEntityRef(
            parseEntityRef(ref, {
              defaultKind: 'component',
              defaultNamespace: 'default',
            }),
          ).toLocaleLowerCase('en-US'),
        );
      } catch {
        // not an entity ref: nothing to ask
      }
    };
    for await (const ref of entities.annotatedEntities()) add(ref);
    for await (const slo of api.slos()) {
      add(slo.componentRef);
      const link = slo.runbook ? parseRunbookRef(slo.runbook) : undefined;
      if (link?.ok && link.value.type === 'link') {
        const { namespace } = parseEntityRef(slo.componentRef);
        add(`component:${namespace}/${link.value.name}`);
      }
    }
    for (const ref of [...refs].sort()) {
      let runbook: RunbookResponse | undefined;
      try {
        runbook = await api.runbook(parseEntityRef(ref));
      } catch (e) {
        logger.warn(
          `Search: the runbook of ${ref} is left out of the index: ${
            (e as Error).message
          }`,
        );
        continue;
      }
      if (runbook) yield* runbookDocuments(runbook, pagesPath);
    }
  }
}

/** The catalog's entities with the runbook annotation, read page by page (cursors) with the given query. */
export function catalogRunbookEntities(
  queryEntities: (
    request: QueryEntitiesRequest,
  ) => Promise<Pick<QueryEntitiesResponse, 'items' | 'pageInfo'>>,
  pageSize: number,
): RunbookEntitySource {
  return {
    async *annotatedEntities() {
      const fields = ['kind', 'metadata.name', 'metadata.namespace'];
      let cursor: string | undefined;
      do {
        const page = await queryEntities(
          cursor
            ? { cursor, limit: pageSize, fields }
            : {
                filter: {
                  [`metadata.annotations.${RUNBOOK_ANNOTATION}`]:
                    CATALOG_FILTER_EXISTS,
                },
                limit: pageSize,
                fields,
              },
        );
        for (const e of page.items)
          yield stringifyEntityRef({
            kind: e.kind,
            namespace: e.metadata.namespace ?? 'default',
            name: e.metadata.name,
          });
        cursor = page.pageInfo.nextCursor;
      } while (cursor);
    },
  };
}
