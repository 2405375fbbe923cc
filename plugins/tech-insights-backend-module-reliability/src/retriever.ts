import type {
  AuthService,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type {
  FactRetriever,
  FactRetrieverContext,
  TechInsightFact,
} from '@backstage-community/plugin-tech-insights-node';
import { ReliabilityReader } from './client';
import {
  RELIABILITY_FACT_RETRIEVER_ID,
  reliabilityFactSchema,
  reliabilityFacts,
} from './facts';

/** Entities read at once from the reliability backend (each is six to a few dozen requests). */
const CONCURRENCY = 4;
const CATALOG_PAGE = 500;

/** What the retriever needs beyond the context Tech Insights gives every handler. @public */
export interface ReliabilityFactRetrieverOptions {
  /** Lists the entities to score (the retriever's entity filter, every page), as this plugin. */
  catalog: CatalogService;
  /** For tests: the clock and `fetch`. */
  now?: () => number;
  fetch?: typeof fetch;
}

async function listEntities(
  catalog: CatalogService,
  auth: AuthService,
  filter: FactRetrieverContext['entityFilter'],
) {
  const credentials = await auth.getOwnServiceCredentials();
  const refs: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await catalog.queryEntities(
      cursor
        ? { cursor, limit: CATALOG_PAGE }
        : {
            filter: filter as never,
            fields: ['kind', 'metadata.namespace', 'metadata.name'],
            limit: CATALOG_PAGE,
          },
      { credentials },
    );
    refs.push(...page.items.map(e => stringifyEntityRef(e)));
    cursor = page.pageInfo.nextCursor;
  } while (cursor);
  return refs;
}

/**
 * The Tech Insights fact retriever of the reliability suite: for each entity of its filter (components by default),
 * the readiness score and checklist, SLO compliance and budget, the launch-freeze state, and the last drill, load
 * test and chaos run, read from the reliability backend's REST API as this plugin. An entity whose figures cannot be
 * read (the backend answers an error) gets no new row this run, and the others go on.
 * @public
 */
export function createReliabilityFactRetriever(
  options: ReliabilityFactRetrieverOptions,
): FactRetriever {
  return {
    id: RELIABILITY_FACT_RETRIEVER_ID,
    version: '0.1.0',
    title: 'Reliability',
    description:
      'Readiness, SLO compliance and error budget, launch freeze, and the last failover drill, load test and chaos run, from the reliability suite',
    entityFilter: [{ kind: 'component' }],
    schema: reliabilityFactSchema,
    async handler(ctx: FactRetrieverContext): Promise<TechInsightFact[]> {
      const reader = new ReliabilityReader({
        discovery: ctx.discovery as DiscoveryService,
        auth: ctx.auth,
        fetch: options.fetch,
      });
      const refs = await listEntities(
        options.catalog,
        ctx.auth,
        ctx.entityFilter ?? [{ kind: 'component' }],
      );
      const facts: TechInsightFact[] = [];
      let failed = 0;
      let next = 0;
      const worker = async () => {
        while (next < refs.length) {
          const ref = refs[next++];
          try {
            const data = await reader.entity(ref);
            const { kind, namespace, name } = parseEntityRef(ref);
            facts.push({
              entity: { kind, namespace, name },
              facts: reliabilityFacts(data, (options.now ?? Date.now)()),
            });
          } catch (e) {
            failed++;
            ctx.logger.warn(
              `Reliability facts of ${ref} not retrieved: ${
                e instanceof Error ? e.message : String(e)
              }`,
            );
          }
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, refs.length) }, worker),
      );
      ctx.logger.info(
        `Reliability facts retrieved for ${facts.length} of ${
          refs.length
        } entities${failed ? ` (${failed} failed)` : ''}`,
      );
      return facts;
    },
  };
}
