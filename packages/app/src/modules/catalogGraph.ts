import {
  ApiBlueprint,
  createFrontendModule,
} from '@backstage/frontend-plugin-api';
import {
  ALL_RELATIONS,
  ALL_RELATION_PAIRS,
  DefaultCatalogGraphApi,
  catalogGraphApiRef,
} from '@backstage/plugin-catalog-graph';

/**
 * Teaches the catalog graph the reliability suite's relation pair, so "SLO measures component" is drawn in
 * the entity's Relations card and on the graph page (the graph only draws relations it knows).
 */
export const catalogGraphModule = createFrontendModule({
  pluginId: 'catalog-graph',
  extensions: [
    ApiBlueprint.make({
      params: defineParams =>
        defineParams({
          api: catalogGraphApiRef,
          deps: {},
          factory: () =>
            new DefaultCatalogGraphApi({
              knownRelations: [...ALL_RELATIONS, 'measures', 'measuredBy'],
              knownRelationPairs: [
                ...ALL_RELATION_PAIRS,
                ['measures', 'measuredBy'],
              ],
              defaultRelationTypes: { exclude: [] },
            }),
        }),
    }),
  ],
});
